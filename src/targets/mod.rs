//! Targets: the systems profiles are loaded into. Each is a folder behind one interface,
//! [`Target`]; the kind is chosen once, at the edge (the command line, a job, the add-on's
//! settings), from [`TargetKind`], the one list of kinds. After that the engine (`check`,
//! `load`, the server) is generic and names no target.
//!
//! To add a target: a folder here with its wire format, client, catalog, rules, sync, cost
//! model, sandbox and probe (see `chat2desk/`), one variant in `TargetKind`, and one arm
//! in each `match` on it below (the compiler lists them); `docs/design.md` walks through it.
//!
//! What every target shares: tolerant readers of answers (`lenient`) and the sandboxes'
//! faults (`sandbox_kit`).

pub mod chat2desk;
pub mod findings;
pub mod intercom;
pub mod lenient;
pub mod omnidesk;
pub mod refusal;
pub mod sandbox_kit;

pub use findings::{Finding, Verdict, masked};

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::domain::{Problem, Row, Said, Warning};
use crate::identity::Profiles;
use crate::input::{Header, Source};
use crate::load::{LoadError, LoadOptions, Loaded, Progress};
use crate::pacing::{Halt, Pacing, Ticket};
use crate::plan::CostModel;
use crate::store::{Entry, Store, StoreError};

/// The kinds of target: the one list. Each names its [`Kind`] in `TargetKind::kind`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    #[default]
    Chat2desk,
    Omnidesk,
    Intercom,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [
        TargetKind::Chat2desk,
        TargetKind::Omnidesk,
        TargetKind::Intercom,
    ];

    /// What the kind is and how it connects.
    pub fn kind(self) -> &'static dyn Kind {
        match self {
            TargetKind::Chat2desk => &chat2desk::KIND,
            TargetKind::Omnidesk => &omnidesk::KIND,
            TargetKind::Intercom => &intercom::KIND,
        }
    }

    /// The name in flags, jobs, URLs and account ids: `chat2desk`.
    pub fn name(self) -> &'static str {
        self.kind().name()
    }

    /// The name a person reads: `Chat2Desk`.
    pub fn title(self) -> &'static str {
        self.kind().title()
    }

    /// What each operation costs there: `check`'s estimate, with no network.
    pub fn cost_model(self) -> &'static dyn CostModel {
        self.kind().cost_model()
    }

    /// What a valid row should say for this target before its account is read (`check`):
    /// a contact the target cannot hold, for one.
    pub fn row_notes(self, row: &Row) -> Vec<Warning> {
        self.kind().row_notes(row)
    }

    /// The names `--target` and a job's `kind` take, for messages.
    pub fn names() -> String {
        TargetKind::ALL.map(TargetKind::name).join(", ")
    }
}

impl std::str::FromStr for TargetKind {
    type Err = String;

    fn from_str(name: &str) -> Result<TargetKind, String> {
        TargetKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| format!("unknown target `{name}`: {}", TargetKind::names()))
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One credential a kind needs: its name in jobs and credential files, and the environment
/// variable the command line reads it from.
#[derive(Debug, Clone, Copy)]
pub struct CredentialSpec {
    pub name: &'static str,
    pub env: &'static str,
}

/// What a kind is, before any account is reached: its names, its prices, its credentials,
/// the addresses it may be reached at, and how to connect to one account.
pub trait Kind: Sync {
    fn name(&self) -> &'static str;
    fn title(&self) -> &'static str;
    fn cost_model(&self) -> &'static dyn CostModel;
    fn row_notes(&self, _row: &Row) -> Vec<Warning> {
        Vec::new()
    }
    fn credentials(&self) -> &'static [CredentialSpec];

    /// What a person should know before a live run writes into the account (Intercom:
    /// live campaigns message fresh contacts at once), in both languages.
    fn before_live_run(&self) -> Option<Said> {
        None
    }
    /// The API's address when none is given (`None`: one address per account, given).
    fn default_base_url(&self) -> Option<&'static str>;
    /// Whether a server that takes base URLs from its users may send requests to `url`:
    /// the kind's own hosts over HTTPS, or any host when `allow_other_hosts`.
    fn allowed_base_url(&self, url: &str, allow_other_hosts: bool) -> Result<(), String>;
    /// The ledger's name for the account `connection` names (`account_id`), its settings
    /// read: what `connect` would refuse is refused here, without building a client.
    fn account(&self, connection: &Connection) -> Result<String, String>;
    /// A target for the account `connection` names, with the run's settings.
    fn connect(&self, connection: &Connection) -> Result<Box<dyn Connected>, String>;
}

/// Secrets by name (Chat2Desk's `token`; Omnidesk's `staff_email` and `api_key`). Never
/// shown: `Debug` lists the names only.
#[derive(Clone, Default)]
pub struct Credentials(BTreeMap<String, SecretString>);

impl Credentials {
    pub fn insert(&mut self, name: &str, value: SecretString) {
        self.0.insert(name.to_owned(), value);
    }

