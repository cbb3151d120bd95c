//! Omnidesk behind the engine's [`Target`]: a person is a piece of work — their profiles, one
//! per identifier, linked to the first.

use secrecy::{ExposeSecret, SecretString};

use super::api::{CustomField, EmailCase};
use super::client::Omnidesk;
use super::cost::{OmnideskCost, search_first};
use super::rules::{self, Catalog, Settings};
use super::sync::{self, Account, Fields, Member, Sync, Wanted};
use crate::domain::{ContactKey, Problem, Row, Warning};
use crate::identity::Profiles;
use crate::input::Header;
use crate::pacing::{Halt, Pacing, Ticket};
use crate::plan::CostModel;
use crate::targets::refusal::Refusal;
use crate::targets::{
    AccountLedger, Allowance, Connected, Connection, CredentialSpec, Done, Entries, Kind,
    SyncError, Target, TargetKind, Work, account_id,
};

/// Omnidesk as a kind of target.
pub struct OmnideskKind;

/// "HTTP Basic `staff_email:api_key`" [api-users].
const CREDENTIALS: &[CredentialSpec] = &[
    CredentialSpec {
        name: "staff_email",
        env: "OMNIDESK_STAFF_EMAIL",
    },
    CredentialSpec {
        name: "api_key",
        env: "OMNIDESK_API_KEY",
    },
];

/// The hosts Omnidesk serves accounts from (`https://{account}.omnidesk.ru`; "accounts on
/// `omnidesk.pro` … exist").
const HOST_SUFFIXES: &[&str] = &[".omnidesk.ru", ".omnidesk.pro"];

impl Kind for OmnideskKind {
    fn name(&self) -> &'static str {
        "omnidesk"
    }

    fn title(&self) -> &'static str {
        "Omnidesk"
    }

    fn cost_model(&self) -> &'static dyn CostModel {
        &OmnideskCost
    }

    fn credentials(&self) -> &'static [CredentialSpec] {
        CREDENTIALS
    }

    fn default_base_url(&self) -> Option<&'static str> {
        // One address per account.
        None
    }

    fn allowed_base_url(&self, url: &str, allow_other_hosts: bool) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|_| format!("`{url}` is not a URL"))?;
        let known = |host: &str| {
            HOST_SUFFIXES
                .iter()
                .any(|suffix| host.len() > suffix.len() && host.ends_with(suffix))
        };
        if crate::http_client::may_call(&parsed, allow_other_hosts, known) {
            Ok(())
        } else {
            Err(format!(
                "`{url}` is not an Omnidesk account's address (https://ACCOUNT.omnidesk.ru or \
                 .omnidesk.pro); this server calls no other host"
            ))
        }
    }

    fn account(&self, connection: &Connection) -> Result<String, String> {
        connection.settings::<Settings>(self)?;
        let base = Omnidesk::base(&connection.base_url(self)?).map_err(|e| e.to_string())?;
        let credentials = &connection.credentials;
        Ok(account_of(
            &base,
            credentials.get(self, "staff_email")?,
            credentials.get(self, "api_key")?,
        ))
    }

    fn connect(&self, connection: &Connection) -> Result<Box<dyn Connected>, String> {
        let credentials = &connection.credentials;
        let client = Omnidesk::new(
            &connection.base_url(self)?,
            credentials.get(self, "staff_email")?.clone(),
            credentials.get(self, "api_key")?.clone(),
            connection.timeout,
        )
        .map_err(|e| e.to_string())?;
        Ok(Box::new(OmnideskTarget {
            client,
            settings: connection.settings(self)?,
        }))
    }
}

/// The ledger's name for the account: its address and the staff member's credentials.
fn account_of(base: &reqwest::Url, staff_email: &SecretString, api_key: &SecretString) -> String {
    account_id(
        TargetKind::Omnidesk,
        &[
            base.as_str().as_bytes(),
            staff_email.expose_secret().as_bytes(),
            api_key.expose_secret().as_bytes(),
        ],
    )
}

