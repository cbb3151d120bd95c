//! The Intercom sandbox against the contract (`shared/specs/intercom.md`): the token, each
//! create rule, the 409 and its texts, leads that duplicate, updates, merges and the 410,
//! search (its grammar, pages and lag), notes, companies, tags, data attributes, the limit
//! headers and the 429, faults — and each assumed point's variants, read back through
//! `intercom::api`.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use contact_loader::targets::intercom::api::{
    self, Assumptions, Contact, DataAttribute, ErrorKind, ErrorList, Limits, List, Query, Role, Tag,
};
use contact_loader::targets::intercom::sandbox::{Fault, Sandbox, SandboxConfig, StoredContact};

struct Rig {
    sandbox: Sandbox,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn ok(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        self.json()
    }

    fn contact(&self) -> Contact {
        serde_json::from_value(self.ok()).unwrap()
    }

    fn error(&self) -> ErrorList {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The status and the first error's code.
    fn refused(&self) -> (u16, String) {
        let error = self.error();
        assert_eq!(error.kind, "error.list", "{}", self.text);
        assert!(error.request_id.is_some(), "{}", self.text);
        (self.status.as_u16(), error.errors[0].code.clone())
    }

    fn kind(&self) -> ErrorKind {
        api::classify(self.status.as_u16(), &self.error())
    }

    fn limits(&self) -> Limits {
        Limits::from_headers(&self.headers)
    }
}

async fn rig(config: SandboxConfig) -> Rig {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    Rig {
        sandbox,
        http: reqwest::Client::new(),
    }
}

/// A sandbox playing these variants, with a string attribute `position`, an integer
/// `visits` and a boolean `vip`.
async fn playing(variants: &str) -> Rig {
    let attribute = |name: &str, data_type: &str| DataAttribute {
        id: None,
        name: name.into(),
        label: None,
        data_type: data_type.into(),
        custom: true,
        api_writable: true,
        archived: false,
        model: Some("contact".into()),
    };
    rig(SandboxConfig {
        assumptions: Assumptions::parse(variants).unwrap(),
        attributes: vec![
            attribute("position", "string"),
            attribute("visits", "integer"),
            attribute("vip", "boolean"),
        ],
        ..SandboxConfig::default()
    })
    .await
}

impl Rig {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.sandbox.url()))
            .bearer_auth(self.sandbox.token())
            .header("Accept", "application/json")
            .header(api::VERSION_HEADER, api::DEFAULT_VERSION);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn create(&self, body: Value) -> Answer {
        self.post(api::paths::CONTACTS, body).await
    }

    async fn created(&self, body: Value) -> String {
        self.create(body).await.contact().id
    }

    async fn get(&self, id: &str) -> Answer {
        self.send(Method::GET, &api::paths::contact(id), None).await
    }

    async fn put(&self, id: &str, body: Value) -> Answer {
        self.send(Method::PUT, &api::paths::contact(id), Some(body))
            .await
    }

    async fn search(&self, body: Value) -> Answer {
        self.post(api::paths::SEARCH, body).await
    }

    /// The ids a query finds, first page.
    async fn found(&self, query: Value) -> Vec<String> {
        let list: List<Contact> =
            serde_json::from_value(self.search(json!({ "query": query })).await.ok()).unwrap();
        list.data.into_iter().map(|c| c.id).collect()
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Answer {
        status,
        headers,
        text,
    }
}

fn by_email(email: &str) -> Value {
    serde_json::to_value(Query::equals("email", email)).unwrap()
}

#[tokio::test]
async fn only_the_bearer_token_gets_in_and_a_refusal_carries_no_limit_headers() {
    let rig = playing("").await;
    let url = format!("{}{}", rig.sandbox.url(), api::paths::TAGS);
    for request in [
        rig.http.get(&url),
        rig.http.get(&url).bearer_auth("wrong"),
        rig.http.get(&url).basic_auth(rig.sandbox.token(), Some("")),
    ] {
        let refused = answer(request.send().await.unwrap()).await;
        assert_eq!(refused.refused(), (401, "unauthorized".to_owned()));
        assert_eq!(refused.error().errors[0].message, "Access Token Invalid");
        assert_eq!(refused.kind(), ErrorKind::BadCredentials);
        assert_eq!(refused.limits(), Limits::default());
    }
    // Any version is taken ("let the fakes ignore it").
    let any_version = rig
        .http
        .get(&url)
        .bearer_auth(rig.sandbox.token())
        .header(api::VERSION_HEADER, "Unstable")
        .send()
        .await
        .unwrap();
    assert_eq!(any_version.status(), StatusCode::OK);
    assert!(any_version.headers().contains_key(api::RATE_LIMIT));
}

