//! Intercom behind the engine's [`Target`]: a piece of work is one Intercom contact — a row's
//! e-mail with its phone and messenger ids (a user), or a phone or messenger id alone (a
//! lead) — and its tags are sent for many contacts at once, after the contacts are in.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::api::{self, Query, Role, Tag};
use super::client::Intercom;
use super::cost::{IntercomCost, tag_calls};
use super::rules::{self, Catalog, Column, Settings, Slot};
use super::sync::{self, Brought, Companies, CompanyRef, Fields, Known, Sync, Wanted};
use crate::domain::{ContactKey, Problem, Row, Warning};
use crate::identity::Profiles;
use crate::input::Header;
use crate::messages::{Lang, said};
use crate::pacing::{Halt, Pacing, TargetError, Ticket};
use crate::plan::CostModel;
use crate::targets::refusal::Refusal;
use crate::targets::{
    AccountLedger, Allowance, Connected, Connection, CredentialSpec, Done, Entries, Kind,
    SyncError, Target, TargetId, TargetKind, Work, account_id,
};

/// The codes of the refusals before a run (`Refusal::code`; `apps-script/CONTRACT.md`):
/// attributes the list fills that the workspace lacks, and more than it may hold.
pub const ATTRIBUTES_MISSING: &str = "attributes_missing";
pub const ATTRIBUTES_FULL: &str = "attributes_full";

/// Intercom as a kind of target.
pub struct IntercomKind;

/// "Auth: `Authorization: Bearer <token>`" [oas `bearerAuth`].
const CREDENTIALS: &[CredentialSpec] = &[CredentialSpec {
    name: "token",
    env: "INTERCOM_TOKEN",
}];

/// How long Intercom's search may take to show a contact just created, when the run does
/// not say: "this delay can take a few minutes" [oas]. A lead whose create answer was lost
/// waits this long before it is created again.
const SEARCH_LAG: std::time::Duration = std::time::Duration::from_secs(10 * 60);

impl Kind for IntercomKind {
    fn name(&self) -> &'static str {
        "intercom"
    }

    fn title(&self) -> &'static str {
        "Intercom"
    }

    fn cost_model(&self) -> &'static dyn CostModel {
        &IntercomCost
    }

    fn credentials(&self) -> &'static [CredentialSpec] {
        CREDENTIALS
    }

    /// "contacts that match a live message's rules receive it right away" [help 177];
    /// "campaigns should be paused, and contact notifications switched off" [seeds FR/DE].
    fn before_live_run(&self) -> Option<crate::domain::Said> {
        Some(said(|lang| match lang {
            Lang::Ru => "контакты, подходящие под правила активных кампаний Intercom, сразу \
                         получат их сообщения: приостановите кампании и уведомления на время \
                         загрузки, а сначала попробуйте --sample 20"
                .to_owned(),
            Lang::En => "contacts that match a live Intercom campaign's rules get its messages \
                         right away: pause campaigns and notifications during the load, and \
                         try --sample 20 first"
                .to_owned(),
        }))
    }

    fn default_base_url(&self) -> Option<&'static str> {
        Some(api::BASE_URL)
    }

    fn allowed_base_url(&self, url: &str, allow_other_hosts: bool) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|_| format!("`{url}` is not a URL"))?;
        if crate::http_client::may_call(&parsed, allow_other_hosts, |host| {
            api::HOSTS.contains(&host)
        }) {
            Ok(())
        } else {
            Err(format!(
                "`{url}` is not Intercom's API ({}); this server calls no other host",
                api::HOSTS.join(", ")
            ))
        }
    }

    fn account(&self, connection: &Connection) -> Result<String, String> {
        connection.settings::<Settings>(self)?;
        let base = Intercom::base(&connection.base_url(self)?).map_err(|e| e.to_string())?;
        Ok(account_of(
            &base,
            connection.credentials.get(self, "token")?,
        ))
    }

    fn connect(&self, connection: &Connection) -> Result<Box<dyn Connected>, String> {
        let settings: Settings = connection.settings(self)?;
        let client = Intercom::new(
            &connection.base_url(self)?,
            connection.credentials.get(self, "token")?.clone(),
            settings.version(),
            connection.timeout,
        )
        .map_err(|e| e.to_string())?;
        Ok(Box::new(IntercomTarget::new(client, settings)))
    }
}