/// An account, and the run's settings for it.
pub struct OmnideskTarget {
    pub client: Omnidesk,
    pub settings: Settings,
}

/// The catalog, and the run's settings resolved against it.
#[derive(Debug, Clone)]
pub struct Rules {
    pub catalog: Catalog,
    /// The tags' field, when the run names one.
    tags_field: Option<CustomField>,
    /// Tags for every row.
    tags: Vec<String>,
    no_link_shared: bool,
    /// The data field of each column the input does not understand (`Row::extra`).
    columns: Vec<Option<CustomField>>,
    column_titles: Vec<String>,
    account: Account,
}

impl Target for OmnideskTarget {
    type Catalog = Catalog;
    type Rules = Rules;
    type Wanted = Wanted;

    fn kind(&self) -> TargetKind {
        TargetKind::Omnidesk
    }

    fn account(&self) -> String {
        account_of(
            self.client.base_url(),
            self.client.staff_email(),
            self.client.api_key(),
        )
    }

    /// The pre-flight: the data fields (whose answer also gives the limits) and how many
    /// users the account has (which decides whether to look identifiers up first).
    async fn read_catalog(&self, pacing: &Pacing) -> Result<Catalog, Halt> {
        let mut ticket = Ticket::default();
        let fields = pacing
            .send(&mut ticket, || self.client.custom_fields(pacing))
            .await?;
        let users = pacing
            .send(&mut ticket, || self.client.user_count(pacing))
            .await?;
        Ok(Catalog {
            fields: fields
                .into_iter()
                .filter(CustomField::is_for_users)
                .collect(),
            users,
            per_minute: pacing.announced_per_minute(),
        })
    }

    fn rules(&self, catalog: Catalog, tags: &[String], header: &Header) -> Result<Rules, Refusal> {
        let tags_field = match &self.settings.tags_field {
            Some(title) => Some(rules::tags_field(&catalog, title)?),
            None if !tags.is_empty() => return Err(rules::tags_without_field()),
            None => None,
        };
        Ok(Rules {
            account: Account {
                tags_key: tags_field.as_ref().map(CustomField::key),
                plays: self.settings.plays,
            },
            columns: rules::data_fields(&catalog, header),
            column_titles: header.unknown.clone(),
            catalog,
            tags_field,
            tags: tags.to_vec(),
            no_link_shared: self.settings.no_link_shared,
        })
    }

    fn account_name(_: &Catalog) -> Option<String> {
        None
    }