    /// The credential `name`, or what to give.
    pub fn get(&self, kind: &dyn Kind, name: &str) -> Result<&SecretString, String> {
        self.0
            .get(name)
            .filter(|v| !v.expose_secret().trim().is_empty())
            .ok_or_else(|| {
                let env = kind
                    .credentials()
                    .iter()
                    .find(|c| c.name == name)
                    .map_or(String::new(), |c| format!(" (or {})", c.env));
                format!("{}: no {name} given{env}", kind.title())
            })
    }

    /// One secret holding them all, to be sealed (JSON of the names and values).
    pub fn to_secret(&self) -> SecretString {
        let map: BTreeMap<&str, &str> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose_secret()))
            .collect();
        SecretString::from(serde_json::to_string(&map).expect("strings serialise"))
    }

    /// What `to_secret` made; a job sealed before credentials had names holds Chat2Desk's
    /// bare token.
    pub fn from_secret(secret: &SecretString) -> Credentials {
        match serde_json::from_str::<BTreeMap<String, String>>(secret.expose_secret()) {
            Ok(map) => Credentials(
                map.into_iter()
                    .map(|(k, v)| (k, SecretString::from(v)))
                    .collect(),
            ),
            Err(_) => {
                let mut credentials = Credentials::default();
                credentials.insert("token", secret.clone());
                credentials
            }
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// A target account as an edge names it: where, who, and the run's settings.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The API's address; the kind's default when `None`.
    pub base_url: Option<String>,
    pub credentials: Credentials,
    /// The kind's own settings (`channel`, `tags_field`, …) as JSON: each kind reads its own
    /// and refuses what it does not know.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// How long to wait for one answer.
    pub timeout: Duration,
}

impl Connection {
    /// The base URL given, or the kind's default, or what to give.
    pub fn base_url(&self, kind: &dyn Kind) -> Result<String, String> {
        self.base_url
            .clone()
            .or_else(|| kind.default_base_url().map(str::to_owned))
            .ok_or_else(|| {
                format!(
                    "{}: give the account's address (--base-url, base_url)",
                    kind.title()
                )
            })
    }

    /// The kind's settings, read from `settings`; a setting it does not take is refused.
    pub fn settings<S: serde::de::DeserializeOwned>(&self, kind: &dyn Kind) -> Result<S, String> {
        serde_json::from_value(serde_json::Value::Object(self.settings.clone()))
            .map_err(|e| format!("{} settings: {e}", kind.title()))
    }
}

/// A connected target, one type for every kind: what the command line and the server drive.
pub trait Connected: Send + Sync {
    fn kind(&self) -> TargetKind;
    /// The ledger's name for the account.
    fn account(&self) -> String;
    /// Loads a list (`crate::load::load`).
    fn load<'a>(
        &'a self,
        source: Source,
        ledger: &'a Store,
        options: &'a LoadOptions,
        pacing: &'a Pacing,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Loaded, LoadError>>;
    /// The account's catalog as the add-on's settings show it, and the account's name.
    fn catalog<'a>(
        &'a self,
        pacing: &'a Pacing,
    ) -> BoxFuture<'a, Result<(serde_json::Value, Option<String>), Halt>>;
}

impl<T: Target + 'static> Connected for T {
    fn kind(&self) -> TargetKind {
        Target::kind(self)
    }

    fn account(&self) -> String {
        Target::account(self)
    }

    fn load<'a>(
        &'a self,
        source: Source,
        ledger: &'a Store,
        options: &'a LoadOptions,
        pacing: &'a Pacing,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Loaded, LoadError>> {
        Box::pin(crate::load::load(
            source, self, ledger, options, pacing, progress,
        ))
    }

    fn catalog<'a>(
        &'a self,
        pacing: &'a Pacing,
    ) -> BoxFuture<'a, Result<(serde_json::Value, Option<String>), Halt>> {
        Box::pin(async move {
            let catalog = self.read_catalog(pacing).await?;
            Ok((T::catalog_view(&catalog), T::account_name(&catalog)))
        })
    }
}

