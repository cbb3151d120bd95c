//! Google ID tokens for tests: a local JWKS endpoint vouching for the test key
//! (`tests/fixtures/`), and tokens signed with it, as the add-on's
//! `ScriptApp.getIdentityToken()` would give.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

pub const KEY_ID: &str = "test-key-1";

pub fn key(pem: &[u8]) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem).unwrap()
}

pub fn signing_key() -> EncodingKey {
    key(include_bytes!("../fixtures/oidc-test-key.pem"))
}

/// The test key as Google publishes its keys.
pub fn key_set() -> JwkSet {
    let mut jwk = Jwk::from_encoding_key(&signing_key(), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(KEY_ID.to_owned());
    JwkSet { keys: vec![jwk] }
}

/// A local JWKS endpoint vouching for the test key, as Google's does for its own.
pub async fn jwks() -> String {
    let set = key_set();
    let app = axum::Router::new().route(
        "/certs",
        axum::routing::get(move || {
            let set = set.clone();
            async move { axum::Json(set) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/certs")
}

pub fn token(
    sub: &str,
    aud: &str,
    iss: &str,
    expires_in: i64,
    key: &EncodingKey,
    kid: &str,
) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let claims = json!({
        "iss": iss, "aud": aud, "sub": sub, "email": format!("{sub}@example.com"),
        "iat": now, "exp": now + expires_in,
    });
    encode(&header, &claims, key).unwrap()
}

/// A valid ID token for `sub` from Google for the client `aud`, an hour long.
pub fn id_token(sub: &str, aud: &str) -> String {
    token(
        sub,
        aud,
        "https://accounts.google.com",
        3600,
        &signing_key(),
        KEY_ID,
    )
}
