//! Helpers shared by the integration tests.

#![allow(dead_code)] // Each test crate uses its own share of them.

pub mod fake_sheets;
pub mod oidc;

/// Splits CSV text into records as a correct CSV reader does: no header handling, ragged
/// records kept, blank lines skipped.
pub fn csv_records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// A service account that `sheets` trusts, and its JSON key file in `dir`, as Google's
/// console gives it: the file a server's `google_service_account_key` names.
pub fn service_account_key(
    sheets: &fake_sheets::FakeSheets,
    email: &str,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
    let pem = include_str!("../fixtures/oidc-test-key.pem");
    let jwk = Jwk::from_encoding_key(
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        Algorithm::RS256,
    )
    .unwrap();
    sheets.accept_service_account(email, DecodingKey::from_jwk(&jwk).unwrap());
    let path = dir.join("service-account.json");
    let key = serde_json::json!({
        "type": "service_account",
        "client_email": email,
        "private_key": pem,
        "private_key_id": "k1",
        "token_uri": sheets.token_url(),
    });
    std::fs::write(&path, key.to_string()).unwrap();
    path
}

/// What a hostile proxy answers instead of its upstream, for a request's method and path.
pub type Rule = dyn Fn(&axum::http::Method, &str) -> Option<axum::response::Response> + Send + Sync;

/// A target that is the sandbox behind a proxy which answers some requests itself (a
/// redirect, an error worded like a formula): everything else is passed on unchanged.
pub async fn proxy(upstream: String, rule: Box<Rule>) -> String {
    use axum::response::IntoResponse;
    let rule: std::sync::Arc<Rule> = rule.into();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (rule, http, upstream) = (rule.clone(), http.clone(), upstream.clone());
        async move {
            let (parts, body) = request.into_parts();
            if let Some(answer) = rule(&parts.method, parts.uri.path()) {
                return answer;
            }
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut forwarded = http.request(parts.method, format!("{upstream}{path}"));
            for name in [
                axum::http::header::AUTHORIZATION,
                axum::http::header::CONTENT_TYPE,
            ] {
                if let Some(value) = parts.headers.get(&name) {
                    forwarded = forwarded.header(name, value);
                }
            }
            let answer = forwarded.body(body).send().await.unwrap();
            let status = answer.status();
            let kind = answer
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .cloned();
            let bytes = answer.bytes().await.unwrap();
            let mut response = (status, bytes).into_response();
            if let Some(kind) = kind {
                response
                    .headers_mut()
                    .insert(axum::http::header::CONTENT_TYPE, kind);
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A Chat2Desk sandbox on `127.0.0.1:0`.
pub async fn sandbox(
    config: contact_loader::targets::chat2desk::sandbox::SandboxConfig,
) -> contact_loader::targets::chat2desk::sandbox::Sandbox {
    contact_loader::targets::chat2desk::sandbox::Sandbox::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        config,
    )
    .await
    .unwrap()
}

/// A Chat2Desk sandbox answering after `latency`.
pub async fn slow_sandbox(
    latency: std::time::Duration,
) -> contact_loader::targets::chat2desk::sandbox::Sandbox {
    sandbox(contact_loader::targets::chat2desk::sandbox::SandboxConfig {
        latency,
        ..Default::default()
    })
    .await
}

/// `GET url` with a bearer token: the answer's text.
pub async fn get_text(url: &str, bearer: &str) -> String {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Polls the job at `url` (`…/v1/jobs/{id}`) as the holder of `bearer` until it is neither
/// queued nor running, for at most `limit`: its last state.
pub async fn wait_for_job(
    url: &str,
    bearer: &str,
    limit: std::time::Duration,
) -> serde_json::Value {
    let started = std::time::Instant::now();
    loop {
        let job: serde_json::Value = reqwest::Client::new()
            .get(url)
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["state"] != "queued" && job["state"] != "running" {
            return job;
        }
        assert!(started.elapsed() < limit, "the job ends: {job}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
