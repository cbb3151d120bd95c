//! `serve`: the backend the Sheets add-on calls. Jobs are durable in the store (SQLite on
//! one machine, PostgreSQL for several instances); workers take them under leases and run
//! the same engine as `check` and `load`.
//!
//! - `config`: the TOML file and the environment.
//! - `api`: the HTTP API (`/v1/jobs`, …), its errors and who the caller is.
//! - `submit`: `POST /v1/jobs` — bounds, pace, proof of access, the sheet's slot.
//! - `listener`: the HTTP listener's timeouts and connection cap.
//! - `auth`: who may call it — Google ID tokens, or static API keys.
//! - `metrics`: `/metrics` for Prometheus.
//! - `worker`: from the sheet, through the engine, back to the sheet.

pub mod api;
pub mod auth;
pub mod config;
pub mod listener;
pub mod metrics;
pub mod submit;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{Notify, watch};

pub use config::Config;

use crate::secrets::Sealer;
use crate::store::Store;

/// How long one request of the server's to Google or to a target may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What the handlers and workers share.
pub struct Shared {
    pub config: Config,
    pub store: Store,
    pub sealer: Sealer,
    /// Verifies Google ID tokens, when client ids are configured.
    pub oidc: Option<auth::Oidc>,
    /// Sheets access for jobs sent without the user's Google token.
    pub service_account: Option<Arc<crate::sheets::ServiceAccount>>,
    /// Status-write slots per spreadsheet, shared by all of this instance's jobs: two jobs
    /// on two sheets of one spreadsheet still write once per interval between them.
    pub sheets_pacer: crate::sheets::WritePacer,
    /// Rung when a job is submitted, so that an idle worker looks at once.
    pub wake: Notify,
    pub metrics: metrics::Metrics,
    /// Each owner's pace of submits.
    pub submits: submit::SubmitPace,
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Opens the store, binds the address and starts the HTTP API and the workers.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        config.check()?;
        let store = if config.database.contains("://") {
            Store::open_url(&config.database).await?
        } else {
            Store::open(std::path::Path::new(&config.database)).await?
        };
        let sealer = sealer(&config)?;
        check_sealed_tokens(&store, &sealer).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let workers = config.workers;
        if config.api_keys.is_empty() && config.google_client_ids.is_empty() {
            tracing::warn!(
                "no API key and no Google client id are configured: every /v1 request is \
                 refused until one is (docs/deploy.md)"
            );
        }
        let oidc = (!config.google_client_ids.is_empty())
            .then(|| auth::Oidc::new(&config.google_jwks_url, config.google_client_ids.clone()));
        let service_account = match &config.google_service_account_key {
            Some(path) => Some(Arc::new(crate::sheets::ServiceAccount::from_file(
                std::path::Path::new(path),
            )?)),
            None => None,
        };
        let sheets_pacer = crate::sheets::WritePacer::new(std::time::Duration::from_millis(
            config.sheets_min_interval_ms,
        ));
        let shared = Arc::new(Shared {
            submits: submit::SubmitPace::new(config.limits.submits_per_minute),
            sheets_pacer,
            config,
            store,
            sealer,
            oidc,
            service_account,
            wake: Notify::new(),
            metrics: metrics::Metrics::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let app = api::router(&shared.config.limits).with_state(shared.clone());
        tasks.push(tokio::spawn(listener::serve(
            listener,
            app,
            listener::Limits::of(&shared.config.limits),
            stopped.clone(),
        )));
        tasks.push(tokio::spawn(purge(shared.clone(), stopped.clone())));
        let instance = format!("{:08x}", rand::random::<u32>());
        for n in 0..workers {
            tasks.push(tokio::spawn(worker::work(
                shared.clone(),
                format!("{instance}-{n}"),
                stopped.clone(),
            )));
        }
        Ok(Server { addr, stop, tasks })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops taking requests and jobs. A job in flight stops after its current requests and
    /// is left to be resumed (its lease runs out); nothing is half-reported.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The key that seals tokens at rest: the configured one, else — for a SQLite store on one
/// machine — the key in the file beside the store, made on first start (mode 0600). Several
/// instances on PostgreSQL must share one key, so there it must be configured.
fn sealer(config: &Config) -> anyhow::Result<Sealer> {
    if !config.sealing_key.is_empty() {
        return Sealer::from_base64_key(&config.sealing_key).context("the configured sealing_key");
    }
    if config.database.contains("://") {
        anyhow::bail!(
            "no sealing key: with a database URL every instance must use the same key, so set \
             sealing_key or CONTACT_LOADER_SEALING_KEY (32 bytes in base64, e.g. `openssl rand \
             -base64 32`)"
        );
    }
    let path = key_file(std::path::Path::new(&config.database));
    let key = match std::fs::read_to_string(&path) {
        Ok(key) => key,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = Sealer::new_base64_key();
            write_private(&path, &key)
                .with_context(|| format!("cannot write a new sealing key to {}", path.display()))?;
            tracing::info!(
                path = %path.display(),
                "generated a sealing key for the store's tokens; keep this file with the store"
            );
            key
        }
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", path.display()));
        }
    };
    Sealer::from_base64_key(&key).with_context(|| format!("the sealing key in {}", path.display()))
}

/// `contact-loader.sqlite` → `contact-loader.sqlite.sealing-key`, in the same folder.
pub fn key_file(database: &std::path::Path) -> std::path::PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".sealing-key");
    std::path::PathBuf::from(name)
}

/// Creates `path` readable by its owner alone, failing if it exists (two servers starting
/// at once must not both write a key).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Live jobs whose tokens this key does not open (sealed under another key) are named in
/// the log; each fails with the same words when a worker takes it. Nothing else changes:
/// the server starts.
async fn check_sealed_tokens(store: &Store, sealer: &Sealer) -> anyhow::Result<()> {
    let unopenable: Vec<String> = store
        .live_tokens()
        .await?
        .into_iter()
        .filter(|job| {
            let opens = |sealed: &Option<String>, kind| {
                sealed.as_deref().is_none_or(|sealed| {
                    let purpose = api::token_purpose(&job.id, &job.owner, kind);
                    sealer.open(sealed, &purpose).is_ok()
                })
            };
            !opens(&job.token, api::TokenKind::Target)
                || !opens(&job.sheets_token, api::TokenKind::Google)
        })
        .map(|job| job.id)
        .collect();
    if !unopenable.is_empty() {
        tracing::error!(
            jobs = %unopenable.join(", "),
            count = unopenable.len(),
            "the sealing key does not open the tokens of these live jobs: they were sealed with \
             another key. Start with that key to run them, or they fail and their owners must \
             send them again"
        );
    }
    Ok(())
}

/// How often finished jobs past their keeping time are deleted.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes finished jobs (and their reports) older than `keep_finished_days`, at start and
/// then every hour, and forgets owners whose submit allowance is whole again.
async fn purge(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let keep = std::time::Duration::from_secs(shared.config.limits.keep_finished_days * 86_400);
    loop {
        let cut = crate::store::jobs::now_ms() - keep.as_millis() as i64;
        match shared.store.purge_finished(cut).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "finished jobs past their keeping time deleted"),
            Err(error) => tracing::error!(%error, "finished jobs cannot be purged"),
        }
        shared.submits.forget_idle();
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}
