//! The HTTP client of one Intercom workspace (`shared/specs/intercom.md`): a bearer token,
//! the pinned `Intercom-Version`, JSON in and out, and every answer's rate-limit headers
//! handed to the run's pacer. Errors are read from error answers only (`api::classify`),
//! into the shared `TargetError` (one retry table, `pacing::decide`); the answers a sync acts
//! on — a 409 naming the contact, a merged contact's 410 — come back as data.

use std::time::Duration;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::api::{
    self, Company, CompanyRequest, Contact, ContactRequest, DataAttribute, ErrorKind, ErrorList,
    IdRef, Limits, List, NewDataAttribute, Note, NoteRequest, Pagination, Query, SearchRequest,
    Tag, TagRequest,
};
use crate::pacing::{Hint, Pacing, TargetError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the base URL `{0}` is not an http(s) address")]
    BadBaseUrl(String),
    #[error("the HTTP client cannot be built: {0}")]
    Build(String),
}

/// What a create came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    New(Box<Contact>),
    /// 409: "A contact matching those details already exists with id=…" — the id when
    /// the text names it.
    Exists {
        id: Option<String>,
        archived: bool,
    },
}

/// What a read or an edit of a known id came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Reached<T> {
    Done(T),
    /// 410 `contact_merged` (its `Link` names the contact it went into), or 404 for an id
    /// we had: "accept both".
    Gone {
        into: Option<String>,
    },
}

#[derive(Clone)]
pub struct Intercom {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
    version: String,
}

impl std::fmt::Debug for Intercom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intercom")
            .field("base", &self.base.as_str())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A failed call: an error, or an answer a sync reads as data.
#[derive(Debug)]
enum Answer {
    Error(TargetError),
    Conflict { id: Option<String>, archived: bool },
    Gone { into: Option<String> },
}

impl Answer {
    fn into_error(self) -> TargetError {
        match self {
            Answer::Error(error) => error,
            Answer::Conflict { .. } => TargetError::Rejected {
                status: 409,
                message: "Intercom: a contact matching those details already exists".into(),
            },
            // 410 whatever came (a 404 `not_found` too): the sync follows a contact gone
            // by this status.
            Answer::Gone { .. } => TargetError::Rejected {
                status: 410,
                message: "Intercom: the contact no longer exists (merged or deleted)".into(),
            },
        }
    }
}