/// A target's id for a profile, opaque: `"123"` in Chat2Desk, a hex string elsewhere.
/// Reports carry it as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct TargetId(Box<str>);

impl TargetId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<u64> for TargetId {
    fn from(id: u64) -> TargetId {
        TargetId(id.to_string().into())
    }
}

impl From<String> for TargetId {
    fn from(id: String) -> TargetId {
        TargetId(id.into())
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ledger's name for an account: `<kind>:<digest>`, the digest of the account's address
/// and credentials, so that no credential is ever stored.
pub fn account_id(kind: TargetKind, parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}:{hex}", kind.name())
}

/// What a paid request costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub each: f64,
    pub currency: &'static str,
}

/// What the account allows this run to spend without paying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Allowance {
    /// Requests are only paced; none is paid.
    Unmetered,
    /// `left` free requests remain (after the catalog's); each further one costs `price`.
    Free { left: u64, price: Price },
    /// The account does not say what is free; past it each costs `price`.
    Unknown { price: Price },
}

/// What became of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synced {
    Created,
    Updated,
    Unchanged,
}

/// One profile brought into the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub synced: Synced,
    pub id: Option<TargetId>,
    /// What the row should also say (the profile cannot be reached where asked, …).
    pub notes: Vec<Warning>,
}

/// One piece of work: the profiles a target writes together (one, or a linked cluster for a
/// target that links), and what they should be.
#[derive(Debug, Clone)]
pub struct Work<W> {
    /// The profiles (ids in `Profiles`), the first the one requests are counted on.
    pub profiles: Vec<u32>,
    pub wanted: W,
}

/// The ledger of one account, as the load sees it: entries by contact key.
pub type Entries = HashMap<String, Entry>;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Halt(#[from] Halt),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Where a piece of work is recorded: one account's ledger, and the run writing it.
#[derive(Debug, Clone, Copy)]
pub struct AccountLedger<'a> {
    pub store: &'a Store,
    /// The ledger's name for the account (`account_id`).
    pub account: &'a str,
    /// The run's name (a server's job id), recorded with the creates it sends: resumed
    /// after a crash, the same run reports what it created as created.
    pub run: Option<&'a str>,
}

impl AccountLedger<'_> {
    /// Records that a create for `key` is about to be sent.
    pub async fn create_sent(&self, key: &str) -> Result<(), StoreError> {
        self.store.create_sent(self.account, key, self.run).await
    }

    /// The create found a profile someone else made.
    pub async fn not_created(&self, key: &str) -> Result<(), StoreError> {
        self.store.not_created(self.account, key).await
    }

    /// Records the profile's id and what the account holds; `done` is the fingerprint of
    /// the wanted state once it is reached.
    pub async fn record(
        &self,
        key: &str,
        id: &TargetId,
        applied: &str,
        done: Option<&str>,
    ) -> Result<(), StoreError> {
        self.store
            .record(self.account, key, id.as_str(), applied, done)
            .await
    }

    /// Whether `entry` was created by this very run, before it was cut off and resumed.
    pub fn created_by_this_run(&self, entry: Option<&Entry>) -> bool {
        self.run.is_some() && entry.and_then(|e| e.created_by.as_deref()) == self.run
    }
}

/// A target system, as the engine drives it. The kind's own settings (a channel, a tags
/// field) live in the value; everything the engine needs goes through these.
pub trait Target: Send + Sync {
    /// What the account has, read once per run.
    type Catalog: Send + Sync + 'static;
    /// The run's settings resolved against the catalog: what rows are checked against and
    /// profiles are made from.
    type Rules: Send + Sync + 'static;
    /// What one piece of work should be in the account.
    type Wanted: Send + Sync;

    fn kind(&self) -> TargetKind;

    /// The ledger's name for the account (`account_id`).
    fn account(&self) -> String;

    /// Reads what the account has, through the run's pacing.
    fn read_catalog(
        &self,
        pacing: &Pacing,
    ) -> impl Future<Output = Result<Self::Catalog, Halt>> + Send;