/// The ledger's name for the workspace: its host and the token (a workspace's data lives
/// in one region, so the token is **assumed** to work only on that host).
fn account_of(base: &reqwest::Url, token: &SecretString) -> String {
    account_id(
        TargetKind::Intercom,
        &[base.as_str().as_bytes(), token.expose_secret().as_bytes()],
    )
}

/// A workspace, the run's settings for it, and what the run's pieces share.
pub struct IntercomTarget {
    pub client: Intercom,
    pub settings: Settings,
    /// How long the search may lag (`SEARCH_LAG` unless the settings say).
    pub search_lag: std::time::Duration,
    companies: Companies,
    /// Attributes this run created (`--create-attributes`), each once.
    created: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<()>>>>,
    /// Contacts brought in whose tags are still to send, by ledger key.
    untagged: Mutex<HashMap<String, Brought>>,
}

impl IntercomTarget {
    pub fn new(client: Intercom, settings: Settings) -> IntercomTarget {
        IntercomTarget {
            client,
            search_lag: settings
                .search_lag_secs
                .map_or(SEARCH_LAG, std::time::Duration::from_secs),
            settings,
            companies: Companies::default(),
            created: Mutex::default(),
            untagged: Mutex::default(),
        }
    }

    /// Creates the attributes `wanted` fills that the workspace lacks, once each.
    async fn create_attributes(
        &self,
        rules: &Rules,
        wanted: &Wanted,
        pacing: &Pacing,
        ticket: &mut Ticket,
    ) -> Result<(), SyncError> {
        for name in wanted.fields.attributes.keys() {
            if rules.exists(name) {
                continue;
            }
            let cell = self
                .created
                .lock()
                .expect("attributes lock")
                .entry(name.clone())
                .or_default()
                .clone();
            cell.get_or_try_init(|| async {
                tracing::info!(attribute = %name, "creating an Intercom attribute");
                let made = pacing
                    .send(ticket, || {
                        self.client.create_data_attribute(pacing, name, "string")
                    })
                    .await;
                match made {
                    Ok(_) => Ok(()),
                    // Refused: perhaps made already by an attempt whose answer was lost, or
                    // by someone meanwhile. The attributes say.
                    Err(Halt::Failed(error)) => {
                        let attributes = pacing
                            .send(ticket, || self.client.data_attributes(pacing))
                            .await?;
                        if attributes.iter().any(|a| a.name == *name) {
                            Ok(())
                        } else {
                            Err(Halt::Failed(error))
                        }
                    }
                    Err(stopped) => Err(stopped),
                }
            })
            .await?;
        }
        Ok(())
    }

    /// Tags `ids` with `tag`: one bulk call, halved when Intercom refuses the list
    /// (its length is undocumented, **assumed** ≤ 100) down to `SMALLEST_HALF`, and one call
    /// per contact the bulk call did not tag (lead ids in `users` are **assumed** to work).
    /// What each id came to: tagged, or why not; a stopped run stops it whole.
    async fn tag(
        &self,
        tag: &str,
        ids: &[String],
        pacing: &Pacing,
    ) -> Result<HashMap<String, Result<(), Halt>>, Halt> {
        let mut ticket = Ticket::default();
        let mut came = HashMap::new();
        let mut batches = vec![ids.to_vec()];
        while let Some(batch) = batches.pop() {
            let answer: Result<Tag, Halt> = pacing
                .send(&mut ticket, || self.client.tag_many(pacing, tag, &batch))
                .await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(Halt::Failed(TargetError::Rejected { status: 400, .. }))
                    if batch.len() > SMALLEST_HALF =>
                {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    batches.push(a.to_vec());
                    batches.push(b.to_vec());
                    continue;
                }
                Err(failed @ Halt::Failed(_)) => {
                    came.extend(batch.into_iter().map(|id| (id, Err(failed.clone()))));
                    continue;
                }
                Err(stopped) => return Err(stopped),
            };
            // 2.16 lists the contacts tagged; the older answer lists none, and its success
            // is read as the whole list tagged.
            let listed: BTreeSet<&str> = match &answer.users {
                Some(users) => users
                    .iter()
                    .filter(|u| u.tagged)
                    .map(|u| u.id.as_str())
                    .collect(),
                None => batch.iter().map(String::as_str).collect(),
            };
            for id in &batch {
                let one = if listed.contains(id.as_str()) {
                    Ok(())
                } else {
                    match pacing
                        .send(&mut ticket, || self.client.tag_one(pacing, id, &answer.id))
                        .await
                    {
                        Err(stopped @ Halt::Stopped(_)) => return Err(stopped),
                        other => other,
                    }
                };
                came.insert(id.clone(), one);
            }
        }
        Ok(came)
    }
}

