//! `POST /v1/jobs`: a job for a sheet, accepted only from a caller who proved access to the
//! sheet, within the caller's limits, with its tokens sealed for the job.
//!
//! The order is the policy: bounds first (nothing unbounded reaches Google or the store),
//! then the caller's pace, then access (a metadata read with the caller's own Google
//! token, or an API key's list of spreadsheets for the service account), and only then the
//! sheet's slot — so neither a sheet's live job nor its owner is told to anyone who cannot
//! open the sheet.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use governor::{Quota, RateLimiter};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Shared;
use super::api::{
    ApiError, Mode, SignedIn, Stored, TokenKind, User, target_url_allowed, token_purpose,
};
use crate::sheets::{Sheets, SheetsError};
use crate::store::NewJob;
use crate::targets::{Connection, Credentials, TargetKind};

/// The largest request body the API reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A spreadsheet id as Google makes them: letters, digits, `-` and `_` (44 of them today;
/// older and newer ids differ in length, so a range).
const SPREADSHEET_ID_LENGTH: std::ops::RangeInclusive<usize> = 10..=128;
/// Google Sheets refuses a sheet title longer than this many characters.
const SHEET_NAME_CHARS: usize = 100;
/// Tokens (Chat2Desk's, Google's OAuth access tokens) are far shorter than this.
const TOKEN_BYTES: usize = 4096;
/// A channel, a messenger, a region, a tag.
const SETTING_CHARS: usize = 200;
const BASE_URL_CHARS: usize = 2048;
/// Tags applied to every row of a job.
const TAGS: usize = 50;

#[derive(Deserialize)]
pub struct TargetRequest {
    pub kind: String,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// The kind's credentials (Chat2Desk's `token`; Omnidesk's `staff_email`, `api_key`)
    /// and its settings (`channel`, `tags_field`, …): the kind tells them apart and refuses
    /// a setting it does not take.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl TargetRequest {
    /// The kind, the account's credentials and the run's settings.
    fn split(&self) -> Result<(TargetKind, Credentials, Map<String, Value>), ApiError> {
        let kind: TargetKind = self.kind.parse().map_err(ApiError::BadRequest)?;
        let mut settings = self.fields.clone();
        let mut credentials = Credentials::default();
        for spec in kind.kind().credentials() {
            match settings.remove(spec.name) {
                Some(Value::String(value)) => {
                    credentials.insert(spec.name, SecretString::from(value))
                }
                Some(_) => {
                    return Err(ApiError::BadRequest(format!(
                        "target.{} must be a string",
                        spec.name
                    )));
                }
                None => {}
            }
        }
        Ok((kind, credentials, settings))
    }
}

#[derive(Deserialize)]
pub struct JobRequest {
    pub spreadsheet_id: String,
    pub sheet: String,
    pub mode: Mode,
    pub target: TargetRequest,
    /// The user's OAuth token for the spreadsheet (`ScriptApp.getOAuthToken()`). A Google
    /// caller must send it: the job runs with it. An API-key caller may leave it out for a
    /// spreadsheet its key lists, which the server's service account then opens.
    #[serde(default)]
    pub sheets_token: Option<String>,
    /// Go past the month's free requests. Without it a load that would is refused before
    /// any write, and the job's `estimate` says what it would cost.
    #[serde(default)]
    pub allow_paid: bool,
}

impl JobRequest {
    /// Every field within its bounds, and the sheet's key unambiguous: an id of Google's
    /// alphabet and a name without control characters, so `id\nname` names one sheet.
    fn check(&self) -> Result<(), ApiError> {
        let bad = |text: String| Err(ApiError::BadRequest(text));
        let id = &self.spreadsheet_id;
        if !SPREADSHEET_ID_LENGTH.contains(&id.len())
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(format!(
                "spreadsheet_id is not a Google spreadsheet id: {} to {} letters, digits, `-` \
                 or `_` (the part of the sheet's address after /d/)",
                SPREADSHEET_ID_LENGTH.start(),
                SPREADSHEET_ID_LENGTH.end()
            ));
        }
        let name = &self.sheet;
        if name.trim().is_empty()
            || name.chars().count() > SHEET_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return bad(format!(
                "sheet must be a sheet's name: 1 to {SHEET_NAME_CHARS} characters, none of them \
                 a line break or another control character"
            ));
        }
        let target = &self.target;
        // A credential or a token is one string; a setting a string or a yes/no.
        let strings = target.fields.values().filter_map(Value::as_str);
        if strings
            .chain(self.sheets_token.as_deref())
            .any(|t| t.len() > TOKEN_BYTES)
        {
            return bad(format!("a token is longer than {TOKEN_BYTES} bytes"));
        }
        if target
            .fields
            .values()
            .any(|v| !matches!(v, Value::String(_) | Value::Bool(_) | Value::Null))
        {
            return bad("the target's settings are strings or true/false".to_owned());
        }
        let too_long = |text: &str| text.chars().count() > SETTING_CHARS;
        let settings = target
            .fields
            .iter()
            .filter(|(name, _)| !is_credential(name));
        if settings
            .filter_map(|(_, v)| v.as_str())
            .chain(target.region.as_deref())
            .chain(target.tags.iter().map(String::as_str))
            .any(too_long)
        {
            return bad(format!(
                "a channel, messenger, region, tag or other setting is longer than \
                 {SETTING_CHARS} characters"
            ));
        }
        if target.tags.len() > TAGS {
            return bad(format!("at most {TAGS} tags for a job"));
        }
        if target
            .base_url
            .as_ref()
            .is_some_and(|u| u.len() > BASE_URL_CHARS)
        {
            return bad(format!(
                "base_url is longer than {BASE_URL_CHARS} characters"
            ));
        }
        Ok(())
    }
}

