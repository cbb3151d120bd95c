//! Chat2Desk behind the engine's [`Target`]: a profile is a client on a channel and
//! transport; there are no links, so each profile is a piece of work of its own.

use secrecy::{ExposeSecret, SecretString};

use super::Chat2DeskCost;
use super::api::{DEFAULT_BASE_URL, RUB_PER_PAID_REQUEST, allowed_base_url};
use super::catalog::Catalog;
use super::client::Chat2Desk;
use super::rules::{Defaults, Given};
use super::sync::{Sync, Wanted, expected_calls, reachable_only};
use super::words;
use crate::domain::{ContactKey, Problem, Row, Warning};
use crate::identity::{Profile, Profiles};
use crate::input::Header;
use crate::pacing::{Halt, Pacing, Ticket};
use crate::plan::CostModel;
use crate::targets::{
    AccountLedger, Allowance, Connected, Connection, CredentialSpec, Done, Entries, Kind, Price,
    SyncError, Synced, Target, TargetKind, Work, account_id,
};

/// What a run gives for rows that say nothing themselves (flags, a job's fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The channel (an id or a name).
    pub channel: Option<String>,
    /// The messenger (transport), by family: "whatsapp" finds a channel's `wa_dialog`.
    pub transport: Option<String>,
    /// The channel e-mail contacts go to when theirs takes no e-mail and several do.
    pub email_channel: Option<String>,
}

/// An account, and the run's settings for it.
pub struct Chat2DeskTarget {
    pub client: Chat2Desk,
    pub settings: Settings,
}

/// The catalog, and the run's settings resolved against it.
#[derive(Debug, Clone)]
pub struct Rules {
    pub catalog: Catalog,
    defaults: Defaults,
}

/// Chat2Desk as a kind of target.
pub struct Chat2DeskKind;

/// The credential: the API token (`shared/specs/chat2desk.md`, "Authorization").
const CREDENTIALS: &[CredentialSpec] = &[CredentialSpec {
    name: "token",
    env: "CHAT2DESK_TOKEN",
}];

impl Kind for Chat2DeskKind {
    fn name(&self) -> &'static str {
        "chat2desk"
    }

    fn title(&self) -> &'static str {
        "Chat2Desk"
    }

    fn cost_model(&self) -> &'static dyn CostModel {
        &Chat2DeskCost
    }

    fn row_notes(&self, row: &Row) -> Vec<Warning> {
        super::rules::row_notes(row)
    }

    fn credentials(&self) -> &'static [CredentialSpec] {
        CREDENTIALS
    }

    fn default_base_url(&self) -> Option<&'static str> {
        Some(DEFAULT_BASE_URL)
    }

    fn allowed_base_url(&self, url: &str, allow_other_hosts: bool) -> Result<(), String> {
        allowed_base_url(url, allow_other_hosts)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn account(&self, connection: &Connection) -> Result<String, String> {
        connection.settings::<Settings>(self)?;
        let base = Chat2Desk::base(&connection.base_url(self)?).map_err(|e| e.to_string())?;
        let token = connection.credentials.get(self, "token")?;
        Ok(account_of(&base, token))
    }

    fn connect(&self, connection: &Connection) -> Result<Box<dyn Connected>, String> {
        let token = connection.credentials.get(self, "token")?.clone();
        let client = Chat2Desk::new(&connection.base_url(self)?, token, connection.timeout)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(Chat2DeskTarget {
            client,
            settings: connection.settings(self)?,
        }))
    }
}

/// The ledger's name for the account at `base` with `token`.
fn account_of(base: &reqwest::Url, token: &SecretString) -> String {
    account_id(
        TargetKind::Chat2desk,
        &[base.as_str().as_bytes(), token.expose_secret().as_bytes()],
    )
}

/// What a paid request costs (`api.rs`).
const PRICE: Price = Price {
    each: RUB_PER_PAID_REQUEST,
    currency: "RUB",
};

impl Target for Chat2DeskTarget {
    type Catalog = Catalog;
    type Rules = Rules;
    type Wanted = Wanted;

    fn kind(&self) -> TargetKind {
        TargetKind::Chat2desk
    }

    fn account(&self) -> String {
        account_of(self.client.base_url(), self.client.token())
    }

    async fn read_catalog(&self, pacing: &Pacing) -> Result<Catalog, Halt> {
        Catalog::read(&self.client, pacing).await
    }

    fn rules(
        &self,
        catalog: Catalog,
        tags: &[String],
        _: &Header,
    ) -> Result<Rules, crate::targets::refusal::Refusal> {
        let defaults = Defaults::resolve(
            &catalog,
            &Given {
                channel: self.settings.channel.as_deref(),
                messenger: self.settings.transport.as_deref(),
                email_channel: self.settings.email_channel.as_deref(),
                tags,
            },
        )
        .map_err(|e| e.to_string())?;
        Ok(Rules { catalog, defaults })
    }