/// The smallest list a refused bulk tag call is halved to: a refusal of fewer is not about
/// the list's length, and halving on would cost a call per contact.
const SMALLEST_HALF: usize = 10;

/// The catalog, and the run's settings resolved against it.
#[derive(Debug)]
pub struct Rules {
    pub catalog: Catalog,
    settings: Settings,
    /// Tags for every row.
    tags: Vec<String>,
    /// The attribute of each column the input does not understand (`Row::extra`).
    columns: Vec<Column>,
}

impl Rules {
    fn exists(&self, name: &str) -> bool {
        rules::slot(&self.catalog, name).is_ok_and(|s| s.exists)
    }

    /// The slot of an attribute we name (position, messenger ids, the comment).
    fn named(&self, name: &str) -> Result<Slot, String> {
        rules::slot(&self.catalog, name)
    }

    /// Every attribute the profiles fill, by the slot's name, or why one cannot be.
    fn needed(&self, profiles: &Profiles) -> Result<BTreeSet<String>, String> {
        let mut needed = BTreeSet::new();
        for (_, profile) in profiles.iter() {
            if let ContactKey::Messenger(value) = &profile.key
                && let Some((channel, _)) = value.split_once('|')
            {
                needed.insert(self.named(&rules::messenger_attribute(channel))?.name);
            }
            let Some(details) = profile.details.as_deref() else {
                continue;
            };
            if details.position.is_some() {
                needed.insert(self.named(rules::POSITION_ATTRIBUTE)?.name);
            }
            for (column, _) in &details.extra {
                match self.columns.get(*column as usize) {
                    Some(Column::Attribute(Ok(slot))) => {
                        needed.insert(slot.name.clone());
                    }
                    Some(Column::Attribute(Err(why))) => return Err(why.clone()),
                    Some(Column::ExternalId) | None => {}
                }
            }
            if profile.comment.is_some()
                && let Some(name) = self.settings.comment_attribute()
            {
                needed.insert(self.named(name)?.name);
            }
        }
        Ok(needed)
    }
}

impl Target for IntercomTarget {
    type Catalog = Catalog;
    type Rules = Rules;
    type Wanted = Wanted;

    fn kind(&self) -> TargetKind {
        TargetKind::Intercom
    }

    fn account(&self) -> String {
        account_of(self.client.base_url(), self.client.token())
    }

    /// The pre-flight: the contact model's attributes (whose answer's headers give the
    /// rate) and the tags.
    async fn read_catalog(&self, pacing: &Pacing) -> Result<Catalog, Halt> {
        let mut ticket = Ticket::default();
        let attributes = pacing
            .send(&mut ticket, || self.client.data_attributes(pacing))
            .await?;
        let tags = pacing
            .send(&mut ticket, || self.client.tags(pacing))
            .await?;
        Ok(Catalog {
            attributes,
            tags,
            per_minute: pacing.announced_per_minute(),
        })
    }

    fn rules(&self, catalog: Catalog, tags: &[String], header: &Header) -> Result<Rules, Refusal> {
        if let Some(name) = self.settings.comment_attribute() {
            rules::slot(&catalog, name)?;
        }
        Ok(Rules {
            columns: rules::columns(&catalog, header),
            catalog,
            settings: self.settings.clone(),
            tags: tags.to_vec(),
        })
    }

    fn account_name(_: &Catalog) -> Option<String> {
        None
    }

    fn catalog_view(catalog: &Catalog) -> Value {
        serde_json::json!({
            "attributes": rules::attribute_view(catalog),
            "tags": catalog.tags.iter().map(|t| &t.name).collect::<Vec<_>>(),
            "rate_limit_per_minute": catalog.per_minute,
        })
    }

    fn allowance(_: &Rules, _: u64) -> Allowance {
        // Intercom limits requests per 10 seconds; none is paid.
        Allowance::Unmetered
    }

    fn rate_per_minute(rules: &Rules) -> Option<u64> {
        rules.catalog.per_minute
    }