/// Whether a target field is some kind's credential (bounded as a token, not a setting).
fn is_credential(name: &str) -> bool {
    TargetKind::ALL
        .iter()
        .any(|kind| kind.kind().credentials().iter().any(|c| c.name == name))
}

/// Submits per owner and minute, in one in-process limiter (governor's keyed GCRA: a burst
/// of the minute's allowance, then an even pace). Each instance counts its own submits;
/// the live-jobs cap, kept in the store, holds across instances.
pub struct SubmitPace {
    limiter: governor::DefaultKeyedRateLimiter<String>,
}

impl SubmitPace {
    pub fn new(per_minute: u32) -> SubmitPace {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        SubmitPace {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// `Ok` if `owner` may submit now, else the seconds to wait.
    fn admit(&self, owner: &str) -> Result<(), u64> {
        use governor::clock::Clock;
        self.limiter
            .check_key(&owner.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
                wait.as_secs() + 1
            })
    }

    /// Forgets owners whose allowance is whole again (called now and then).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

pub async fn submit(
    State(shared): State<Arc<Shared>>,
    user: User,
    Json(request): Json<JobRequest>,
) -> Result<Response, ApiError> {
    let (kind, credentials, settings) = request.target.split()?;
    request.check()?;
    shared
        .submits
        .admit(&user.name)
        .map_err(|retry_after| ApiError::TooMany {
            message: "too many jobs sent in a short time: wait a little and send it again".into(),
            retry_after,
        })?;
    let connection = Connection {
        base_url: request.target.base_url.clone(),
        credentials,
        settings,
        timeout: super::REQUEST_TIMEOUT,
    };
    let base_url = connection
        .base_url(kind.kind())
        .map_err(ApiError::BadRequest)?;
    target_url_allowed(&shared.config, kind, &base_url)?;
    // The credentials and settings are read now (no request is sent): a missing one, or a
    // setting the kind does not take, is refused before the job exists.
    let account = kind
        .kind()
        .account(&connection)
        .map_err(ApiError::BadRequest)?;
    let sheets_token = request.sheets_token.filter(|t| !t.is_empty());
    match &sheets_token {
        Some(token) => {
            prove_access(&shared, &request.spreadsheet_id, &request.sheet, token).await?
        }
        None => may_use_service_account(&shared, &user, &request.spreadsheet_id)?,
    }

    let sheet = format!("{}\n{}", request.spreadsheet_id, request.sheet);
    // The caller may open the sheet: now its slot may be told and claimed.
    if let Some(live) = shared.store.live_job_of_sheet(&sheet).await? {
        return slot_taken(&live, &user);
    }
    let limit = shared.config.limits.live_jobs_per_owner;
    if shared.store.live_jobs_of(&user.name).await? >= limit as u64 {
        return Err(ApiError::TooMany {
            message: format!(
                "you have {limit} jobs queued or running: wait until one ends, or cancel one"
            ),
            retry_after: 30,
        });
    }
    let stored = Stored {
        spreadsheet_id: request.spreadsheet_id.clone(),
        sheet: request.sheet.clone(),
        mode: request.mode,
        kind,
        base_url,
        settings: connection.settings.clone(),
        tags: request.target.tags,
        region: request.target.region,
        allow_paid: request.allow_paid,
        service_account: sheets_token.is_none(),
    };
    // Sealed, and bound to the job, its owner and their kind.
    let id = crate::store::jobs::new_job_id();
    let seal = |token: &SecretString, kind| {
        shared
            .sealer
            .seal(token, &token_purpose(&id, &user.name, kind))
    };
    let sealed = seal(&connection.credentials.to_secret(), TokenKind::Target);
    let sealed_sheets =
        sheets_token.map(|token| seal(&SecretString::from(token), TokenKind::Google));
    let (job, new) = shared
        .store
        .submit(NewJob {
            id,
            owner: user.name.clone(),
            sheet,
            account,
            request: serde_json::to_string(&stored).expect("plain data serialises"),
            sealed_token: Some(sealed),
            sealed_sheets_token: sealed_sheets,
        })
        .await?;
    if !new {
        // Another submit for the sheet won the slot between our look and our insert.
        return slot_taken(&job, &user);
    }
    shared.wake.notify_waiters();
    tracing::info!(job = %job.id, mode = ?stored.mode, owner = %job.owner, "job submitted");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "job_id": job.id, "state": job.state.as_str(), "new": true })),
    )
        .into_response())
}