    /// The run's settings, `tags` (for every row) and the list's `header` (a target may
    /// take columns the input does not understand as its own fields) resolved against the
    /// catalog; the error says what to fix before anything is written.
    fn rules(
        &self,
        catalog: Self::Catalog,
        tags: &[String],
        header: &Header,
    ) -> Result<Self::Rules, refusal::Refusal>;

    /// The account's name, for reports.
    fn account_name(catalog: &Self::Catalog) -> Option<String>;

    /// The catalog as the add-on's settings show it (`/v1/targets/{kind}/catalog`).
    fn catalog_view(catalog: &Self::Catalog) -> serde_json::Value;

    /// What may be spent without paying, once `spent` requests read the catalog.
    fn allowance(rules: &Self::Rules, spent: u64) -> Allowance;

    /// The requests a minute the account allows, when it says: the estimate's time.
    fn rate_per_minute(_rules: &Self::Rules) -> Option<u64> {
        None
    }

    /// Whether the work needs each e-mail as the rows wrote it (`Profiles::spelling`): for
    /// an account that tells `Ivan@Mail.ru` from `ivan@mail.ru`. Off, a list keeps none.
    fn spellings(_rules: &Self::Rules) -> bool {
        false
    }

    /// The target's own verdict on a valid row, before any write: refused when it names
    /// what the account lacks, else its notes.
    fn check_row(rules: &Self::Rules, row: &Row) -> Result<Vec<Warning>, Problem>;

    /// Whether the run may start with the list as checked; the error says what to fix
    /// (Omnidesk: tags, and no field named for them).
    fn ready(_rules: &Self::Rules, _profiles: &Profiles) -> Result<(), refusal::Refusal> {
        Ok(())
    }

    /// The work the profiles make; a profile in none cannot go into this target (its row
    /// already says why).
    fn work(rules: &Self::Rules, profiles: &Profiles) -> Vec<Work<Self::Wanted>>;

    /// Requests the work is expected to need, from the ledger: 0 when it is done and
    /// unchanged. Reserved from the budget before it starts.
    fn expected(rules: &Self::Rules, wanted: &Self::Wanted, entries: &Entries) -> u64;

    /// The results of work that is done and unchanged, from the ledger, one per profile.
    fn settled(
        rules: &Self::Rules,
        wanted: &Self::Wanted,
        entries: &Entries,
        ledger: &AccountLedger<'_>,
    ) -> Vec<Done>;

    /// Requests the batched writes of `pieces` are expected to need, beyond each piece's
    /// own (`expected`): Intercom tags many contacts in one call.
    fn batch_expected<'w>(
        _rules: &Self::Rules,
        _pieces: impl Iterator<Item = &'w Self::Wanted>,
        _entries: &Entries,
    ) -> u64
    where
        Self::Wanted: 'w,
    {
        0
    }

    /// Whether a piece that `sync` brought in still has a write the target sends for many
    /// pieces at once (`batched`); its rows wait for it.
    fn defers(&self, _rules: &Self::Rules, _wanted: &Self::Wanted) -> bool {
        false
    }

    /// Sends the writes the deferred pieces share, once every piece is synced, and gives
    /// each piece its final results, in order (`synced` is what `sync` gave it).
    fn batched(
        &self,
        _rules: &Self::Rules,
        pieces: Vec<(&Self::Wanted, Vec<Done>)>,
        _ledger: &AccountLedger<'_>,
        _pacing: &Pacing,
    ) -> impl Future<Output = Vec<Result<Vec<Done>, SyncError>>> + Send {
        let results = pieces.into_iter().map(|(_, done)| Ok(done)).collect();
        std::future::ready(results)
    }

    /// Brings the work into the account with the fewest requests, recording every step in
    /// the ledger before the next, so that a crash anywhere leaves an entry a re-run goes on
    /// from. One result per profile of the work, in its order.
    fn sync(
        &self,
        rules: &Self::Rules,
        wanted: &Self::Wanted,
        entries: &Entries,
        ledger: &AccountLedger<'_>,
        pacing: &Pacing,
        ticket: &mut Ticket,
    ) -> impl Future<Output = Result<Vec<Done>, SyncError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_masked_in_any_case_and_a_short_one_ends() {
        assert_eq!(
            masked(
                "401 for Staff@Acme.ru; staff@acme.ru",
                "staff@acme.ru",
                "«x»"
            ),
            "401 for «x»; «x»"
        );
        assert_eq!(masked("«e»e", "e", "«e»"), "««e»»«e»");
        assert_eq!(masked("text", "", "«x»"), "text");
    }
}