#[tokio::test]
async fn the_inspection_endpoints_need_no_token_and_are_not_counted() {
    let rig = playing("").await;
    rig.created(json!({"email": "a@b.ru"})).await;
    for path in ["/sandbox/contacts", "/sandbox/stats"] {
        let response = reqwest::get(format!("{}{path}", rig.sandbox.url()))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let stats: Value = reqwest::get(format!("{}/sandbox/stats", rig.sandbox.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total"], 1);
    assert_eq!(stats["requests"]["POST /contacts"], 1);
    assert_eq!(stats["tag_repeats"], 0);
    let contacts: Value = reqwest::get(format!("{}/sandbox/contacts", rig.sandbox.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(contacts[0]["email"], "a@b.ru");
    assert_eq!(rig.sandbox.contacts().len(), 1);
}

#[tokio::test]
async fn bodies_must_be_json_and_sent_as_json() {
    let rig = playing("").await;
    let url = format!("{}{}", rig.sandbox.url(), api::paths::CONTACTS);
    let send = |body: &'static str, content_type: &'static str| {
        rig.http
            .post(&url)
            .bearer_auth(rig.sandbox.token())
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    for (body, content_type) in [
        ("email=a@b.ru", "application/x-www-form-urlencoded"),
        (r#"{"email":"a@b.ru""#, "application/json"),
        (r#"["a@b.ru"]"#, "application/json"),
    ] {
        let refused = answer(send(body, content_type).await.unwrap()).await;
        assert_eq!(refused.refused(), (400, "bad_request".to_owned()), "{body}");
    }
    let wrong_accept = rig
        .http
        .get(format!("{}{}", rig.sandbox.url(), api::paths::TAGS))
        .bearer_auth(rig.sandbox.token())
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_accept.status(), StatusCode::NOT_ACCEPTABLE);
    assert!(rig.sandbox.contacts().is_empty());
}

#[tokio::test]
async fn a_create_follows_the_request_schema_and_its_rules() {
    let rig = playing("").await;
    for (body, code, field) in [
        (json!({"name": "Nobody"}), "parameter_not_found", None),
        (
            json!({"role": "user", "phone": "+79991234567"}),
            "parameter_invalid",
            Some("role"),
        ),
        (
            json!({"role": "lead", "external_id": "x1"}),
            "parameter_invalid",
            Some("external_id"),
        ),
        (
            json!({"role": "admin", "email": "a@b.ru"}),
            "parameter_invalid",
            Some("role"),
        ),
        (
            json!({"external_id": "x1", "email_verified": true}),
            "parameter_invalid",
            Some("email_verified"),
        ),
        (
            json!({"email": "not an e-mail"}),
            "parameter_invalid",
            Some("email"),
        ),
        (
            json!({"email": "a@b.ru", "first_name": "A"}),
            "parameter_invalid",
            Some("first_name"),
        ),
        (
            json!({"email": "a@b.ru", "signed_up_at": "yesterday"}),
            "parameter_invalid",
            Some("signed_up_at"),
        ),
        (
            json!({"email": "a@b.ru", "custom_attributes": {"comment": "x"}}),
            "parameter_invalid",
            Some("custom_attributes.comment"),
        ),
        (
            json!({"email": "a@b.ru", "custom_attributes": {"position": "x".repeat(256)}}),
            "parameter_invalid",
            Some("custom_attributes.position"),
        ),
        (
            json!({"email": "a@b.ru", "custom_attributes": {"visits": "three"}}),
            "parameter_invalid",
            Some("custom_attributes.visits"),
        ),
        (
            json!({"email": "a@b.ru", "custom_attributes": {"vip": 1}}),
            "parameter_invalid",
            Some("custom_attributes.vip"),
        ),
    ] {
        let refused = rig.create(body.clone()).await;
        assert_eq!(refused.refused(), (400, code.to_owned()), "{body}");
        assert_eq!(refused.error().errors[0].field.as_deref(), field, "{body}");
    }
    let unknown = rig
        .create(json!({"email": "a@b.ru", "custom_attributes": {"comment": "x"}}))
        .await;
    assert_eq!(
        unknown.error().errors[0].message,
        "Custom attribute 'comment' does not exist"
    );
    assert!(rig.sandbox.contacts().is_empty());

    // A lead with only a phone, a user by external id, a full user.
    let lead = rig
        .create(json!({"role": "lead", "phone": "+79991234567"}))
        .await
        .contact();
    assert_eq!(lead.role, Role::Lead);
    let by_id = rig.create(json!({"external_id": "crm-1"})).await.contact();
    assert_eq!(
        (by_id.role, by_id.external_id.as_deref()),
        (Role::User, Some("crm-1"))
    );
    let full = rig
        .create(json!({
            "email": "ivan@example.ru", "name": "Иван", "email_verified": true,
            "custom_attributes": {"position": "x".repeat(255), "visits": 3, "vip": true}
        }))
        .await;
    let body = full.ok();
    assert_eq!(body["type"], "contact");
    assert_eq!(body["custom_attributes"]["visits"], 3);
    let id = full.contact().id;
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(rig.get(&id).await.contact().name.as_deref(), Some("Иван"));
}

#[tokio::test]
async fn an_existing_user_is_a_409_that_names_it() {
    let rig = playing("").await;
    let id = rig
        .created(json!({"email": "Ivan@Example.ru", "external_id": "crm-1"}))
        .await;
    for body in [
        json!({"email": "  ivan@example.RU "}),
        json!({"external_id": "crm-1", "email": "other@example.ru"}),
        json!({"role": "user", "external_id": "crm-1"}),
    ] {
        let conflict = rig.create(body.clone()).await;
        assert_eq!(conflict.refused(), (409, "conflict".to_owned()), "{body}");
        assert_eq!(
            conflict.error().errors[0].message,
            format!("A contact matching those details already exists with id={id}")
        );
        assert_eq!(
            conflict.kind(),
            ErrorKind::Conflict {
                id: Some(id.clone()),
                archived: false
            }
        );
    }
    // An update onto another user's e-mail conflicts too.
    let other = rig.created(json!({"email": "petr@example.ru"})).await;
    let onto = rig.put(&other, json!({"email": "ivan@example.ru"})).await;
    assert_eq!(onto.refused(), (409, "conflict".to_owned()));

    // Archived: the other text.
    rig.post(&api::paths::of_contact(&id, "archive"), json!({}))
        .await
        .ok();
    let archived = rig.create(json!({"email": "ivan@example.ru"})).await;
    assert_eq!(
        archived.error().errors[0].message,
        format!("An archived contact matching those details already exists with id={id}")
    );
    assert_eq!(
        archived.kind(),
        ErrorKind::Conflict {
            id: Some(id.clone()),
            archived: true
        }
    );
    assert_eq!(rig.sandbox.contacts().len(), 2);
}

#[tokio::test]
async fn conflict_without_id_names_no_contact() {
    let rig = playing("conflict-without-id").await;
    let id = rig.created(json!({"email": "a@b.ru"})).await;
    let conflict = rig.create(json!({"email": "a@b.ru"})).await;
    assert_eq!(
        conflict.kind(),
        ErrorKind::Conflict {
            id: None,
            archived: false
        }
    );
    rig.post(&api::paths::of_contact(&id, "archive"), json!({}))
        .await
        .ok();
    assert_eq!(
        rig.create(json!({"email": "a@b.ru"})).await.error().errors[0].message,
        "An archived contact matching those details already exists"
    );
}

#[tokio::test]
async fn leads_never_conflict_so_a_second_create_is_a_duplicate() {
    let rig = playing("").await;
    let lead = json!({"role": "lead", "email": "a@b.ru", "phone": "+79991234567"});
    let first = rig.created(lead.clone()).await;
    let second = rig.created(lead).await;
    assert_ne!(first, second);
    // A user with a lead's e-mail is not a conflict either; a lead with a user's is not.
    rig.created(json!({"email": "a@b.ru"})).await;
    rig.created(json!({"role": "lead", "email": "a@b.ru"}))
        .await;
    assert_eq!(rig.sandbox.contacts().len(), 4);
    assert_eq!(rig.found(by_email("A@B.ru")).await.len(), 4);
}

#[tokio::test]
async fn phones_are_stripped_and_checked_when_validation_is_on() {
    let rig = playing("").await;
    let lead = rig
        .create(json!({"role": "lead", "phone": "+7 (999) 123-45-67"}))
        .await
        .contact();
    assert_eq!(lead.phone.as_deref(), Some("+79991234567"));
    // Validation off: any number is kept.
    rig.create(json!({"role": "lead", "phone": "12345"}))
        .await
        .contact();

    let strict = playing("phone-validation").await;
    for phone in ["12345", "89991234567", "+7999"] {
        let refused = strict.create(json!({"role": "lead", "phone": phone})).await;
        assert_eq!(
            refused.refused(),
            (400, "parameter_invalid".to_owned()),
            "{phone}"
        );
        assert_eq!(refused.error().errors[0].field.as_deref(), Some("phone"));
    }
    strict
        .create(json!({"role": "lead", "phone": "0049 30 1234567"}))
        .await
        .contact();
}

#[tokio::test]
async fn an_update_changes_only_the_sent_keys() {
    let rig = playing("").await;
    let id = rig
        .created(json!({"email": "a@b.ru", "name": "A",
                        "custom_attributes": {"position": "CTO", "visits": 1}}))
        .await;
    let updated = rig
        .put(
            &id,
            json!({"phone": "+79991234567", "custom_attributes": {"visits": 2}}),
        )
        .await
        .contact();
    assert_eq!(updated.name.as_deref(), Some("A"));
    assert_eq!(updated.phone.as_deref(), Some("+79991234567"));
    assert_eq!(updated.custom_attributes["position"], "CTO");
    assert_eq!(updated.custom_attributes["visits"], 2);
    let cleared = rig.put(&id, json!({"name": null})).await.contact();
    assert_eq!(cleared.name, None);
    let verified = rig.put(&id, json!({"email_verified": true})).await.ok();
    assert_eq!(verified["email_verified"], true);
    let refused = rig
        .put(&id, json!({"email": null, "email_verified": true}))
        .await;
    assert_eq!(
        refused.error().errors[0].field.as_deref(),
        Some("email_verified")
    );
    for (body, field) in [
        (
            json!({"custom_attributes": {"comment": "x"}}),
            "custom_attributes.comment",
        ),
        (json!({"email": null}), "role"),
        (json!({"role": "lead"}), "role"),
    ] {
        let refused = rig.put(&id, body.clone()).await;
        assert_eq!(
            refused.refused(),
            (400, "parameter_invalid".to_owned()),
            "{body}"
        );
        assert_eq!(refused.error().errors[0].field.as_deref(), Some(field));
    }
    // A lead becomes a user.
    let lead = rig
        .created(json!({"role": "lead", "phone": "+79990000000"}))
        .await;
    let user = rig
        .put(&lead, json!({"role": "user", "email": "lead@b.ru"}))
        .await
        .contact();
    assert_eq!(user.role, Role::User);

    let unknown = rig.get("0123456789abcdef01234567").await;
    assert_eq!(unknown.refused(), (404, "not_found".to_owned()));
    let unknown = rig
        .put("0123456789abcdef01234567", json!({"name": "x"}))
        .await;
    assert_eq!(unknown.refused(), (404, "not_found".to_owned()));

    let replaced = playing("attributes-replaced").await;
    let id = replaced
        .created(json!({"email": "a@b.ru", "custom_attributes": {"position": "CTO", "visits": 1}}))
        .await;
    let updated = replaced
        .put(&id, json!({"custom_attributes": {"visits": 2}}))
        .await
        .contact();
    assert_eq!(updated.custom_attributes.len(), 1);
    assert_eq!(updated.custom_attributes["visits"], 2);
}

#[tokio::test]
async fn an_archived_contact_answers_but_takes_no_writes_until_unarchived() {
    let rig = playing("").await;
    let id = rig.created(json!({"email": "a@b.ru"})).await;
    let archived = rig
        .post(&api::paths::of_contact(&id, "archive"), json!({}))
        .await
        .ok();
    assert_eq!(
        archived,
        json!({"type": "contact", "id": id, "external_id": null, "archived": true})
    );
    let got = rig.get(&id).await.contact();
    assert!(got.archived);
    let tag = rig.sandbox.insert_tag("vip");
    for refused in [
        rig.put(&id, json!({"name": "A"})).await,
        rig.post(&api::paths::of_contact(&id, "notes"), json!({"body": "x"}))
            .await,
        rig.post(&api::paths::of_contact(&id, "tags"), json!({"id": tag}))
            .await,
    ] {
        assert_eq!(refused.refused(), (400, "bad_request".to_owned()));
    }
    assert!(rig.found(by_email("a@b.ru")).await.is_empty());
    // Unarchiving needs no body.
    let unarchived = answer(
        rig.http
            .post(format!(
                "{}{}",
                rig.sandbox.url(),
                api::paths::of_contact(&id, "unarchive")
            ))
            .bearer_auth(rig.sandbox.token())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unarchived.ok()["archived"], false);
    assert!(!rig.put(&id, json!({"name": "A"})).await.contact().archived);
    assert_eq!(rig.found(by_email("a@b.ru")).await, vec![id]);
}

#[tokio::test]
async fn a_merged_lead_is_gone_with_a_link_to_its_user() {
    let rig = playing("").await;
    let user = rig.created(json!({"email": "a@b.ru"})).await;
    let lead = rig
        .created(json!({"role": "lead", "email": "A@b.ru", "phone": "+79991234567"}))
        .await;
    let tag = rig.sandbox.insert_tag("webinar");
    rig.post(&api::paths::of_contact(&lead, "tags"), json!({"id": tag}))
        .await
        .ok();
    rig.post(
        &api::paths::of_contact(&lead, "notes"),
        json!({"body": "hi"}),
    )
    .await
    .ok();
    let other = rig.created(json!({"email": "b@b.ru"})).await;
    let stranger = rig
        .created(json!({"role": "lead", "phone": "+79990000000"}))
        .await;
    for (body, code) in [
        (json!({"from": user, "into": other}), "invalid_merge"),
        (json!({"from": lead, "into": stranger}), "invalid_merge"),
        (json!({"from": stranger, "into": user}), "invalid_merge"),
        (json!({"from": lead}), "parameter_not_found"),
    ] {
        let refused = rig.post("/contacts/merge", body.clone()).await;
        assert_eq!(refused.refused(), (400, code.to_owned()), "{body}");
    }
    let merged = rig
        .post("/contacts/merge", json!({"from": lead, "into": user}))
        .await
        .ok();
    assert_eq!(merged["id"], user);
    assert_eq!(merged["phone"], "+79991234567");
    assert_eq!(merged["tags"]["data"][0]["id"], tag);
    assert_eq!(merged["notes"]["total_count"], 1);

    let gone = rig.get(&lead).await;
    assert_eq!(gone.refused(), (410, "contact_merged".to_owned()));
    assert_eq!(gone.kind(), ErrorKind::Gone);
    let link = gone.headers["link"].to_str().unwrap();
    assert_eq!(link, format!("</contacts/{user}>; rel=\"canonical\""));
    assert_eq!(api::canonical_id(link), Some(user.clone()));
    assert_eq!(
        rig.put(&lead, json!({"name": "x"})).await.status,
        StatusCode::GONE
    );
    assert_eq!(rig.found(by_email("a@b.ru")).await, vec![user.clone()]);

    // Without a shared e-mail or phone, only with skip_duplicate_validation.
    rig.post(
        "/contacts/merge",
        json!({"from": stranger, "into": user, "skip_duplicate_validation": true}),
    )
    .await
    .ok();

    let not_found = playing("merged-404").await;
    let user = not_found.created(json!({"email": "a@b.ru"})).await;
    let lead = not_found
        .created(json!({"role": "lead", "phone": "+79991234567"}))
        .await;
    not_found.sandbox.merge(&lead, &user).unwrap();
    let gone = not_found.get(&lead).await;
    assert_eq!(gone.refused(), (404, "not_found".to_owned()));
    assert!(!gone.headers.contains_key("link"));
}

#[tokio::test]
async fn search_takes_the_documented_grammar_only() {
    let rig = playing("").await;
    let filter = json!({"field": "email", "operator": "=", "value": "a@b.ru"});
    let group = |items: Vec<Value>| json!({"operator": "OR", "value": items});
    for query in [
        json!({"field": "first_name", "operator": "=", "value": "x"}),
        json!({"field": "email", "operator": "LIKE", "value": "x"}),
        json!({"field": "email", "operator": "IN", "value": "x"}),
        json!({"field": "custom_attributes.comment", "operator": "=", "value": "x"}),
        json!({"field": "email", "operator": "="}),
        group(vec![]),
        group(vec![filter.clone(); 16]),
        group(vec![group(vec![group(vec![filter.clone()])])]),
    ] {
        let refused = rig.search(json!({ "query": query })).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{query}");
    }
    rig.search(json!({"query": group(vec![filter.clone(); 15])}))
        .await
        .ok();
    rig.search(json!({"query": group(vec![group(vec![filter.clone()])])}))
        .await
        .ok();
    let refused = rig
        .search(json!({"query": filter, "pagination": {"per_page": 151}}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn search_finds_by_each_operator_and_pages_with_a_cursor() {
    let rig = playing("").await;
    let old = rig.sandbox.insert_contact(StoredContact {
        name: Some("Old Timer".into()),
        created_at: 1_000,
        ..StoredContact::user("old@corp.ru")
    });
    let ivan = rig
        .created(
            json!({"email": "ivan@corp.ru", "name": "Ivan", "external_id": "crm-1",
                        "custom_attributes": {"visits": 5}}),
        )
        .await;
    let lead = rig
        .created(json!({"role": "lead", "phone": "+79991234567"}))
        .await;
    let tag = rig.sandbox.insert_tag("vip");
    rig.post(&api::paths::of_contact(&lead, "tags"), json!({"id": tag}))
        .await
        .ok();
    let q = |field: &str, operator: &str, value: Value| json!({"field": field, "operator": operator, "value": value});
    let mut cases = vec![
        (q("email", "=", json!("IVAN@corp.ru")), vec![ivan.clone()]),
        (
            q("email", "~", json!("corp")),
            vec![old.clone(), ivan.clone()],
        ),
        (
            q("email", "$", json!("@corp.ru")),
            vec![old.clone(), ivan.clone()],
        ),
        (q("name", "^", json!("old")), vec![old.clone()]),
        (q("role", "=", json!("lead")), vec![lead.clone()]),
        (
            q("role", "!=", json!("lead")),
            vec![old.clone(), ivan.clone()],
        ),
        (
            q("external_id", "IN", json!(["crm-1", "crm-2"])),
            vec![ivan.clone()],
        ),
        (
            q("email", "NIN", json!(["ivan@corp.ru"])),
            vec![old.clone(), lead.clone()],
        ),
        (q("created_at", "<", json!(2_000)), vec![old.clone()]),
        (
            q("created_at", ">", json!(2_000)),
            vec![ivan.clone(), lead.clone()],
        ),
        (q("phone", "=", json!("+79991234567")), vec![lead.clone()]),
        (q("email", "=", Value::Null), vec![lead.clone()]),
        (q("tag_id", "=", json!(tag)), vec![lead.clone()]),
        (
            q("custom_attributes.visits", ">", json!(4)),
            vec![ivan.clone()],
        ),
        (q("id", "=", json!(ivan)), vec![ivan.clone()]),
        (
            json!({"operator": "AND", "value": [q("email", "~", json!("corp")), q("name", "=", json!("Ivan"))]}),
            vec![ivan.clone()],
        ),
    ];
    for (query, expected) in cases.drain(..) {
        let mut found = rig.found(query.clone()).await;
        let mut expected = expected;
        found.sort();
        expected.sort();
        assert_eq!(found, expected, "{query}");
    }

    // Pages: created_at ascending, a cursor to the next page, none after the last.
    let all = q("role", "IN", json!(["user", "lead"]));
    let first: List<Contact> = serde_json::from_value(
        rig.search(json!({"query": all, "pagination": {"per_page": 2}}))
            .await
            .ok(),
    )
    .unwrap();
    assert_eq!(first.total_count, Some(3));
    assert_eq!(first.data[0].id, old);
    let cursor = first.next_cursor().unwrap();
    let second: List<Contact> = serde_json::from_value(
        rig.search(json!({"query": all,
                          "pagination": {"per_page": 2, "starting_after": cursor}}))
            .await
            .ok(),
    )
    .unwrap();
    assert_eq!(second.data.len(), 1);
    assert_eq!(second.next_cursor(), None);
    let bad = rig
        .search(json!({"query": all, "pagination": {"per_page": 2, "starting_after": "abc"}}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn search_lags_behind_writes() {
    let rig = rig(SandboxConfig {
        search_lag: Duration::from_millis(400),
        ..SandboxConfig::default()
    })
    .await;
    let before = rig.sandbox.insert_contact(StoredContact::user("old@b.ru"));
    let new = rig.created(json!({"email": "new@b.ru"})).await;
    assert!(rig.found(by_email("new@b.ru")).await.is_empty());
    // The 409 is the guard, not search.
    assert_eq!(
        rig.create(json!({"email": "new@b.ru"})).await.status,
        StatusCode::CONFLICT
    );
    // An update: search still sees the old state.
    rig.put(&before, json!({"email": "renamed@b.ru"}))
        .await
        .contact();
    assert_eq!(rig.found(by_email("old@b.ru")).await, vec![before.clone()]);
    assert!(rig.found(by_email("renamed@b.ru")).await.is_empty());
    // By id it is there at once.
    assert_eq!(rig.get(&new).await.contact().id, new);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(rig.found(by_email("new@b.ru")).await, vec![new]);
    assert_eq!(rig.found(by_email("renamed@b.ru")).await, vec![before]);
    assert!(rig.found(by_email("old@b.ru")).await.is_empty());
}

#[tokio::test]
async fn archived_contacts_are_searchable_only_under_that_variant() {
    for (variants, found) in [("", false), ("archived-in-search", true)] {
        let rig = playing(variants).await;
        let id = rig.sandbox.insert_contact(StoredContact {
            archived: true,
            ..StoredContact::user("a@b.ru")
        });
        let list: List<Contact> =
            serde_json::from_value(rig.search(json!({"query": by_email("a@b.ru")})).await.ok())
                .unwrap();
        assert_eq!(
            list.data.iter().any(|c| c.id == id && c.archived),
            found,
            "{variants}"
        );
    }
}

#[tokio::test]
async fn notes_are_appended_every_time() {
    let rig = playing("").await;
    let id = rig.created(json!({"email": "a@b.ru"})).await;
    let path = api::paths::of_contact(&id, "notes");
    let first = rig.post(&path, json!({"body": "<p>call</p>"})).await.ok();
    let second = rig.post(&path, json!({"body": "<p>call</p>"})).await.ok();
    assert_eq!(first["type"], "note");
    assert_ne!(first["id"], second["id"]);
    let listed: List<api::Note> =
        serde_json::from_value(rig.send(Method::GET, &path, None).await.ok()).unwrap();
    assert_eq!(listed.data.len(), 2);
    assert!(api::note_is(&listed.data[0], "call"));
    let empty = rig.post(&path, json!({})).await;
    assert_eq!(empty.refused(), (400, "parameter_not_found".to_owned()));
    assert_eq!(rig.sandbox.contacts()[0].notes.len(), 2);
}

#[tokio::test]
async fn companies_are_upserted_by_company_id_and_attached_once() {
    let rig = playing("").await;
    let made: api::Company = serde_json::from_value(
        rig.post(
            api::paths::COMPANIES,
            json!({"company_id": "acme", "name": "Acme"}),
        )
        .await
        .ok(),
    )
    .unwrap();
    let again: api::Company = serde_json::from_value(
        rig.post(
            api::paths::COMPANIES,
            json!({"company_id": "acme", "name": "ACME Inc"}),
        )
        .await
        .ok(),
    )
    .unwrap();
    assert_eq!(made.id, again.id);
    assert_eq!(again.name, "ACME Inc");
    assert_eq!(rig.sandbox.companies().len(), 1);

    let id = rig.created(json!({"email": "a@b.ru"})).await;
    let path = api::paths::of_contact(&id, "companies");
    for _ in 0..2 {
        rig.post(&path, json!({"id": made.id})).await.ok();
    }
    let contact = rig.get(&id).await.ok();
    assert_eq!(contact["companies"]["total_count"], 1);
    assert_eq!(contact["companies"]["data"][0]["id"], json!(made.id));
    let unknown = rig.post(&path, json!({"id": "999999"})).await;
    assert_eq!(unknown.refused(), (404, "company_not_found".to_owned()));
}

#[tokio::test]
async fn tags_are_a_set_and_repeats_are_counted() {
    let rig = playing("").await;
    let made: Tag = serde_json::from_value(
        rig.post(api::paths::TAGS, json!({"name": "webinar"}))
            .await
            .ok(),
    )
    .unwrap();
    let same: Tag = serde_json::from_value(
        rig.post(api::paths::TAGS, json!({"name": "Webinar"}))
            .await
            .ok(),
    )
    .unwrap();
    assert_eq!(made.id, same.id);
    let renamed: Tag = serde_json::from_value(
        rig.post(
            api::paths::TAGS,
            json!({"name": "webinar-2026", "id": made.id}),
        )
        .await
        .ok(),
    )
    .unwrap();
    assert_eq!(renamed.id, made.id);
    let listed: List<Tag> =
        serde_json::from_value(rig.send(Method::GET, api::paths::TAGS, None).await.ok()).unwrap();
    assert_eq!(listed.data.len(), 1);
    assert_eq!(listed.data[0].name, "webinar-2026");

    let id = rig.created(json!({"email": "a@b.ru"})).await;
    let path = api::paths::of_contact(&id, "tags");
    rig.post(&path, json!({"id": made.id})).await.ok();
    assert_eq!(rig.sandbox.stats().tag_repeats, 0);
    rig.post(&path, json!({"id": made.id})).await.ok();
    assert_eq!(rig.sandbox.stats().tag_repeats, 1);
    assert_eq!(rig.sandbox.contacts()[0].tags.len(), 1);
    let unknown_tag = rig.post(&path, json!({"id": "999999"})).await;
    assert_eq!(unknown_tag.refused(), (404, "tag_not_found".to_owned()));
    let unknown_contact = rig
        .post(
            &api::paths::of_contact("0123456789abcdef01234567", "tags"),
            json!({"id": made.id}),
        )
        .await;
    assert_eq!(unknown_contact.refused(), (404, "not_found".to_owned()));
    let removed = rig
        .send(Method::DELETE, &format!("{path}/{}", made.id), None)
        .await;
    removed.ok();
    assert!(rig.sandbox.contacts()[0].tags.is_empty());
    let stats = rig.sandbox.stats();
    assert_eq!(stats.requests["POST /contacts/{id}/tags"], 4);
    assert_eq!(stats.requests["DELETE /contacts/{id}/tags/{id}"], 1);
}

#[tokio::test]
async fn the_bulk_tag_call_tags_many_as_each_variant_answers() {
    for variants in [
        "",
        "bulk-tag-users-only",
        "bulk-tag-50",
        "bulk-tag-unlisted",
    ] {
        let rig = playing(variants).await;
        let user = rig.created(json!({"email": "a@b.ru"})).await;
        let lead = rig
            .created(json!({"role": "lead", "phone": "+79991234567"}))
            .await;
        let users = json!([{"id": user}, {"id": lead}, {"id": user}]);
        let answer = rig
            .post(api::paths::TAGS, json!({"name": "webinar", "users": users}))
            .await
            .ok();
        let tag: Tag = serde_json::from_value(answer.clone()).unwrap();
        assert_eq!(tag.name, "webinar");
        let leads_tagged = variants != "bulk-tag-users-only";
        match variants {
            "bulk-tag-unlisted" => assert_eq!(tag.users, None, "{answer}"),
            _ => {
                let listed = tag.users.unwrap();
                assert_eq!(listed.len(), 3);
                assert!(listed[0].tagged);
                assert_eq!(listed[1].tagged, leads_tagged, "{variants}");
                assert_eq!(answer["companies"], json!([]));
            }
        }
        let contacts = rig.sandbox.contacts();
        let tagged = |id: &str| contacts.iter().find(|c| c.id == id).unwrap().tags.len();
        assert_eq!(
            (tagged(&user), tagged(&lead)),
            (1, usize::from(leads_tagged))
        );
        // The same contact twice in one call is a repeat.
        assert_eq!(rig.sandbox.stats().tag_repeats, 1, "{variants}");

        let most = if variants == "bulk-tag-50" {
            50
        } else {
            api::TAG_BATCH
        };
        let many = |n: usize| json!({"name": "many", "users": vec![json!({"id": user}); n]});
        rig.post(api::paths::TAGS, many(most)).await.ok();
        let refused = rig.post(api::paths::TAGS, many(most + 1)).await;
        assert_eq!(
            refused.refused(),
            (400, "parameter_invalid".to_owned()),
            "{variants}"
        );
    }
}

#[tokio::test]
async fn ids_as_numbers_makes_tag_and_company_ids_numbers() {
    let rig = playing("ids-as-numbers").await;
    let tag = rig
        .post(api::paths::TAGS, json!({"name": "vip"}))
        .await
        .ok();
    assert!(tag["id"].is_u64(), "{tag}");
    let company = rig
        .post(
            api::paths::COMPANIES,
            json!({"company_id": "acme", "name": "Acme"}),
        )
        .await
        .ok();
    assert!(company["id"].is_u64(), "{company}");
    let id = rig.created(json!({"email": "a@b.ru"})).await;
    // Numbers are taken back as ids.
    rig.post(
        &api::paths::of_contact(&id, "tags"),
        json!({"id": tag["id"]}),
    )
    .await
    .ok();
    rig.post(
        &api::paths::of_contact(&id, "companies"),
        json!({"id": company["id"]}),
    )
    .await
    .ok();
    let contact = rig.get(&id).await.ok();
    assert!(contact["tags"]["data"][0]["id"].is_u64());
    assert!(contact["companies"]["data"][0]["id"].is_u64());
    assert!(contact["id"].is_string());
}

#[tokio::test]
async fn data_attributes_list_standard_and_custom_and_are_created_once() {
    let rig = playing("").await;
    let listed: List<DataAttribute> = serde_json::from_value(
        rig.send(Method::GET, "/data_attributes?model=contact", None)
            .await
            .ok(),
    )
    .unwrap();
    let email = listed.data.iter().find(|a| a.name == "email").unwrap();
    assert!(!email.custom && email.api_writable);
    let position = listed.data.iter().find(|a| a.name == "position").unwrap();
    assert!(position.custom && !position.archived);
    assert_eq!(position.data_type, "string");

    let new = json!({"name": "comment", "model": "contact", "data_type": "string",
                     "description": "from the sheet"});
    let made: DataAttribute = serde_json::from_value(
        rig.post(api::paths::DATA_ATTRIBUTES, new.clone())
            .await
            .ok(),
    )
    .unwrap();
    assert!(made.custom);
    for body in [
        new,
        json!({"name": "email", "model": "contact", "data_type": "string"}),
        json!({"name": "x", "model": "contact", "data_type": "text"}),
        json!({"name": "a.b", "model": "contact", "data_type": "string"}),
    ] {
        let refused = rig.post(api::paths::DATA_ATTRIBUTES, body.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
    }
    rig.created(json!({"email": "a@b.ru", "custom_attributes": {"comment": "hi"}}))
        .await;
}

#[tokio::test]
async fn every_authenticated_answer_carries_the_limit_and_the_window_throttles() {
    let rig = rig(SandboxConfig {
        limit_per_window: 3,
        window: Duration::from_millis(600),
        ..SandboxConfig::default()
    })
    .await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let answer = rig.send(Method::GET, api::paths::TAGS, None).await;
        assert_eq!(answer.status, StatusCode::OK);
        let limits = answer.limits();
        assert_eq!(limits.per_window, Some(3));
        remaining.push(limits.remaining.unwrap());
        assert!(limits.reset_in.is_some());
    }
    assert_eq!(remaining, vec![2, 1, 0]);
    let throttled = rig.send(Method::GET, api::paths::TAGS, None).await;
    assert_eq!(throttled.refused(), (429, "rate_limit_exceeded".to_owned()));
    assert_eq!(throttled.kind(), ErrorKind::Throttled);
    assert_eq!(throttled.limits().remaining, Some(0));
    assert_eq!(
        throttled.error().errors[0].message,
        "Exceeded rate limit of 3 in 1_seconds"
    );
    assert_eq!(rig.sandbox.stats().throttled, 1);
    tokio::time::sleep(Duration::from_millis(650)).await;
    let again = rig.send(Method::GET, api::paths::TAGS, None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.limits().remaining, Some(2));

    let default = playing("").await;
    let message = default.send(Method::GET, api::paths::TAGS, None).await;
    assert_eq!(message.limits().per_window, Some(1_666));
    let absent = playing("no-rate-headers").await;
    let answer = absent.send(Method::GET, api::paths::TAGS, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.limits(), Limits::default());
}

#[tokio::test]
async fn the_default_window_says_ten_seconds() {
    let rig = rig(SandboxConfig {
        limit_per_window: 1,
        ..SandboxConfig::default()
    })
    .await;
    rig.send(Method::GET, api::paths::TAGS, None).await.ok();
    let throttled = rig.send(Method::GET, api::paths::TAGS, None).await;
    assert_eq!(
        throttled.error().errors[0].message,
        "Exceeded rate limit of 1 in 10_seconds"
    );
    let reset_in = throttled.limits().reset_in.unwrap();
    assert!(reset_in <= Duration::from_secs(11) && reset_in >= Duration::from_secs(8));
}

#[tokio::test]
async fn faults_are_served_before_or_after_the_write_as_asked() {
    let flaky = rig(SandboxConfig {
        fail_rate: 1.0,
        ..SandboxConfig::default()
    })
    .await;
    let rig = playing("").await;
    rig.sandbox
        .inject(Method::POST, api::paths::CONTACTS, Fault::ServerError, 1);
    let before = rig.create(json!({"email": "a@b.ru"})).await;
    assert_eq!(before.kind(), ErrorKind::Transient);
    assert!(rig.sandbox.contacts().is_empty());

    rig.sandbox.inject(
        Method::POST,
        api::paths::CONTACTS,
        Fault::ServerErrorAfterApply,
        1,
    );
    let after = rig.create(json!({"email": "a@b.ru"})).await;
    assert_eq!(after.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(rig.sandbox.contacts().len(), 1);
    // The retry meets the 409, naming what the lost answer would have.
    let retry = rig.create(json!({"email": "a@b.ru"})).await;
    assert_eq!(
        retry.kind(),
        ErrorKind::Conflict {
            id: Some(rig.sandbox.contacts()[0].id.clone()),
            archived: false
        }
    );

    rig.sandbox
        .inject(Method::POST, api::paths::CONTACTS, Fault::DropAfterApply, 1);
    let dropped = rig
        .http
        .post(format!("{}{}", rig.sandbox.url(), api::paths::CONTACTS))
        .bearer_auth(rig.sandbox.token())
        .json(&json!({"email": "b@b.ru"}))
        .send()
        .await;
    let failed = match dropped {
        Err(_) => true,
        Ok(response) => response.text().await.is_err(),
    };
    assert!(failed);
    assert_eq!(rig.sandbox.contacts().len(), 2);

    rig.sandbox
        .inject(Method::GET, "/tags", Fault::HtmlBadGateway, 1);
    let html = rig.send(Method::GET, api::paths::TAGS, None).await;
    assert_eq!(html.status, StatusCode::BAD_GATEWAY);
    assert!(html.text.starts_with("<html>"));

    rig.sandbox
        .inject(Method::GET, "/tags", Fault::Throttled, 2);
    for _ in 0..2 {
        let throttled = rig.send(Method::GET, api::paths::TAGS, None).await;
        assert_eq!(throttled.kind(), ErrorKind::Throttled);
    }
    rig.send(Method::GET, api::paths::TAGS, None).await.ok();
    assert_eq!(rig.sandbox.stats().throttled, 2);

    for _ in 0..4 {
        let answer = flaky.send(Method::GET, api::paths::TAGS, None).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}

#[tokio::test]
async fn unknown_paths_answer_intercoms_404() {
    let rig = playing("").await;
    let answer = rig.send(Method::GET, "/conversations", None).await;
    assert_eq!(answer.refused(), (404, "not_found".to_owned()));
    let by_external_id = rig.created(json!({"external_id": "crm-7"})).await;
    let found = rig
        .send(Method::GET, "/contacts/find_by_external_id/crm-7", None)
        .await
        .contact();
    assert_eq!(found.id, by_external_id);
}