    fn account_name(catalog: &Catalog) -> Option<String> {
        catalog.info.company_name.clone()
    }

    fn catalog_view(catalog: &Catalog) -> serde_json::Value {
        serde_json::json!({
            "company_name": catalog.info.company_name,
            "requests_left": catalog.info.requests_left(),
            "channels": catalog.channels,
            "transports": catalog.transports,
            "tags": catalog.tags,
        })
    }

    fn allowance(rules: &Rules, spent: u64) -> Allowance {
        match rules.catalog.info.requests_left() {
            // `api_info` is the run's first request and its answer counts it: every request
            // after it comes out of what it reported.
            Some(left) => Allowance::Free {
                left: left.saturating_sub(spent.saturating_sub(1)),
                price: PRICE,
            },
            None => Allowance::Unknown { price: PRICE },
        }
    }

    fn check_row(rules: &Rules, row: &Row) -> Result<Vec<Warning>, Problem> {
        rules.defaults.rule(&rules.catalog, row)
    }

    fn work(rules: &Rules, profiles: &Profiles) -> Vec<Work<Wanted>> {
        profiles
            .iter()
            .filter_map(|(id, profile)| {
                Some(Work {
                    profiles: vec![id],
                    wanted: wanted(rules, profiles, profile)?,
                })
            })
            .collect()
    }

    fn expected(_: &Rules, wanted: &Wanted, entries: &Entries) -> u64 {
        expected_calls(wanted, entries.get(&wanted.key)).requests()
    }

    fn settled(
        rules: &Rules,
        wanted: &Wanted,
        entries: &Entries,
        ledger: &AccountLedger<'_>,
    ) -> Vec<Done> {
        let entry = entries.get(&wanted.key);
        vec![Done {
            synced: if ledger.created_by_this_run(entry) {
                Synced::Created
            } else {
                Synced::Unchanged
            },
            id: entry.and_then(|e| e.target_id.clone()),
            notes: unreachable_note(&rules.catalog, wanted, reachable_only(wanted, entry)),
        }]
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
        };
        let synced = sync
            .profile(wanted, entries.get(&wanted.key), ticket)
            .await?;
        Ok(vec![Done {
            synced: synced.synced,
            id: Some(synced.id.into()),
            notes: unreachable_note(&rules.catalog, wanted, synced.reachable_only),
        }])
    }
}

/// What a profile should be in the account; `None` for one Chat2Desk cannot hold or that
/// cannot be placed (its row already says why).
fn wanted(rules: &Rules, profiles: &Profiles, profile: &Profile) -> Option<Wanted> {
    let Rules { catalog, defaults } = rules;
    let placement = defaults
        .place(
            catalog,
            &profile.key,
            profile.channel(),
            profile.messenger(),
        )
        .ok()??;
    let mut tag_ids = defaults.tags.clone();
    tag_ids.extend(
        profiles
            .tags(profile)
            .filter_map(|l| catalog.tag(l))
            .map(|t| t.id),
    );
    // What Chat2Desk's `phone` carries: digits without `+`, or (**assumed**, api.rs) the
    // e-mail address.
    let contact = match &profile.key {
        ContactKey::Phone(digits) => digits.to_string(),
        ContactKey::Email(address) => address.to_string(),
        ContactKey::Messenger(_) => return None,
    };
    Some(Wanted {
        key: profile.key.to_string(),
        contact,
        transport: placement.transport,
        channel_id: placement.channel_id,
        nickname: profile.name.as_deref().map(str::to_owned),
        comment: profile.comment.as_deref().map(str::to_owned),
        tag_ids,
    })
}

/// The note for a client that cannot be reached on the dialog wanted, in the catalog's
/// names: "«Продажи» (wa_dialog)".
fn unreachable_note(
    catalog: &Catalog,
    wanted: &Wanted,
    reachable_only: Option<Vec<(u64, String)>>,
) -> Vec<Warning> {
    let name = |channel: u64, transport: &str| {
        let channel = catalog
            .channel_by_id(channel)
            .map_or_else(|| channel.to_string(), |c| c.name.clone());
        format!("«{channel}» ({transport})")
    };
    reachable_only
        .map(|dialogs| {
            let reachable: Vec<String> = dialogs.iter().map(|(c, t)| name(*c, t)).collect();
            words::unreachable(&name(wanted.channel_id, &wanted.transport), &reachable)
        })
        .into_iter()
        .collect()
}
