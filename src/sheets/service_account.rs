//! Sheets access as a service account that the spreadsheet is shared with — for
//! deployments where the add-on does not send its user's token. Google's OAuth 2.0
//! server-to-server flow: a JWT signed with the account's key is exchanged at the key's
//! `token_uri` for an access token that lives an hour
//! (developers.google.com/identity/protocols/oauth2/service-account, "Preparing to make an
//! authorized API call"). Hand-written for the same reason as `client.rs`: yup-oauth2
//! would bring its own TLS stack (`shared/docs/dependencies.md`) for one POST.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Url;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::client::SheetsError;

/// Read and write the spreadsheets shared with the account; nothing else.
pub const SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";
/// Google's limit for the assertion's lifetime.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);
/// A cached token is replaced this long before Google says it expires.
const EARLY: Duration = Duration::from_secs(300);

/// The fields we use of the JSON key Google's console gives for a service account.
#[derive(Deserialize)]
struct KeyFile {
    client_email: String,
    private_key: String,
    token_uri: String,
    #[serde(default)]
    private_key_id: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// A service account, with its current access token.
pub struct ServiceAccount {
    email: String,
    key: EncodingKey,
    key_id: Option<String>,
    token_uri: Url,
    http: reqwest::Client,
    cached: Mutex<Option<(SecretString, Instant)>>,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key or the token.
        f.debug_struct("ServiceAccount")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// Reads the JSON key file. Errors name the file and the problem, never the key.
    pub fn from_file(path: &std::path::Path) -> Result<ServiceAccount, SheetsError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SheetsError::Build(format!(
                "cannot read the service account key {}: {e}",
                path.display()
            ))
        })?;
        ServiceAccount::from_json(&text)
    }

    pub fn from_json(text: &str) -> Result<ServiceAccount, SheetsError> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| {
            SheetsError::Build(format!(
                "the service account key is not Google's JSON key (client_email, private_key, \
                 token_uri): {}",
                // serde's message names the field, not the value.
                e.classify_text()
            ))
        })?;
        let key = EncodingKey::from_rsa_pem(file.private_key.as_bytes()).map_err(|_| {
            SheetsError::Build("the service account's private_key is not an RSA PEM key".into())
        })?;
        let token_uri = crate::http_client::base_url(&file.token_uri).ok_or_else(|| {
            SheetsError::Build(format!(
                "the service account's token_uri `{}` is not an http(s) URL",
                file.token_uri
            ))
        })?;
        let http = crate::http_client::build(Duration::from_secs(30))
            .map_err(|e| SheetsError::Build(e.to_string()))?;
        Ok(ServiceAccount {
            email: file.client_email,
            key,
            key_id: file.private_key_id,
            token_uri,
            http,
            cached: Mutex::new(None),
        })
    }

    /// The address a spreadsheet must be shared with.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// An access token: the cached one while it has more than a few minutes left.
    pub async fn token(&self) -> Result<SecretString, SheetsError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.exchange().await?;
        *cached = Some((
            token.clone(),
            Instant::now() + lifetime.saturating_sub(EARLY),
        ));
        Ok(token)
    }

    /// A new token, after Google refused the cached one.
    pub async fn refresh(&self) -> Result<SecretString, SheetsError> {
        self.cached.lock().await.take();
        self.token().await
    }

    /// One signed assertion for one access token.
    async fn exchange(&self) -> Result<(SecretString, Duration), SheetsError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = json!({
            "iss": self.email,
            "scope": SCOPE,
            "aud": self.token_uri.as_str(),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME.as_secs(),
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| SheetsError::Build(format!("the assertion cannot be signed: {e}")))?;
        // The assertion is base64url and dots: nothing in it needs form-encoding.
        let body = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        );
        let response = self
            .http
            .post(self.token_uri.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| SheetsError::NoAnswer(crate::http_client::no_answer(e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SheetsError::NoAnswer(crate::http_client::no_answer(e)))?;
        if !status.is_success() {
            // Google answers `{"error": "invalid_grant", "error_description": "…"}`.
            let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let message = ["error_description", "error"]
                .iter()
                .find_map(|k| answer.get(k).and_then(|v| v.as_str()))
                .unwrap_or("no reason given")
                .to_owned();
            return Err(SheetsError::Unauthorized(format!(
                "Google refused the service account {}: {message}",
                self.email
            )));
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&bytes).map_err(|e| SheetsError::Other {
                status: status.as_u16(),
                message: format!("unreadable token answer: {}", e.classify_text()),
            })?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        Ok((SecretString::from(answer.access_token), lifetime))
    }
}

/// What serde says went wrong, without quoting the input (a key must not reach a log).
trait Classify {
    fn classify_text(&self) -> String;
}

impl Classify for serde_json::Error {
    fn classify_text(&self) -> String {
        match self.classify() {
            serde_json::error::Category::Data => {
                // "missing field `token_uri`" names a field; other data errors may quote.
                let text = self.to_string();
                if text.starts_with("missing field") {
                    text
                } else {
                    "a field has the wrong type".to_owned()
                }
            }
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "not valid JSON".to_owned()
            }
            serde_json::error::Category::Io => "unreadable".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_key_file_is_named_without_its_content() {
        let error =
            ServiceAccount::from_json(r#"{"client_email":"a@b","private_key":"secret-bits"}"#)
                .unwrap_err()
                .to_string();
        assert!(error.contains("token_uri"), "{error}");
        let error = ServiceAccount::from_json(
            r#"{"client_email":"a@b","private_key":"secret-bits","token_uri":"http://127.0.0.1:9/token"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("RSA PEM"), "{error}");
        assert!(!error.contains("secret-bits"), "{error}");
    }

    #[test]
    fn debug_shows_only_the_address() {
        let key = include_str!("../../tests/fixtures/oidc-test-key.pem");
        let json = json!({
            "client_email": "loader@project.iam.gserviceaccount.com",
            "private_key": key,
            "token_uri": "http://127.0.0.1:9/token",
        });
        let account = ServiceAccount::from_json(&json.to_string()).unwrap();
        let shown = format!("{account:?}");
        assert!(shown.contains("loader@project"), "{shown}");
        assert!(!shown.contains("PRIVATE"), "{shown}");
    }
}