/// The answer when the sheet already has a live job: the caller's own is shown (a second
/// press of Process list), another owner's is a 409 that does not give its id.
fn slot_taken(live: &crate::store::Job, user: &User) -> Result<Response, ApiError> {
    if live.owner != user.name {
        return Err(ApiError::Conflict(
            "another user's job is running on this sheet: try again when it has ended".into(),
        ));
    }
    Ok((
        StatusCode::OK,
        Json(json!({ "job_id": live.id, "state": live.state.as_str(), "new": false })),
    )
        .into_response())
}

/// The caller's own Google token opens the spreadsheet and it has the sheet: one metadata
/// read, before anything about the sheet is stored or told.
async fn prove_access(
    shared: &Shared,
    spreadsheet_id: &str,
    sheet: &str,
    token: &str,
) -> Result<(), ApiError> {
    let sheets = Sheets::new(
        &shared.config.sheets_url,
        SecretString::from(token.to_owned()),
        super::REQUEST_TIMEOUT,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let found = sheets.has_sheet(spreadsheet_id, sheet).await;
    shared
        .metrics
        .sheets_requests
        .fetch_add(sheets.requests_sent(), std::sync::atomic::Ordering::Relaxed);
    match found {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::BadRequest(format!(
            "the spreadsheet has no sheet named \"{sheet}\""
        ))),
        Err(SheetsError::Unauthorized(_)) => Err(ApiError::Forbidden(
            "Google did not accept sheets_token (expired or revoked): open the add-on again so \
             that it signs in anew"
                .into(),
        )),
        Err(SheetsError::Forbidden(_) | SheetsError::NotFound(_)) => Err(ApiError::Forbidden(
            "your Google account cannot open this spreadsheet".into(),
        )),
        Err(error @ (SheetsError::ScopeInsufficient | SheetsError::ApiDisabled { .. })) => {
            Err(ApiError::Forbidden(error.to_string()))
        }
        Err(error) if error.is_transient() => Err(ApiError::Unavailable {
            message: format!("Google Sheets cannot be reached now: {error}"),
            retry_after: error.retry_after().map_or(5, |d| d.as_secs().max(1)),
        }),
        Err(error) => Err(ApiError::BadRequest(format!(
            "the spreadsheet cannot be opened: {error}"
        ))),
    }
}

/// Without the caller's Google token only the service account can open the sheet, and it
/// opens whatever is shared with it: so it serves only an API key that lists the
/// spreadsheet. A person signed in with Google always sends their own token.
fn may_use_service_account(
    shared: &Shared,
    user: &User,
    spreadsheet_id: &str,
) -> Result<(), ApiError> {
    let listed = match &user.by {
        SignedIn::Google => {
            return Err(ApiError::BadRequest(
                "send sheets_token (the add-on's ScriptApp.getOAuthToken()): a job runs with its \
                 user's own Google token"
                    .into(),
            ));
        }
        SignedIn::ApiKey { spreadsheets } => spreadsheets.iter().any(|s| s == spreadsheet_id),
    };
    if shared.service_account.is_none() {
        return Err(ApiError::BadRequest(
            "send sheets_token (the add-on's ScriptApp.getOAuthToken()): this server has no \
             service account to open the sheet with"
                .into(),
        ));
    }
    if !listed {
        return Err(ApiError::Forbidden(format!(
            "the API key \"{}\" may not have the service account open this spreadsheet: send \
             sheets_token, or list the spreadsheet in the key's `spreadsheets`",
            user.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, sheet: &str) -> JobRequest {
        serde_json::from_value(json!({
            "spreadsheet_id": id, "sheet": sheet, "mode": "load",
            "target": {"kind": "chat2desk", "token": "t"},
        }))
        .unwrap()
    }

    #[test]
    fn ids_and_names_are_google_s_forms() {
        let id = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
        for sheet in ["Контакты #1", "Q#1? a/b", "'quoted'", &"я".repeat(100)] {
            assert!(request(id, sheet).check().is_ok(), "{sheet}");
        }
        for (id, sheet) in [
            ("../../etc", "Sheet1"),
            ("1Bxi/..%2F", "Sheet1"),
            ("short", "Sheet1"),
            (&"a".repeat(129), "Sheet1"),
            (id, ""),
            (id, "   "),
            (id, "Sheet1\nSheet2"),
            (id, "a\rb"),
            (id, &"я".repeat(101)),
        ] {
            assert!(request(id, sheet).check().is_err(), "{id:?} {sheet:?}");
        }
    }

    #[test]
    fn a_pace_admits_the_minute_s_allowance_then_says_how_long_to_wait() {
        let pace = SubmitPace::new(3);
        for _ in 0..3 {
            assert!(pace.admit("ann").is_ok());
        }
        let wait = pace.admit("ann").unwrap_err();
        assert!((1..=21).contains(&wait), "{wait}");
        assert!(pace.admit("bob").is_ok(), "each owner has their own");
    }
}