    fn check_row(rules: &Rules, row: &Row) -> Result<Vec<Warning>, Problem> {
        for (column, cell) in &row.extra {
            if let Some(Column::Attribute(Ok(slot))) = rules.columns.get(*column as usize) {
                rules::value(slot, cell).map_err(Problem::Target)?;
            }
        }
        Ok(Vec::new())
    }

    fn ready(rules: &Rules, profiles: &Profiles) -> Result<(), Refusal> {
        let needed = rules.needed(profiles)?;
        let missing: Vec<&str> = needed
            .iter()
            .map(String::as_str)
            .filter(|n| !rules.exists(n))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if !rules.settings.create_attributes {
            return Err(Refusal::new(
                ATTRIBUTES_MISSING,
                rules::missing_attributes(&missing),
            ));
        }
        let custom = rules.catalog.attributes.iter().filter(|a| a.custom).count();
        if custom + missing.len() > api::MAX_CUSTOM_ATTRIBUTES {
            return Err(Refusal::new(
                ATTRIBUTES_FULL,
                format!(
                    "the list needs {} new custom attributes and the workspace has {custom} of the \
                 {} Intercom allows: remove columns, or archive unused attributes",
                    missing.len(),
                    api::MAX_CUSTOM_ATTRIBUTES
                ),
            ));
        }
        Ok(())
    }

    fn work(rules: &Rules, profiles: &Profiles) -> Vec<Work<Wanted>> {
        rules::contacts(profiles)
            .into_iter()
            .map(|contact| Work {
                wanted: wanted(rules, profiles, &contact),
                profiles: contact,
            })
            .collect()
    }

    fn expected(_: &Rules, wanted: &Wanted, entries: &Entries) -> u64 {
        sync::expected(wanted, entries)
    }

    fn batch_expected<'w>(
        _: &Rules,
        pieces: impl Iterator<Item = &'w Wanted>,
        entries: &Entries,
    ) -> u64 {
        let mut per_tag: BTreeMap<&str, usize> = BTreeMap::new();
        let mut companies = BTreeSet::new();
        for wanted in pieces {
            let known = Known::from_entry(entries.get(&wanted.key));
            for tag in &wanted.tags {
                if !known.tags.contains(tag) {
                    *per_tag.entry(tag).or_default() += 1;
                }
            }
            if let Some(company) = &wanted.company
                && !entries.contains_key(&Companies::key(&company.company_id))
            {
                companies.insert(company.company_id.as_str());
            }
        }
        tag_calls(per_tag.into_values()) + companies.len() as u64
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
        self.create_attributes(rules, wanted, pacing, ticket)
            .await?;
        let sync = Sync {
            client: &self.client,
            pacing,
            ledger,
            unarchive: self.settings.unarchive,
            search_lag: self.search_lag,
            companies: &self.companies,
        };
        let brought = sync.contact(wanted, entries, ticket).await?;
        let done = sync::every(wanted, brought.done.clone());
        if wanted.tags.is_subset(&brought.known.tags) {
            finish(ledger, wanted, &brought).await?;
        } else {
            self.untagged
                .lock()
                .expect("untagged lock")
                .insert(wanted.key.clone(), brought);
        }
        Ok(done)
    }

    fn defers(&self, _: &Rules, wanted: &Wanted) -> bool {
        self.untagged
            .lock()
            .expect("untagged lock")
            .contains_key(&wanted.key)
    }

    /// "contacts tagged in bulk (`POST /tags` with many contacts per call)": one call per
    /// tag per `api::TAG_BATCH` contacts, each contact's ledger entry written as its tag
    /// goes in.
    async fn batched(
        &self,
        _: &Rules,
        pieces: Vec<(&Wanted, Vec<Done>)>,
        ledger: &AccountLedger<'_>,
        pacing: &Pacing,
    ) -> Vec<Result<Vec<Done>, SyncError>> {
        let mut untagged = std::mem::take(&mut *self.untagged.lock().expect("untagged lock"));
        let mut per_tag: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (wanted, _) in &pieces {
            if let Some(brought) = untagged.get(&wanted.key) {
                for tag in wanted.tags.difference(&brought.known.tags) {
                    per_tag
                        .entry(tag.clone())
                        .or_default()
                        .push(wanted.key.clone());
                }
            }
        }
        let mut failed: HashMap<String, SyncError> = HashMap::new();
        for (tag, keys) in per_tag {
            for chunk in keys.chunks(api::TAG_BATCH) {
                let keys: Vec<&String> =
                    chunk.iter().filter(|k| !failed.contains_key(*k)).collect();
                let ids: Vec<String> = keys.iter().map(|k| untagged[*k].id.clone()).collect();
                if ids.is_empty() {
                    continue;
                }
                let came = match self.tag(&tag, &ids, pacing).await {
                    Ok(came) => came,
                    Err(stopped) => {
                        for key in keys {
                            failed.insert(key.clone(), SyncError::Halt(stopped.clone()));
                        }
                        continue;
                    }
                };
                for key in keys {
                    let brought = untagged.get_mut(key).expect("an untagged contact");
                    match came.get(&brought.id) {
                        Some(Ok(())) => {}
                        Some(Err(halt)) => {
                            if let Halt::Failed(TargetError::Rejected { status: 410, .. }) = halt {
                                // Merged away: forgetting what it holds makes the next run's
                                // write find the contact it went into.
                                brought.known = Known::default();
                                let _ = ledger
                                    .record(
                                        key,
                                        &TargetId::from(brought.id.clone()),
                                        &serde_json::to_string(&brought.known).expect("JSON"),
                                        None,
                                    )
                                    .await;
                            }
                            failed.insert(key.clone(), SyncError::Halt(halt.clone()));
                            continue;
                        }
                        None => continue,
                    }
                    brought.known.tags.insert(tag.clone());
                    let recorded = ledger
                        .record(
                            key,
                            &TargetId::from(brought.id.clone()),
                            &serde_json::to_string(&brought.known).expect("JSON"),
                            None,
                        )
                        .await;
                    if let Err(error) = recorded {
                        failed.insert(key.clone(), error.into());
                    }
                }
            }
        }
        let mut results = Vec::with_capacity(pieces.len());
        for (wanted, done) in pieces {
            let result = match (failed.remove(&wanted.key), untagged.remove(&wanted.key)) {
                (Some(error), _) => Err(error),
                (None, Some(brought)) => finish(ledger, wanted, &brought).await.map(|()| done),
                (None, None) => Ok(done),
            };
            results.push(result);
        }
        results
    }
}

