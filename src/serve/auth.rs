//! Who may call the API: a Google OIDC ID token from the add-on
//! (`ScriptApp.getIdentityToken()`, `shared/specs/google-sheets.md`), verified against
//! Google's published keys (JWKS, cached), its issuer, its audience (our OAuth client id)
//! and its expiry — or, self-hosted, a static API key.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use tokio::sync::Mutex;

/// Google's keys for its ID tokens.
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// The issuers Google's ID tokens name (both forms are in use).
const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];
/// Keys are fetched again after this long (Google rotates them over days).
const KEYS_FOR: Duration = Duration::from_secs(3600);
/// An unknown key id fetches the keys again, but not more often than this: a stream of
/// forged tokens must not become a stream of requests to Google.
const REFETCH_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the ID token is not valid: {0}")]
    Invalid(String),
    #[error("Google's keys cannot be fetched: {0}")]
    Keys(String),
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

struct Keys {
    set: JwkSet,
    fetched: Instant,
}

/// Verifies ID tokens.
pub struct Oidc {
    jwks_url: String,
    audiences: Vec<String>,
    http: reqwest::Client,
    /// The keys last fetched. A plain lock, held only to read or replace them: never
    /// across the fetch, so sign-ins with a known key go on while one runs.
    keys: std::sync::RwLock<Option<Keys>>,
    /// Held by the one fetch in flight: an unknown key id makes one request to Google,
    /// however many sign-ins carry it.
    fetching: Mutex<()>,
    /// At most one fetch this often for unknown key ids (`REFETCH_AFTER`).
    refetch_after: Duration,
}

impl Oidc {
    pub fn new(jwks_url: &str, audiences: Vec<String>) -> Oidc {
        Oidc {
            jwks_url: jwks_url.to_owned(),
            audiences,
            http: crate::http_client::build(Duration::from_secs(10)).unwrap_or_default(),
            keys: std::sync::RwLock::new(None),
            fetching: Mutex::new(()),
            refetch_after: REFETCH_AFTER,
        }
    }

    /// Fetches again for an unknown key id at most this often (tests shorten it).
    pub fn refetching_after(mut self, pause: Duration) -> Oidc {
        self.refetch_after = pause;
        self
    }

    /// The token's subject (the Google account's stable id), if the token holds.
    pub async fn verify(&self, token: &str) -> Result<String, AuthError> {
        let invalid = |e: jsonwebtoken::errors::Error| AuthError::Invalid(e.to_string());
        let header = decode_header(token).map_err(invalid)?;
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("no key id".into()))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&self.audiences);
        validation.set_issuer(&GOOGLE_ISSUERS);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = decode::<Claims>(token, &key, &validation).map_err(invalid)?;
        Ok(data.claims.sub)
    }

    /// The key `kid`: from the cache while it is fresh; a stale cache is refreshed by one
    /// caller while the others go on with it; an unknown id waits for one fetch. Cached
    /// keys keep serving when Google's endpoint fails.
    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some((key, age)) = self.cached(kid) {
            // Known: serve it; if it is old, refresh unless another caller already is.
            if age >= KEYS_FOR
                && let Ok(_fetching) = self.fetching.try_lock()
            {
                let _ = self.refresh().await;
            }
            return key;
        }
        let _fetching = self.fetching.lock().await;
        // Fetched while we waited?
        if let Some((key, _)) = self.cached(kid) {
            return key;
        }
        let recently = self
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|k| k.fetched.elapsed() < self.refetch_after);
        if !recently {
            self.refresh().await?;
        }
        match self.cached(kid) {
            Some((key, _)) => key,
            None => Err(AuthError::Invalid(
                "signed with a key Google does not publish".into(),
            )),
        }
    }

    /// The cached key `kid` and the cache's age.
    fn cached(&self, kid: &str) -> Option<(Result<DecodingKey, AuthError>, Duration)> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let keys = keys.as_ref()?;
        let jwk = keys.set.find(kid)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Invalid(e.to_string()));
        Some((key, keys.fetched.elapsed()))
    }

    /// Fetches Google's keys and replaces the cache; on failure the cache stays as it was.
    async fn refresh(&self) -> Result<(), AuthError> {
        let keys_error = |e: reqwest::Error| AuthError::Keys(e.without_url().to_string());
        let response = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .map_err(keys_error)?;
        let status = response.status();
        if !status.is_success() {
            let reason = if status.is_redirection() {
                crate::http_client::redirect_refused(status)
            } else {
                format!("HTTP {}", status.as_u16())
            };
            return Err(AuthError::Keys(reason));
        }
        let set: JwkSet = response.json().await.map_err(keys_error)?;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(Keys {
            set,
            fetched: Instant::now(),
        });
        Ok(())
    }
}
