//! The server's configuration: a TOML file, then environment variables over it.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the configuration {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// A caller known by a static key (the self-hosted mode): its name owns its jobs.
#[derive(Clone, Deserialize)]
pub struct ApiKey {
    pub name: String,
    pub key: String,
    /// The spreadsheets whose jobs this key may send without a Google token, to be opened
    /// as the server's service account. A key proves no access to a sheet by itself, so
    /// without this list it must send the user's `sheets_token` like any caller.
    #[serde(default)]
    pub spreadsheets: Vec<String>,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("name", &self.name)
            .field("spreadsheets", &self.spreadsheets)
            .finish()
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    /// A SQLite file path, or a `postgres://` URL (several instances share one).
    pub database: String,
    /// 32 bytes in base64: seals target and Sheets tokens while their job needs them.
    /// Empty: with a SQLite store, the key in the file beside it (made on first start);
    /// with PostgreSQL it must be set, the same for every instance.
    pub sealing_key: String,
    pub api_keys: Vec<ApiKey>,
    /// The add-on's OAuth client ids: ID tokens for them are accepted (empty: none are).
    pub google_client_ids: Vec<String>,
    /// Where Google publishes the keys of its ID tokens (a local server in tests).
    pub google_jwks_url: String,
    /// Accept any target base URL besides the target's own hosts (sandboxes, tests). Not
    /// with Google sign-in: then list the extra ones in `target_base_urls`.
    pub allow_other_hosts: bool,
    /// Target base URLs accepted besides the target's own hosts: a sandbox or a proxy, by
    /// scheme, host and port.
    pub target_base_urls: Vec<String>,
    /// The Sheets API (a fake in tests).
    pub sheets_url: String,
    /// A service account's JSON key file: jobs sent without the user's Google token read
    /// and write the sheet as this account (the sheet must be shared with it).
    pub google_service_account_key: Option<String>,
    /// Jobs worked on at once by this instance.
    pub workers: usize,
    /// A worker's lease on a job; renewed at a third of it.
    pub lease_seconds: u64,
    /// Target requests per second, per job.
    pub rate: f64,
    pub concurrency: usize,
    /// At least this long between two status writes to one spreadsheet (Google allows 60
    /// writes a minute per user).
    pub sheets_min_interval_ms: u64,
    /// What one caller may ask for, and what the listener lets in (docs/deploy.md).
    pub limits: Limits,
}

/// Bounds a hostile or careless caller meets. Each protects the store, the workers or the
/// listener from one way of being flooded (docs/deploy.md, "Limits").
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Queued or running jobs one owner may have at once.
    pub live_jobs_per_owner: usize,
    /// Submits one owner may make a minute (a burst of as many, then one every
    /// 60 / n seconds); beyond that 429 with `Retry-After`.
    pub submits_per_minute: u32,
    /// Data rows one job may have.
    pub rows_per_job: usize,
    /// Days a finished job and its report are kept.
    pub keep_finished_days: u64,
    /// Open connections at once; more wait to be accepted.
    pub connections: usize,
    /// Seconds a connection may take to send a request's headers, and may stay idle
    /// between requests.
    pub header_timeout_seconds: u64,
    /// Seconds a request may take, its body and its answer included.
    pub request_timeout_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            live_jobs_per_owner: 3,
            submits_per_minute: 20,
            rows_per_job: 200_000,
            keep_finished_days: 30,
            connections: 1024,
            header_timeout_seconds: 10,
            request_timeout_seconds: 60,
        }
    }
}

impl std::fmt::Debug for Config {
    // Never the sealing key or the API keys' values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database", &crate::store::shown(&self.database))
            .field("api_keys", &self.api_keys)
            .field("google_client_ids", &self.google_client_ids)
            .field("allow_other_hosts", &self.allow_other_hosts)
            .field("sheets_url", &self.sheets_url)
            .field(
                "google_service_account_key",
                &self.google_service_account_key,
            )
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: "contact-loader.sqlite".to_owned(),
            sealing_key: String::new(),
            api_keys: Vec::new(),
            google_client_ids: Vec::new(),
            google_jwks_url: super::auth::GOOGLE_JWKS_URL.to_owned(),
            allow_other_hosts: false,
            target_base_urls: Vec::new(),
            sheets_url: crate::sheets::Sheets::GOOGLE.to_owned(),
            google_service_account_key: None,
            workers: 2,
            lease_seconds: 60,
            rate: 10.0,
            concurrency: 4,
            sheets_min_interval_ms: 2000,
            limits: Limits::default(),
        }
    }
}