/// The contact is all it should be: its fingerprint recorded, so a re-run spends nothing.
async fn finish(
    ledger: &AccountLedger<'_>,
    wanted: &Wanted,
    brought: &Brought,
) -> Result<(), SyncError> {
    ledger
        .record(
            &wanted.key,
            &TargetId::from(brought.id.clone()),
            &serde_json::to_string(&brought.known).expect("JSON"),
            Some(&wanted.fingerprint()),
        )
        .await?;
    Ok(())
}

/// What one contact should be, from its profiles (`rules::contacts`: the key profile first).
fn wanted(rules: &Rules, profiles: &Profiles, contact: &[u32]) -> Wanted {
    let members: Vec<_> = contact.iter().map(|&p| profiles.get(p)).collect();
    let first = members[0];
    let mut notes = Vec::new();
    let mut attributes = BTreeMap::new();
    let mut put = |name: Result<Slot, String>, text: &str, notes: &mut Vec<Warning>| {
        let Ok(slot) = name else { return };
        // Checked on every row (`check_row`): a value here fits its attribute.
        let Ok(mut value) = rules::value(&slot, text) else {
            return;
        };
        if let Value::String(text) = &value {
            let (cut, was) = rules::fit(text);
            if was {
                notes.push(cut_note(&slot.name));
                value = Value::String(cut);
            }
        }
        attributes.entry(slot.name).or_insert(value);
    };
    let mut phone = None;
    for member in &members {
        match &member.key {
            ContactKey::Phone(digits) => {
                let number = format!("+{digits}");
                if phone.is_none() {
                    phone = Some(number);
                } else {
                    notes.push(second_phone(&number));
                }
            }
            ContactKey::Messenger(value) => {
                if let Some((channel, id)) = value.split_once('|') {
                    put(
                        rules.named(&rules::messenger_attribute(channel)),
                        id,
                        &mut notes,
                    );
                }
            }
            ContactKey::Email(_) => {}
        }
    }
    let first_of = |f: &dyn Fn(&crate::identity::Profile) -> Option<&str>| {
        members.iter().find_map(|m| f(m)).map(str::to_owned)
    };
    let name = first_of(&|p| p.name.as_deref());
    let position = first_of(&|p| p.details.as_ref()?.position.as_deref());
    if let Some(position) = &position {
        put(rules.named(rules::POSITION_ATTRIBUTE), position, &mut notes);
    }
    let mut external_id = None;
    for member in &members {
        for (column, cell) in member.details.iter().flat_map(|d| &d.extra) {
            match rules.columns.get(*column as usize) {
                Some(Column::Attribute(slot)) => put(slot.clone(), cell, &mut notes),
                Some(Column::ExternalId) if external_id.is_none() => {
                    external_id = Some(cell.trim().to_owned()).filter(|id| !id.is_empty());
                }
                _ => {}
            }
        }
    }
    let mut note = first_of(&|p| p.comment.as_deref());
    if let Some(name) = rules.settings.comment_attribute()
        && let Some(comment) = note.take()
    {
        if comment.chars().count() > api::STRING_ATTRIBUTE_LIMIT {
            // "longer comments go to a note".
            notes.push(long_comment());
            note = Some(comment);
        } else {
            put(rules.named(name), &comment, &mut notes);
        }
    }
    let company = first_of(&|p| p.details.as_ref()?.company.as_deref()).map(|name| CompanyRef {
        company_id: rules::company_id(&name),
        name,
    });
    let mut tags: BTreeSet<String> = members
        .iter()
        .flat_map(|m| profiles.tags(m))
        .map(str::to_owned)
        .collect();
    tags.extend(rules.tags.iter().cloned());
    let (role, email) = match &first.key {
        ContactKey::Email(address) => (Role::User, Some(address.to_string())),
        // "A `user` needs `email` or `external_id`"; a lead takes no `external_id`.
        _ if external_id.is_some() => (Role::User, None),
        _ => (Role::Lead, None),
    };
    let lookup = match (&first.key, &external_id) {
        (ContactKey::Email(address), _) => Query::equals("email", address),
        (_, Some(id)) => Query::equals("external_id", id),
        (key, None) => lead_lookup(rules, key, phone.as_deref()),
    };
    Wanted {
        key: first.key.to_string(),
        role,
        email,
        external_id,
        lookup,
        fields: Fields {
            name,
            phone,
            attributes,
        },
        note,
        company,
        tags,
        profiles: contact.len(),
        notes,
    }
}

