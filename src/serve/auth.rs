//! Who may call the API: a Google OIDC ID token from the add-on
//! (`ScriptApp.getIdentityToken()`, `shared/specs/google-sheets.md`), verified against
//! Google's published keys (JWKS, cached), its issuer, its audience (our OAuth client id)
//! and its expiry — or, self-hosted, a static API key.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use tokio::sync::RwLock;

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
    keys: RwLock<Option<Keys>>,
}

impl Oidc {
    pub fn new(jwks_url: &str, audiences: Vec<String>) -> Oidc {
        Oidc {
            jwks_url: jwks_url.to_owned(),
            audiences,
            http: crate::http_client::build(Duration::from_secs(10)).unwrap_or_default(),
            keys: RwLock::new(None),
        }
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

    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        {
            let keys = self.keys.read().await;
            if let Some(keys) = keys.as_ref()
                && keys.fetched.elapsed() < KEYS_FOR
                && let Some(jwk) = keys.set.find(kid)
            {
                return DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Invalid(e.to_string()));
            }
        }
        let mut keys = self.keys.write().await;
        let stale = keys
            .as_ref()
            .is_none_or(|k| k.fetched.elapsed() >= REFETCH_AFTER);
        if stale {
            let set: JwkSet = self
                .http
                .get(&self.jwks_url)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| AuthError::Keys(e.without_url().to_string()))?
                .json()
                .await
                .map_err(|e| AuthError::Keys(e.without_url().to_string()))?;
            *keys = Some(Keys {
                set,
                fetched: Instant::now(),
            });
        }
        let jwk = keys.as_ref().and_then(|k| k.set.find(kid)).ok_or_else(|| {
            AuthError::Invalid("signed with a key Google does not publish".into())
        })?;
        DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Invalid(e.to_string()))
    }
}