impl Config {
    /// The file (if any), then `CONTACT_LOADER_LISTEN`, `CONTACT_LOADER_DATABASE`,
    /// `CONTACT_LOADER_SEALING_KEY`, `CONTACT_LOADER_GOOGLE_CLIENT_IDS` (comma-separated),
    /// `CONTACT_LOADER_API_KEYS` (`name:key,name:key`),
    /// `CONTACT_LOADER_GOOGLE_SERVICE_ACCOUNT_KEY` (a key file's path).
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    message: e.message().to_owned(),
                })?
            }
            None => Config::default(),
        };
        if let Ok(listen) = std::env::var("CONTACT_LOADER_LISTEN") {
            config.listen = listen.parse().map_err(|_| {
                ConfigError::Invalid(format!(
                    "CONTACT_LOADER_LISTEN `{listen}` is not an address"
                ))
            })?;
        }
        if let Ok(database) = std::env::var("CONTACT_LOADER_DATABASE") {
            config.database = database;
        }
        if let Ok(key) = std::env::var("CONTACT_LOADER_SEALING_KEY") {
            config.sealing_key = key;
        }
        if let Ok(ids) = std::env::var("CONTACT_LOADER_GOOGLE_CLIENT_IDS") {
            config.google_client_ids = ids
                .split(',')
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .collect();
        }
        if let Ok(path) = std::env::var("CONTACT_LOADER_GOOGLE_SERVICE_ACCOUNT_KEY") {
            config.google_service_account_key = Some(path).filter(|p| !p.is_empty());
        }
        if let Ok(keys) = std::env::var("CONTACT_LOADER_API_KEYS") {
            for pair in keys.split(',').filter(|p| !p.trim().is_empty()) {
                let (name, key) = pair.split_once(':').ok_or_else(|| {
                    ConfigError::Invalid("CONTACT_LOADER_API_KEYS is `name:key,name:key`".into())
                })?;
                config.api_keys.push(ApiKey {
                    name: name.trim().to_owned(),
                    key: key.trim().to_owned(),
                    // Only the file can list a key's spreadsheets.
                    spreadsheets: Vec::new(),
                });
            }
        }
        config.check()?;
        Ok(config)
    }

    /// What makes a configuration unusable or unsafe; `Server::start` checks it too.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.api_keys.iter().any(|k| k.key.len() < 16) {
            return Err(ConfigError::Invalid(
                "an API key must have at least 16 characters".into(),
            ));
        }
        if self.allow_other_hosts && !self.google_client_ids.is_empty() {
            return Err(ConfigError::Invalid(
                "allow_other_hosts cannot be set together with google_client_ids: with Google \
                 sign-in any signed-in user could make the server call any address. List the \
                 sandbox or proxy in target_base_urls instead"
                    .into(),
            ));
        }
        if let Some(url) = self
            .target_base_urls
            .iter()
            .find(|u| crate::http_client::base_url(u).is_none())
        {
            return Err(ConfigError::Invalid(format!(
                "target_base_urls: `{url}` is not an http(s) URL"
            )));
        }
        if self
            .api_keys
            .iter()
            .any(|k| k.name.is_empty() || k.name.contains(['\n', ':']))
        {
            return Err(ConfigError::Invalid(
                "an API key's name must be one line without `:`".into(),
            ));
        }
        let limits = &self.limits;
        if limits.live_jobs_per_owner == 0
            || limits.submits_per_minute == 0
            || limits.rows_per_job == 0
            || limits.connections == 0
            || limits.header_timeout_seconds == 0
            || limits.request_timeout_seconds == 0
        {
            return Err(ConfigError::Invalid(
                "every [limits] value must be 1 or more".into(),
            ));
        }
        if self.workers == 0 || self.lease_seconds < 3 {
            return Err(ConfigError::Invalid(
                "workers must be 1 or more, lease_seconds 3 or more".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_configures_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve.toml");
        std::fs::write(
            &path,
            r#"
listen = "127.0.0.1:9000"
database = "postgres://loader@db/loader"
sealing_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
api_keys = [{ name = "marketing", key = "0123456789abcdef" }]
"#,
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.api_keys[0].name, "marketing");
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("0123456789abcdef"),
            "API keys are not shown"
        );
        assert!(!shown.contains("MDEyMzQ1"), "the sealing key is not shown");
        std::fs::write(
            &path,
            r#"
sealing_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
allow_other_hosts = true
google_client_ids = ["1234.apps.googleusercontent.com"]
"#,
        )
        .unwrap();
        let refused = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(refused.contains("target_base_urls"), "{refused}");
        std::fs::write(&path, "[limits]\nlive_jobs_per_owner = 0").unwrap();
        assert!(matches!(
            Config::load(Some(&path)),
            Err(ConfigError::Invalid(_))
        ));
        std::fs::write(&path, "listne = 1").unwrap();
        assert!(matches!(
            Config::load(Some(&path)),
            Err(ConfigError::Parse { .. })
        ));
    }
}