/// How a lead is found: by its phone, or its messenger id's attribute.
fn lead_lookup(rules: &Rules, key: &ContactKey, phone: Option<&str>) -> Query {
    match key {
        ContactKey::Email(address) => Query::equals("email", address),
        ContactKey::Phone(_) => Query::equals("phone", phone.unwrap_or_default()),
        ContactKey::Messenger(value) => {
            let (channel, id) = value.split_once('|').unwrap_or((value, ""));
            let slot = rules
                .named(&rules::messenger_attribute(channel))
                .map(|s| s.name)
                .unwrap_or_else(|_| rules::messenger_attribute(channel));
            Query::equals(&format!("custom_attributes.{slot}"), id)
        }
    }
}

fn cut_note(attribute: &str) -> Warning {
    let attribute = attribute.to_owned();
    Warning::Target(said(move |lang| match lang {
        Lang::Ru => format!(
            "«{attribute}»: в Intercom помещается {} символов, текст обрезан",
            api::STRING_ATTRIBUTE_LIMIT
        ),
        Lang::En => format!(
            "“{attribute}”: Intercom keeps {} characters, the text is cut",
            api::STRING_ATTRIBUTE_LIMIT
        ),
    }))
}

fn long_comment() -> Warning {
    Warning::Target(said(|lang| match lang {
        Lang::Ru => format!(
            "комментарий длиннее {} символов: он добавлен заметкой, а не в атрибут",
            api::STRING_ATTRIBUTE_LIMIT
        ),
        Lang::En => format!(
            "the comment is over {} characters: it is added as a note, not to the attribute",
            api::STRING_ATTRIBUTE_LIMIT
        ),
    }))
}

fn second_phone(number: &str) -> Warning {
    let number = number.to_owned();
    Warning::Target(said(move |lang| match lang {
        Lang::Ru => format!(
            "в контакте Intercom один телефон: {number} не загружен, добавьте его отдельной строкой"
        ),
        Lang::En => format!(
            "an Intercom contact has one phone: {number} is not loaded; put it on a row of its own"
        ),
    }))
}