impl Intercom {
    pub fn new(
        base_url: &str,
        token: SecretString,
        version: &str,
        timeout: Duration,
    ) -> Result<Intercom, ClientError> {
        let base = Intercom::base(base_url)?;
        let http =
            crate::http_client::build(timeout).map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Intercom {
            http,
            base,
            token,
            version: version.to_owned(),
        })
    }

    pub fn base(base_url: &str) -> Result<Url, ClientError> {
        crate::http_client::base_url(base_url)
            .ok_or_else(|| ClientError::BadBaseUrl(base_url.to_owned()))
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// The same workspace with another token (the probe's deliberately wrong one).
    pub fn with_token(&self, token: SecretString) -> Intercom {
        Intercom {
            token,
            ..self.clone()
        }
    }

    fn request(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        let url = format!(
            "{}{path_and_query}",
            self.base.as_str().trim_end_matches('/')
        );
        self.http
            .request(method, &url)
            .bearer_auth(self.token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(api::VERSION_HEADER, &self.version)
    }

    /// One request, its answer as it came — for `probe`: the status, the limit headers,
    /// the `Link` header, and the body as JSON. Nothing goes to a pacer.
    pub async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<RawAnswer, TargetError> {
        let mut request = self.request(method, path_and_query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| TargetError::NoAnswer(crate::http_client::no_answer(e)))?;
        let status = response.status().as_u16();
        let limits = Limits::from_headers(response.headers());
        let link = response
            .headers()
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TargetError::NoAnswer(crate::http_client::no_answer(e)))?;
        Ok(RawAnswer {
            status,
            limits,
            link,
            body: serde_json::from_slice(&bytes).ok(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        pacing: &Pacing,
        method: Method,
        path_and_query: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, Answer> {
        let mut request = self.request(method, path_and_query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let no_answer = |e: reqwest::Error| {
            Answer::Error(TargetError::NoAnswer(crate::http_client::no_answer(e)))
        };
        let response = request.send().await.map_err(no_answer)?;
        let status = response.status();
        let limits = Limits::from_headers(response.headers());
        // "Pace from the headers" [rl]: the window's limit as a rate, and a pause to the
        // reset when the window is spent.
        pacing.pacer.observe(Hint {
            per_minute: limits.per_minute(),
            left: limits.remaining,
            wait: limits.reset_in,
        });
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(no_answer)?;
        if status.is_redirection() {
            return Err(Answer::Error(TargetError::Rejected {
                status: status.as_u16(),
                message: crate::http_client::redirect_refused(status),
            }));
        }
        if !status.is_success() {
            return Err(error_of(status, &headers, &bytes, limits));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            Answer::Error(TargetError::Unreadable(format!(
                "Intercom's answer to {} cannot be read: {e}",
                path_and_query.split('?').next().unwrap_or_default()
            )))
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        pacing: &Pacing,
        path: &str,
    ) -> Result<T, TargetError> {
        self.call(pacing, Method::GET, path, None::<&()>)
            .await
            .map_err(Answer::into_error)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        pacing: &Pacing,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T, TargetError> {
        self.call(pacing, Method::POST, path, Some(body))
            .await
            .map_err(Answer::into_error)
    }

    /// `GET /data_attributes?model=contact`.
    pub async fn data_attributes(
        &self,
        pacing: &Pacing,
    ) -> Result<Vec<DataAttribute>, TargetError> {
        let list: List<DataAttribute> = self
            .get(
                pacing,
                &format!("{}?model=contact", api::paths::DATA_ATTRIBUTES),
            )
            .await?;
        Ok(list.data)
    }

    /// `POST /data_attributes` of a contact's string attribute.
    pub async fn create_data_attribute(
        &self,
        pacing: &Pacing,
        name: &str,
        data_type: &str,
    ) -> Result<DataAttribute, TargetError> {
        let body = NewDataAttribute {
            name: name.to_owned(),
            model: "contact".to_owned(),
            data_type: data_type.to_owned(),
            description: Some("Created by contact-loader".to_owned()),
        };
        self.post(pacing, api::paths::DATA_ATTRIBUTES, &body).await
    }

    /// `GET /tags`: every tag of the workspace.
    pub async fn tags(&self, pacing: &Pacing) -> Result<Vec<Tag>, TargetError> {
        let list: List<Tag> = self.get(pacing, api::paths::TAGS).await?;
        Ok(list.data)
    }

    /// `POST /contacts`.
    pub async fn create(
        &self,
        pacing: &Pacing,
        contact: &ContactRequest,
    ) -> Result<Created, TargetError> {
        match self
            .call::<Contact>(pacing, Method::POST, api::paths::CONTACTS, Some(contact))
            .await
        {
            Ok(contact) => Ok(Created::New(Box::new(contact))),
            Err(Answer::Conflict { id, archived }) => Ok(Created::Exists { id, archived }),
            Err(other) => Err(other.into_error()),
        }
    }

    /// `GET /contacts/{id}`.
    pub async fn contact(
        &self,
        pacing: &Pacing,
        id: &str,
    ) -> Result<Reached<Contact>, TargetError> {
        reached(
            self.call(pacing, Method::GET, &api::paths::contact(id), None::<&()>)
                .await,
        )
    }

    /// `PUT /contacts/{id}` with the keys that change.
    pub async fn update(
        &self,
        pacing: &Pacing,
        id: &str,
        contact: &ContactRequest,
    ) -> Result<Reached<Contact>, TargetError> {
        reached(
            self.call(pacing, Method::PUT, &api::paths::contact(id), Some(contact))
                .await,
        )
    }

    /// `POST /contacts/search`: the first page, which is all a search for one identifier
    /// needs.
    pub async fn search(&self, pacing: &Pacing, query: Query) -> Result<Vec<Contact>, TargetError> {
        let body = SearchRequest {
            query,
            pagination: Some(Pagination {
                per_page: api::SEARCH_PAGE,
                starting_after: None,
            }),
        };
        let list: List<Contact> = self.post(pacing, api::paths::SEARCH, &body).await?;
        Ok(list.data)
    }

    /// `POST /contacts/{id}/unarchive`.
    pub async fn unarchive(&self, pacing: &Pacing, id: &str) -> Result<(), TargetError> {
        let _: serde_json::Value = self
            .post(
                pacing,
                &api::paths::of_contact(id, "unarchive"),
                &serde_json::json!({}),
            )
            .await?;
        Ok(())
    }

    /// `GET /contacts/{id}/notes`.
    pub async fn notes(&self, pacing: &Pacing, id: &str) -> Result<Vec<Note>, TargetError> {
        let list: List<Note> = self
            .get(pacing, &api::paths::of_contact(id, "notes"))
            .await?;
        Ok(list.data)
    }

    /// `POST /contacts/{id}/notes`: appended every time.
    pub async fn add_note(
        &self,
        pacing: &Pacing,
        id: &str,
        body: String,
    ) -> Result<Note, TargetError> {
        self.post(
            pacing,
            &api::paths::of_contact(id, "notes"),
            &NoteRequest { body },
        )
        .await
    }

    /// `POST /companies`: the upsert by `company_id`.
    pub async fn upsert_company(
        &self,
        pacing: &Pacing,
        company_id: &str,
        name: &str,
    ) -> Result<Company, TargetError> {
        let body = CompanyRequest {
            company_id: company_id.to_owned(),
            name: name.to_owned(),
        };
        self.post(pacing, api::paths::COMPANIES, &body).await
    }

    /// `POST /contacts/{id}/companies`.
    pub async fn attach_company(
        &self,
        pacing: &Pacing,
        id: &str,
        company: &str,
    ) -> Result<(), TargetError> {
        let _: serde_json::Value = self
            .post(
                pacing,
                &api::paths::of_contact(id, "companies"),
                &IdRef {
                    id: company.to_owned(),
                },
            )
            .await?;
        Ok(())
    }

    /// `POST /tags` `{"name","users":[…]}`: the tag, created if missing, on many contacts.
    pub async fn tag_many(
        &self,
        pacing: &Pacing,
        name: &str,
        contacts: &[String],
    ) -> Result<Tag, TargetError> {
        let body = TagRequest {
            name: name.to_owned(),
            users: contacts.iter().map(|id| IdRef { id: id.clone() }).collect(),
        };
        self.post(pacing, api::paths::TAGS, &body).await
    }

    /// `POST /contacts/{id}/tags` `{"id": tag}`: one tag on one contact.
    pub async fn tag_one(&self, pacing: &Pacing, id: &str, tag: &str) -> Result<(), TargetError> {
        let _: serde_json::Value = self
            .post(
                pacing,
                &api::paths::of_contact(id, "tags"),
                &IdRef { id: tag.to_owned() },
            )
            .await?;
        Ok(())
    }
}

/// An answer as it came (`Intercom::raw`).
#[derive(Debug, Clone, PartialEq)]
pub struct RawAnswer {
    pub status: u16,
    pub limits: Limits,
    pub link: Option<String>,
    pub body: Option<serde_json::Value>,
}

fn reached<T>(answer: Result<T, Answer>) -> Result<Reached<T>, TargetError> {
    match answer {
        Ok(value) => Ok(Reached::Done(value)),
        Err(Answer::Gone { into }) => Ok(Reached::Gone { into }),
        Err(other) => Err(other.into_error()),
    }
}

/// An error answer in the shared terms (`api::classify`).
fn error_of(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    limits: Limits,
) -> Answer {
    let code = status.as_u16();
    let parsed: Option<ErrorList> = serde_json::from_slice(body).ok();
    let Some(list) = parsed.filter(|l| !l.errors.is_empty()) else {
        // Not Intercom's error list (a proxy's page): its status says what it is.
        let message = crate::http_client::foreign_answer(status, headers);
        return Answer::Error(match code {
            429 => TargetError::RateLimited {
                retry_after: limits
                    .reset_in
                    .or_else(|| crate::http_client::retry_after(headers)),
            },
            401 => TargetError::Unauthorized(message),
            500..=599 => TargetError::Server {
                status: code,
                message,
            },
            _ => TargetError::Rejected {
                status: code,
                message,
            },
        });
    };
    match api::classify(code, &list) {
        ErrorKind::Throttled => Answer::Error(TargetError::RateLimited {
            // "on 429 sleep until `X-RateLimit-Reset`" [rl].
            retry_after: limits
                .reset_in
                .or_else(|| crate::http_client::retry_after(headers)),
        }),
        ErrorKind::Conflict { id, archived } => Answer::Conflict { id, archived },
        ErrorKind::Gone => Answer::Gone {
            into: headers
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(api::canonical_id),
        },
        ErrorKind::BadCredentials => Answer::Error(TargetError::Unauthorized(format!(
            "Intercom refuses the access token ({code}): {}",
            list.said()
        ))),
        ErrorKind::Transient => Answer::Error(TargetError::Server {
            status: code,
            message: list.said(),
        }),
        ErrorKind::Refused => Answer::Error(TargetError::Rejected {
            status: code,
            message: format!("Intercom: {}", list.said()),
        }),
    }
}