    fn catalog_view(catalog: &Catalog) -> serde_json::Value {
        /// A data field as the API lists it, and whether a sheet column titled after it
        /// fills it (`rules::fills_from_column`): the add-on's contact sheet offers those.
        #[derive(serde::Serialize)]
        struct FieldView<'a> {
            #[serde(flatten)]
            field: &'a CustomField,
            sheet_column: bool,
        }
        let fields: Vec<FieldView> = catalog
            .fields
            .iter()
            .map(|field| FieldView {
                field,
                sheet_column: rules::fills_from_column(field),
            })
            .collect();
        serde_json::json!({
            "fields": fields,
            "users": catalog.users,
            "rate_limit_per_minute": catalog.per_minute,
        })
    }

    fn allowance(_: &Rules, _: u64) -> Allowance {
        // Omnidesk limits requests per minute; none is paid.
        Allowance::Unmetered
    }

    fn rate_per_minute(rules: &Rules) -> Option<u64> {
        rules.catalog.per_minute
    }

    fn spellings(rules: &Rules) -> bool {
        rules.account.plays.email_case == EmailCase::Sensitive
    }

    fn check_row(rules: &Rules, row: &Row) -> Result<Vec<Warning>, Problem> {
        for (column, cell) in &row.extra {
            if let Some(Some(field)) = rules.columns.get(*column as usize) {
                rules::field_value(field, cell, rules.account.plays.select_value)
                    .map_err(Problem::Target)?;
            }
        }
        rules::check_row(row)
    }

    fn ready(rules: &Rules, profiles: &Profiles) -> Result<(), Refusal> {
        if rules.tags_field.is_none() && profiles.iter().any(|(_, p)| p.has_tags()) {
            return Err(rules::tags_without_field());
        }
        let mut unknown = std::collections::BTreeSet::new();
        for (_, profile) in profiles.iter() {
            for (column, _) in profile.details.iter().flat_map(|d| &d.extra) {
                if matches!(rules.columns.get(*column as usize), Some(None)) {
                    unknown.insert(*column as usize);
                }
            }
        }
        if !unknown.is_empty() {
            let titles: Vec<&str> = unknown
                .iter()
                .map(|&c| rules.column_titles[c].as_str())
                .collect();
            return Err(rules::unknown_columns(&titles, &rules.catalog));
        }
        Ok(())
    }

    fn work(rules: &Rules, profiles: &Profiles) -> Vec<Work<Wanted>> {
        let search_first = search_first(rules.catalog.users, profiles.len());
        let clusters: Vec<Vec<u32>> = if rules.no_link_shared {
            profiles.clusters_without(|id| {
                let profile = profiles.get(id);
                profile.is_shared() && !matches!(profile.key, ContactKey::Messenger(_))
            })
        } else {
            profiles
                .iter()
                .filter(|(id, _)| profiles.link_target(*id).is_none())
                .map(|(root, _)| profiles.cluster(root).to_vec())
                .collect()
        };
        clusters
            .into_iter()
            .filter_map(|cluster| {
                let members: Vec<Member> = cluster
                    .iter()
                    .filter_map(|&id| member(rules, profiles, id))
                    .collect();
                // Every contact of a row was checked (`check_row`): none is left out.
                (members.len() == cluster.len()).then_some(Work {
                    profiles: cluster,
                    wanted: Wanted {
                        members,
                        search_first,
                    },
                })
            })
            .collect()
    }

    fn expected(rules: &Rules, wanted: &Wanted, entries: &Entries) -> u64 {
        sync::expected(wanted, entries, &rules.account)
    }

    fn settled(
        _: &Rules,
        wanted: &Wanted,
        entries: &Entries,
        ledger: &AccountLedger<'_>,
    ) -> Vec<Done> {
        sync::settled(wanted, entries, ledger)
    }

    async fn sync(
        &self,
        rules: &Rules,
        wanted: &Wanted,
        entries: &Entries,
        ledger: &AccountLedger<'_>,
        pacing: &Pacing,
        ticket: &mut Ticket,
    ) -> Result<Vec<Done>, SyncError> {
        let sync = Sync {
            client: &self.client,
            pacing,
            ledger,
            account: &rules.account,
        };
        sync.person(wanted, entries, ticket).await
    }
}

/// One profile as Omnidesk should hold it.
fn member(rules: &Rules, profiles: &Profiles, id: u32) -> Option<Member> {
    let profile = profiles.get(id);
    let (field, value) = rules::identifier(&profile.key)?;
    let text = |v: Option<&str>| v.map(str::to_owned);
    let details = profile.details.as_deref();
    let mut tags: std::collections::BTreeSet<String> =
        profiles.tags(profile).map(str::to_owned).collect();
    tags.extend(rules.tags.iter().cloned());
    if rules.tags_field.is_none() {
        tags.clear();
    }
    // Checked on every row (`check_row`): a value here fits its field.
    let custom = details
        .iter()
        .flat_map(|d| &d.extra)
        .filter_map(|(column, cell)| {
            let field = rules.columns.get(*column as usize)?.as_ref()?;
            let value = rules::field_value(field, cell, rules.account.plays.select_value);
            Some((field.key(), value.ok()?))
        })
        .collect();
    Some(Member {
        key: profile.key.to_string(),
        field,
        value,
        spelling: profiles.spelling(id).map(str::to_owned),
        fields: Fields {
            name: text(profile.name.as_deref()),
            company: text(details.and_then(|d| d.company.as_deref())),
            position: text(details.and_then(|d| d.position.as_deref())),
            note: text(profile.comment.as_deref()),
            tags,
            custom,
        },
    })
}
