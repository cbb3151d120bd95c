//! The Omnidesk sandbox against the contract (`shared/specs/omnidesk.md`): credentials,
//! each validation rule, duplicates, search with anchors and the `+` trap, edits, links,
//! custom fields, the limit headers and throttling, faults — and each assumed point's
//! variants, read back through `omnidesk::api`.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use contact_loader::targets::omnidesk::api::{
    self, Assumptions, CustomField, ErrorKind, FieldData, FieldType, Language, Limits, Match, Page,
    User, UserEnvelope,
};
use contact_loader::targets::omnidesk::sandbox::{Fault, Sandbox, SandboxConfig, StoredUser};

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

    fn user(&self) -> User {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        serde_json::from_str::<UserEnvelope>(&self.text)
            .unwrap()
            .user
    }

    fn users(&self) -> Page<User> {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        serde_json::from_str(&self.text).unwrap()
    }

    fn kind(&self) -> ErrorKind {
        api::classify(self.status.as_u16(), self.text.as_bytes())
    }

    fn code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
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

async fn playing(variants: &str) -> Rig {
    rig(SandboxConfig {
        assumptions: Assumptions::parse(variants).unwrap(),
        ..SandboxConfig::default()
    })
    .await
}

impl Rig {
    async fn send(&self, method: Method, path_and_query: &str, body: Option<Value>) -> Answer {
        let url = format!("{}{path_and_query}", self.sandbox.url());
        let mut request = self
            .http
            .request(method, &url)
            .basic_auth(self.sandbox.staff_email(), Some(self.sandbox.api_key()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        Answer {
            status,
            headers,
            text,
        }
    }

    async fn create(&self, user: Value) -> Answer {
        self.send(
            Method::POST,
            api::paths::USERS,
            Some(json!({ "user": user })),
        )
        .await
    }

    async fn edit(&self, id: u64, user: Value) -> Answer {
        self.send(
            Method::PUT,
            &api::paths::user(id),
            Some(json!({ "user": user })),
        )
        .await
    }

    async fn link(&self, id: u64, body: Value) -> Answer {
        self.send(Method::PUT, &api::paths::link(id), Some(body))
            .await
    }

    /// `GET /api/users.json?{query}`, the query sent as written.
    async fn search(&self, query: &str) -> Answer {
        self.send(Method::GET, &format!("{}?{query}", api::paths::USERS), None)
            .await
    }

    async fn found(&self, pairs: &[(&str, &str)]) -> Vec<u64> {
        let page = self.search(&api::query(pairs)).await.users();
        page.items.iter().map(|u| u.user_id).collect()
    }

    async fn get(&self, id: u64) -> User {
        self.send(Method::GET, &api::paths::user(id), None)
            .await
            .user()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn requests_without_the_staff_credentials_are_refused_in_the_error_form() {
    let rig = rig(SandboxConfig::default()).await;
    let url = format!("{}{}", rig.sandbox.url(), api::paths::CUSTOM_FIELDS);
    for request in [
        rig.http.get(&url),
        rig.http
            .get(&url)
            .basic_auth(rig.sandbox.staff_email(), Some("wrong")),
        rig.http
            .get(&url)
            .basic_auth("other@x.ru", Some(rig.sandbox.api_key())),
        rig.http.get(&url).bearer_auth(rig.sandbox.api_key()),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string(), "{body}");
    }
    let ok = rig.send(Method::GET, api::paths::CUSTOM_FIELDS, None).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        api::classify(401, br#"{"error":"not_authorized"}"#),
        ErrorKind::BadCredentials
    );
}

#[tokio::test]
async fn the_inspection_endpoints_need_no_credentials_and_are_not_counted() {
    let rig = rig(SandboxConfig::default()).await;
    rig.create(json!({"user_email": "a@b.ru"})).await.user();
    for path in ["/sandbox/users", "/sandbox/stats"] {
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
    assert_eq!(stats["requests"]["POST /api/users.json"], 1);
    assert_eq!(rig.sandbox.stats().total, 1);
    assert_eq!(rig.sandbox.users().len(), 1);
}

#[tokio::test]
async fn a_create_needs_an_identifier_and_well_formed_values() {
    let rig = rig(SandboxConfig::default()).await;
    for (user, code) in [
        (
            json!({"user_full_name": "Без контактов"}),
            "identifier_required",
        ),
        (json!({"user_email": "  "}), "identifier_required"),
        (json!({"user_email": "not-an-address"}), "wrong_email"),
        (json!({"user_email": "a@b"}), "wrong_email"),
        (json!({"user_phone": "позвонить"}), "wrong_phone"),
        (json!({"user_custom_id": "42"}), "custom_channel_required"),
        (
            json!({"user_email": "a@b.ru", "language_id": 99}),
            "language_not_found",
        ),
        (
            json!({"user_email": "a@b.ru", "custom_fields": "cf_1"}),
            "wrong_data",
        ),
    ] {
        let answer = rig.create(user.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{user}");
        assert_eq!(answer.code(), code, "{user}");
    }
    assert_eq!(
        rig.create(json!({"user_email": "bad"})).await.kind(),
        ErrorKind::WrongEmail
    );
    let body_not_under_user = rig
        .send(
            Method::POST,
            api::paths::USERS,
            Some(json!({"user_email": "a@b.ru"})),
        )
        .await;
    assert_eq!(body_not_under_user.status, StatusCode::BAD_REQUEST);
    assert!(rig.sandbox.users().is_empty());

    let custom = rig
        .create(json!({"user_custom_id": "42", "user_custom_channel": "cch101"}))
        .await
        .user();
    assert_eq!(custom.identifier(api::CUSTOM_ID_FIELD), Some("42"));
    assert_eq!(custom.user_custom_channel.as_deref(), Some("cch101"));
    let telegram = rig.create(json!({"user_telegram": 123456789})).await.user();
    assert_eq!(telegram.kind.as_deref(), Some("telegram"));
}

#[tokio::test]
async fn the_create_answer_has_rfc2822_dates_and_a_password_no_other_answer_has() {
    let rig = rig(SandboxConfig::default()).await;
    let created = rig
        .create(json!({"user_email": "ivan@example.ru", "user_full_name": "Иван", "user_note": "из CRM", "password": "mine"}))
        .await;
    let raw = created.json();
    let password = raw["user"]["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 12 && password != "mine", "{password}");
    let user = created.user();
    assert!(!format!("{user:?}").contains(&password));
    assert_eq!(user.kind.as_deref(), Some("email"));
    assert_eq!(user.user_note.as_deref(), Some("из CRM"));
    let date = user.created_at.unwrap();
    // "Mon, 05 May 2014 00:15:17 +0300"
    let parts: Vec<&str> = date.split(' ').collect();
    assert_eq!(parts.len(), 6, "{date}");
    assert!(parts[0].ends_with(',') && parts[5] == "+0300", "{date}");
    let fetched = rig
        .send(Method::GET, &api::paths::user(user.user_id), None)
        .await;
    assert!(!fetched.text.contains("password"), "{}", fetched.text);
    let listed = rig.search("user_email=ivan").await;
    assert!(!listed.text.contains("password"));
    assert!(
        !serde_json::to_string(&rig.sandbox.users())
            .unwrap()
            .contains(&password)
    );
}

#[tokio::test]
async fn a_duplicate_is_answered_with_its_code_and_without_the_id_by_default() {
    let rig = rig(SandboxConfig::default()).await;
    let email = rig.create(json!({"user_email": "a@b.ru"})).await.user();
    rig.create(json!({"user_phone": "+79991234567"}))
        .await
        .user();
    rig.create(json!({"user_telegram": "123"})).await.user();
    let mut deleted = StoredUser::new(api::EMAIL_FIELD, "gone@b.ru");
    deleted.deleted = true;
    let deleted_id = rig.sandbox.insert_user(deleted);

    for (user, code, field) in [
        (
            json!({"user_email": "a@b.ru"}),
            "email_already_exist",
            "user_email",
        ),
        (
            json!({"user_email": "A@B.RU"}),
            "email_already_exist",
            "user_email",
        ),
        (
            json!({"user_phone": "+79991234567"}),
            "phone_already_exist",
            "user_phone",
        ),
        (
            json!({"user_telegram": 123}),
            "telegram_already_exist",
            "user_telegram",
        ),
        (
            json!({"user_email": "gone@b.ru"}),
            "email_already_exist",
            "user_email",
        ),
    ] {
        let answer = rig.create(user.clone()).await;
        assert_eq!(answer.status.as_u16(), api::DUPLICATE_STATUS, "{user}");
        assert_eq!(answer.json(), json!({"error": code}), "{user}");
        assert_eq!(
            answer.kind(),
            ErrorKind::Exists {
                field: field.to_owned(),
                user_id: None
            }
        );
    }
    assert_eq!(rig.sandbox.users().len(), 4);

    let rig = playing("duplicate-with-id").await;
    let first = rig.create(json!({"user_email": "a@b.ru"})).await.user();
    let answer = rig.create(json!({"user_email": "a@b.ru"})).await;
    assert_eq!(
        answer.kind(),
        ErrorKind::Exists {
            field: "user_email".to_owned(),
            user_id: Some(first.user_id)
        }
    );
    assert_ne!(email.user_id, deleted_id);
}

#[tokio::test]
async fn e_mails_differing_in_case_are_one_address_unless_the_account_is_case_sensitive() {
    let rig = playing("email-case-sensitive").await;
    rig.create(json!({"user_email": "a@b.ru"})).await.user();
    rig.create(json!({"user_email": "A@b.ru"})).await.user();
    assert_eq!(rig.found(&[("user_email", "^A@b.ru^")]).await.len(), 1);
    let rig = rig_default().await;
    rig.create(json!({"user_email": "a@b.ru"})).await.user();
    assert_eq!(rig.found(&[("user_email", "^A@B.ru^")]).await.len(), 1);
}

async fn rig_default() -> Rig {
    rig(SandboxConfig::default()).await
}

#[tokio::test]
async fn several_identifiers_in_one_create_make_one_profile_unless_the_account_links_them() {
    let both = json!({"user_email": "a@b.ru", "user_whatsapp_phone": "+79998887766", "user_full_name": "Анна"});
    let rig = rig_default().await;
    let user = rig.create(both.clone()).await.user();
    assert_eq!(user.kind.as_deref(), Some("email"));
    assert!(user.linked_users.is_empty());
    assert_eq!(user.identifier("user_whatsapp_phone"), None);
    assert_eq!(rig.sandbox.users().len(), 1);

    let rig = playing("create-links-identifiers").await;
    let user = rig.create(both.clone()).await.user();
    assert_eq!(user.kind.as_deref(), Some("email"));
    assert_eq!(user.linked_users.len(), 1);
    let other = rig.get(user.linked_users[0]).await;
    assert_eq!(other.kind.as_deref(), Some("whatsapp"));
    assert_eq!(
        other.identifier("user_whatsapp_phone"),
        Some("+79998887766")
    );
    assert_eq!(other.linked_users, [user.user_id]);
    assert_eq!(other.user_full_name.as_deref(), Some("Анна"));
    // One taken identifier refuses the whole create.
    let again = rig
        .create(json!({"user_email": "new@b.ru", "user_whatsapp_phone": "+79998887766"}))
        .await;
    assert_eq!(again.code(), "whatsapp_phone_already_exist");
    assert_eq!(rig.sandbox.users().len(), 2);
}

#[tokio::test]
async fn custom_fields_must_exist_be_user_level_active_and_fit_their_type() {
    let rig = rig_default().await;
    let fields: Page<CustomField> = serde_json::from_str(
        &rig.send(Method::GET, api::paths::CUSTOM_FIELDS, None)
            .await
            .text,
    )
    .unwrap();
    let by_title = |title: &str| {
        fields
            .items
            .iter()
            .find(|f| f.title == title)
            .unwrap()
            .clone()
    };
    let (tags, plan, case_level, inactive) = (
        by_title("Теги"),
        by_title("Тариф"),
        by_title("Номер заказа"),
        by_title("Старое поле"),
    );
    assert!(tags.is_for_users() && plan.is_for_users());
    assert!(!case_level.is_for_users() && !inactive.is_for_users());
    let flag = rig.sandbox.insert_custom_field(CustomField {
        field_id: 0,
        title: "Подписан".to_owned(),
        field_type: FieldType::Checkbox,
        field_level: "user".to_owned(),
        active: true,
        field_data: FieldData::None,
    });

    let mut n = 0;
    let mut create_with = |fields: Value| {
        n += 1;
        let user = json!({"user_email": format!("u{n}@b.ru"), "custom_fields": fields});
        rig.create(user)
    };
    for (fields, code) in [
        (json!({"cf_999": "x"}), "custom_field_not_found"),
        (json!({"tags": "x"}), "custom_field_not_found"),
        (json!({ case_level.key(): "x" }), "custom_field_not_found"),
        (json!({ inactive.key(): "x" }), "custom_field_inactive"),
        (json!({ plan.key(): "3" }), "wrong_custom_field_value"),
        (json!({ plan.key(): "Про" }), "wrong_custom_field_value"),
        (
            json!({ format!("cf_{flag}"): "yes" }),
            "wrong_custom_field_value",
        ),
        (json!({ tags.key(): ["vip"] }), "wrong_custom_field_value"),
    ] {
        let answer = create_with(fields.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{fields}");
        assert_eq!(answer.code(), code, "{fields}");
    }
    let user =
        create_with(json!({ tags.key(): "vip, b2b", plan.key(): "2", format!("cf_{flag}"): true }))
            .await
            .user();
    assert_eq!(user.custom_fields[&tags.key()], json!("vip, b2b"));
    assert_eq!(user.custom_fields[&plan.key()], json!("2"));

    let rig = playing("select-by-title").await;
    let by_title = rig
        .create(json!({"user_email": "t@b.ru", "custom_fields": { plan.key(): "Про" }}))
        .await;
    assert_eq!(by_title.status, StatusCode::OK, "{}", by_title.text);
    let by_key = rig
        .create(json!({"user_email": "k@b.ru", "custom_fields": { plan.key(): "2" }}))
        .await;
    assert_eq!(by_key.code(), "wrong_custom_field_value");
}

#[tokio::test]
async fn search_matches_substrings_by_default_and_anchored_values_as_asked() {
    let rig = rig_default().await;
    let ivan = rig
        .create(json!({"user_email": "ivan@mail.ru"}))
        .await
        .user()
        .user_id;
    let ivanov = rig
        .create(json!({"user_email": "ivanov@yandex.ru"}))
        .await
        .user()
        .user_id;
    let phone = rig
        .create(json!({"user_phone": "+79991234567"}))
        .await
        .user()
        .user_id;
    let cases: [(&str, &str, Vec<u64>); 9] = [
        ("user_email", "ivan", vec![ivan, ivanov]),
        ("user_email", "^ivan@mail.ru^", vec![ivan]),
        ("user_email", "^ivan@", vec![ivan]),
        ("user_email", "^ivan", vec![ivan, ivanov]),
        ("user_email", "mail.ru^", vec![ivan]),
        ("user_email", "^mail.ru^", vec![]),
        ("user_phone", "9991234", vec![phone]),
        ("user_phone", "^+79991234567^", vec![phone]),
        ("user_phone", "^79991234567^", vec![]),
    ];
    for (field, pattern, expected) in cases {
        assert_eq!(
            rig.found(&[(field, pattern)]).await,
            expected,
            "{field}={pattern}"
        );
    }
    assert_eq!(Match::of("^ivan@"), (Match::StartsWith, "ivan@"));
    let all = rig.search("").await.users();
    assert_eq!(all.total_count, Some(3));
}

#[tokio::test]
async fn a_raw_plus_in_the_query_is_a_space_and_misses_while_an_encoded_one_finds() {
    let rig = rig_default().await;
    let id = rig
        .create(json!({"user_phone": "+79991234567"}))
        .await
        .user()
        .user_id;
    let raw = rig.search("user_phone=^+79991234567^").await.users();
    assert!(raw.items.is_empty(), "`+` decoded as a space must miss");
    assert_eq!(raw.total_count, Some(0));
    let encoded = api::query(&[("user_phone", &Match::Whole.pattern("+79991234567"))]);
    assert!(
        encoded.contains("%2B") && encoded.contains("%5E"),
        "{encoded}"
    );
    let found = rig.search(&encoded).await.users();
    assert_eq!(
        found.items.iter().map(|u| u.user_id).collect::<Vec<_>>(),
        [id]
    );
}

#[tokio::test]
async fn search_refuses_short_values_bad_pages_and_filters_it_does_not_play() {
    let rig = rig_default().await;
    for (query, code) in [
        ("user_email=ab", "search_value_too_short"),
        ("user_phone=%5E79%5E", "search_value_too_short"),
        ("page=0", "wrong_page"),
        ("page=501", "wrong_page"),
        ("limit=0", "wrong_limit"),
        ("limit=101", "wrong_limit"),
        ("from_time=yesterday", "wrong_time"),
        ("user_custom_id=42", "custom_channel_required"),
        ("language_id=1", "filter_not_played"),
        ("company_id%5B%5D=3", "filter_not_played"),
    ] {
        let answer = rig.search(query).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.code(), code, "{query}");
    }
    assert_eq!(
        rig.search("user_email=abc&page=500&limit=100").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn search_pages_by_limit_filters_by_creation_time_and_by_custom_id_with_its_channel() {
    let rig = rig_default().await;
    let mut old = StoredUser::new(api::EMAIL_FIELD, "old@b.ru");
    old.created_at = 1_000_000;
    old.confirmed = true;
    let old = rig.sandbox.insert_user(old);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            rig.create(json!({"user_email": format!("new{i}@b.ru")}))
                .await
                .user()
                .user_id,
        );
    }
    let first = rig.search("limit=2&page=1").await.users();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.total_count, Some(6));
    let third = rig.search("limit=2&page=3").await.users();
    assert_eq!(
        third.items.iter().map(|u| u.user_id).collect::<Vec<_>>(),
        ids[3..]
    );
    let since = (unix_now() - 60).to_string();
    assert_eq!(rig.found(&[("from_time", &since)]).await, ids);
    assert_eq!(rig.found(&[("to_time", "2000000")]).await, [old]);

    let custom = rig
        .create(json!({"user_custom_id": "A-42", "user_custom_channel": "cch101"}))
        .await
        .user()
        .user_id;
    rig.create(json!({"user_custom_id": "A-42", "user_custom_channel": "cch102"}))
        .await
        .user();
    let again = rig
        .create(json!({"user_custom_id": "A-42", "user_custom_channel": "cch101"}))
        .await;
    assert_eq!(again.code(), "custom_id_already_exist");
    assert_eq!(
        rig.found(&[
            ("user_custom_id", "^A-42^"),
            ("user_custom_channel", "cch101")
        ])
        .await,
        [custom]
    );
}

#[tokio::test]
async fn deleted_and_blocked_users_are_found_and_say_so() {
    let rig = rig_default().await;
    let mut deleted = StoredUser::new(api::PHONE_FIELD, "+79990001122");
    deleted.deleted = true;
    deleted.active = false;
    rig.sandbox.insert_user(deleted);
    let page = rig.found(&[("user_phone", "0001122")]).await;
    let user = rig.get(page[0]).await;
    assert!(user.is_deleted());
    assert_eq!(user.active, Some(false));
}

#[tokio::test]
async fn a_lagging_index_hides_a_new_user_from_search_for_a_while() {
    let rig = rig(SandboxConfig {
        assumptions: Assumptions {
            search_lag: api::SearchLag::After(Duration::from_millis(300)),
            ..Assumptions::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let id = rig
        .create(json!({"user_email": "lag@b.ru"}))
        .await
        .user()
        .user_id;
    assert!(rig.found(&[("user_email", "lag@b.ru")]).await.is_empty());
    assert_eq!(rig.get(id).await.user_id, id, "get by id sees it at once");
    assert_eq!(
        rig.create(json!({"user_email": "lag@b.ru"})).await.code(),
        "email_already_exist"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(rig.found(&[("user_email", "lag@b.ru")]).await, [id]);
    assert_eq!(
        Assumptions::parse("search-lag").unwrap().search_lag,
        api::SearchLag::After(Assumptions::SEARCH_LAG)
    );
}

#[tokio::test]
async fn phones_kept_as_digits_miss_an_exact_search_with_a_plus_but_not_a_digit_one() {
    let rig = playing("phone-digits").await;
    let user = rig
        .create(json!({"user_phone": "+7 (999) 123-45-67"}))
        .await
        .user();
    assert_eq!(user.identifier("user_phone"), Some("79991234567"));
    assert!(
        rig.found(&[("user_phone", "^+79991234567^")])
            .await
            .is_empty()
    );
    assert_eq!(
        rig.found(&[("user_phone", "9991234567")]).await,
        [user.user_id]
    );
    assert_eq!(
        rig.create(json!({"user_phone": "+79991234567"}))
            .await
            .code(),
        "phone_already_exist"
    );
}

#[tokio::test]
async fn edits_follow_the_documented_rules() {
    let rig = rig_default().await;
    let email = rig
        .create(json!({"user_email": "a@b.ru"}))
        .await
        .user()
        .user_id;
    let phone = rig
        .create(json!({"user_phone": "+79991112233"}))
        .await
        .user()
        .user_id;
    let telegram = rig
        .create(json!({"user_telegram": "555"}))
        .await
        .user()
        .user_id;
    let mut confirmed = StoredUser::new(api::EMAIL_FIELD, "c@b.ru");
    confirmed.confirmed = true;
    let confirmed = rig.sandbox.insert_user(confirmed);
    rig.create(json!({"user_email": "taken@b.ru"})).await.user();

    let edited = rig.edit(email, json!({"user_email": "new@b.ru", "user_full_name": "Анна", "company_name": "Ромашка", "company_position": "CEO", "language_id": 2})).await.user();
    assert_eq!(edited.identifier("user_email"), Some("new@b.ru"));
    assert_eq!(edited.user_full_name.as_deref(), Some("Анна"));
    assert_eq!(edited.language_id, Some(2));
    let edited = rig
        .edit(phone, json!({"user_phone": "+79994445566"}))
        .await
        .user();
    assert_eq!(edited.identifier("user_phone"), Some("+79994445566"));

    for (id, user, code) in [
        (
            confirmed,
            json!({"user_email": "x@b.ru"}),
            "email_not_editable",
        ),
        (phone, json!({"user_email": "x@b.ru"}), "email_not_editable"),
        (
            email,
            json!({"user_phone": "+79990000000"}),
            "phone_not_editable",
        ),
        (
            telegram,
            json!({"user_telegram": "556"}),
            "identifier_not_editable",
        ),
        (
            email,
            json!({"user_whatsapp_phone": "+79990000000"}),
            "identifier_not_editable",
        ),
        (
            email,
            json!({"user_email": "taken@b.ru"}),
            "email_already_exist",
        ),
        (email, json!({"user_email": "bad"}), "wrong_email"),
        (
            email,
            json!({"custom_fields": {"cf_4": "x"}}),
            "custom_field_inactive",
        ),
    ] {
        let answer = rig.edit(id, user.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{user}");
        assert_eq!(answer.code(), code, "{user}");
    }
    let missing = rig.edit(9, json!({"user_full_name": "x"})).await;
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert_eq!(
        rig.send(Method::GET, "/api/users/9.json", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    rig.edit(telegram, json!({"user_note": "первая"}))
        .await
        .user();
    let note = rig
        .edit(telegram, json!({"user_note": "вторая"}))
        .await
        .user();
    assert_eq!(
        note.user_note.as_deref(),
        Some("вторая"),
        "a PUT replaces the note"
    );
    let rig = playing("note-appends").await;
    let id = rig
        .create(json!({"user_email": "n@b.ru", "user_note": "первая"}))
        .await
        .user()
        .user_id;
    let note = rig.edit(id, json!({"user_note": "вторая"})).await.user();
    assert_eq!(note.user_note.as_deref(), Some("первая\nвторая"));
}

#[tokio::test]
async fn linking_takes_a_flat_body_is_idempotent_and_shows_both_ways() {
    let rig = rig_default().await;
    let email = rig
        .create(json!({"user_email": "a@b.ru"}))
        .await
        .user()
        .user_id;
    let phone = rig
        .create(json!({"user_phone": "+79991234567"}))
        .await
        .user()
        .user_id;
    let telegram = rig
        .create(json!({"user_telegram": "777"}))
        .await
        .user()
        .user_id;

    let linked = rig
        .link(email, json!({"user_phone": "+79991234567"}))
        .await
        .user();
    assert_eq!(linked.linked_users, [phone]);
    assert_eq!(rig.get(phone).await.linked_users, [email]);
    let again = rig.link(email, json!({"user_id": phone})).await.user();
    assert_eq!(again.linked_users, [phone], "linking twice changes nothing");
    let by_email = rig
        .link(telegram, json!({"user_email": "A@b.ru"}))
        .await
        .user();
    assert_eq!(by_email.linked_users, [email, phone], "transitive");
    assert_eq!(rig.get(phone).await.linked_users, [email, telegram]);

    for (body, status) in [
        (json!({"user": {"user_id": phone}}), StatusCode::BAD_REQUEST),
        (
            json!({"user_id": email, "user_phone": "+7999"}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"user_id": 9}), StatusCode::NOT_FOUND),
        (json!({"user_email": "nobody@b.ru"}), StatusCode::NOT_FOUND),
        (json!({"user_id": email}), StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(rig.link(email, body.clone()).await.status, status, "{body}");
    }

    let unlinked = rig
        .send(
            Method::PUT,
            &api::paths::unlink(telegram),
            Some(json!({"user_id": email})),
        )
        .await
        .user();
    assert_eq!(unlinked.linked_users, [phone], "the e-mail left the person");
    assert!(rig.get(email).await.linked_users.is_empty());
    assert_eq!(rig.get(phone).await.linked_users, [telegram]);
    let twice = rig
        .send(
            Method::PUT,
            &api::paths::unlink(telegram),
            Some(json!({"user_id": email})),
        )
        .await;
    assert_eq!(twice.status, StatusCode::OK);
}

#[tokio::test]
async fn pairwise_links_and_refused_relinks_are_played_when_asked() {
    let rig = playing("links-pairwise,relink-refused").await;
    let a = rig
        .create(json!({"user_email": "a@b.ru"}))
        .await
        .user()
        .user_id;
    let b = rig
        .create(json!({"user_phone": "+79991234567"}))
        .await
        .user()
        .user_id;
    let c = rig
        .create(json!({"user_telegram": "1"}))
        .await
        .user()
        .user_id;
    rig.link(a, json!({"user_id": b})).await.user();
    rig.link(c, json!({"user_id": b})).await.user();
    assert_eq!(rig.get(a).await.linked_users, [b], "not transitive");
    assert_eq!(rig.get(b).await.linked_users, [a, c]);
    let again = rig.link(a, json!({"user_id": b})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.code(), "user_already_linked");
    assert!(matches!(again.kind(), ErrorKind::Refused { .. }));
}

#[tokio::test]
async fn every_answer_carries_the_limit_headers_and_no_retry_after_until_throttled() {
    let rig = rig(SandboxConfig {
        rate_limit_per_minute: 5,
        ..SandboxConfig::default()
    })
    .await;
    let first = rig.send(Method::GET, api::paths::CUSTOM_FIELDS, None).await;
    assert_eq!(first.headers["rate_limit_per_minute"], "5");
    assert_eq!(
        first.limits(),
        Limits {
            per_minute: Some(5),
            calls_left: Some(4),
            retry_after: None
        }
    );
    let error = rig.create(json!({})).await;
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error.limits().calls_left,
        Some(3),
        "errors count and carry them"
    );
    let languages: Page<Language> = serde_json::from_str(
        &rig.send(Method::GET, api::paths::LANGUAGES, None)
            .await
            .text,
    )
    .unwrap();
    assert_eq!(languages.items[0].code, "ru");
    let unauthorized = rig
        .http
        .get(format!("{}{}", rig.sandbox.url(), api::paths::LANGUAGES))
        .send()
        .await
        .unwrap();
    assert!(unauthorized.headers().contains_key(api::API_CALLS_LEFT));
}

#[tokio::test]
async fn over_the_limit_is_a_429_with_retry_after_until_the_interval_rolls_over() {
    let rig = rig(SandboxConfig {
        rate_limit_per_minute: 3,
        interval: Duration::from_millis(400),
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(rig.search("").await.status, StatusCode::OK);
    }
    let throttled = rig.search("").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.kind(), ErrorKind::Throttled);
    assert_eq!(throttled.limits().calls_left, Some(0));
    assert_eq!(throttled.limits().retry_after, Some(Duration::from_secs(1)));
    assert!(!throttled.headers.contains_key("Retry-After"));
    assert_eq!(rig.sandbox.stats().throttled, 1);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let after = rig.search("").await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.limits().calls_left, Some(2));
}

#[tokio::test]
async fn the_old_403_and_every_retry_after_variant_are_played() {
    let config = |variants: &str, standard_retry_after| SandboxConfig {
        rate_limit_per_minute: 1,
        standard_retry_after,
        assumptions: Assumptions::parse(variants).unwrap(),
        ..SandboxConfig::default()
    };
    let sandbox = rig(config("throttle-403", true)).await;
    sandbox.search("").await;
    let throttled = sandbox.search("").await;
    assert_eq!(throttled.status, StatusCode::FORBIDDEN);
    assert!(
        throttled.text.contains("rate limit exceeded"),
        "{}",
        throttled.text
    );
    assert_eq!(throttled.kind(), ErrorKind::Throttled);
    assert!(throttled.headers.contains_key("retry_after"));
    assert!(throttled.headers.contains_key("Retry-After"));

    let sandbox = rig(config("retry-after-always", false)).await;
    let ok = sandbox.search("").await;
    let seconds: u64 = ok.headers["retry_after"].to_str().unwrap().parse().unwrap();
    assert!((59..=60).contains(&seconds), "{seconds}");

    let sandbox = rig(config("retry-after-never", false)).await;
    sandbox.search("").await;
    let throttled = sandbox.search("").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.limits().retry_after, None);

    let sandbox = rig(SandboxConfig {
        limit_headers: false,
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(sandbox.search("").await.limits(), Limits::default());
}

#[tokio::test]
async fn injected_faults_fail_before_or_after_the_write_as_asked() {
    let rig = rig_default().await;
    rig.sandbox
        .inject(Method::POST, api::paths::USERS, Fault::ServerError, 2);
    for _ in 0..2 {
        let answer = rig.create(json!({"user_email": "a@b.ru"})).await;
        assert_eq!(answer.kind(), ErrorKind::Transient);
    }
    assert!(rig.sandbox.users().is_empty(), "nothing applied");

    rig.sandbox.inject(
        Method::POST,
        api::paths::USERS,
        Fault::ServerErrorAfterApply,
        1,
    );
    assert_eq!(
        rig.create(json!({"user_email": "a@b.ru"})).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(rig.sandbox.users().len(), 1, "applied, answer lost");

    rig.sandbox
        .inject(Method::POST, api::paths::USERS, Fault::DropAfterApply, 1);
    let dropped = rig
        .http
        .post(format!("{}{}", rig.sandbox.url(), api::paths::USERS))
        .basic_auth(rig.sandbox.staff_email(), Some(rig.sandbox.api_key()))
        .json(&json!({"user": {"user_email": "b@b.ru"}}))
        .send()
        .await;
    let whole = match dropped {
        Ok(response) => response.text().await.is_ok(),
        Err(_) => false,
    };
    assert!(!whole, "the answer is cut off");
    assert_eq!(rig.sandbox.users().len(), 2);

    rig.sandbox
        .inject(Method::GET, "/api/users", Fault::HtmlBadGateway, 1);
    let page = rig.search("").await;
    assert_eq!(page.status, StatusCode::BAD_GATEWAY);
    assert!(page.text.contains("<html>"));
    assert_eq!(page.kind(), ErrorKind::Transient);

    rig.sandbox
        .inject(Method::GET, "/api/users", Fault::Throttled, 1);
    assert_eq!(rig.search("").await.kind(), ErrorKind::Throttled);
    assert_eq!(rig.search("").await.status, StatusCode::OK, "used up");
    let stats = rig.sandbox.stats();
    assert_eq!(stats.requests["POST /api/users.json"], 4);
    assert_eq!(stats.throttled, 1);
}

#[tokio::test]
async fn a_fail_rate_and_latency_are_played() {
    let rig = rig(SandboxConfig {
        fail_rate: 1.0,
        latency: Duration::from_millis(100),
        ..SandboxConfig::default()
    })
    .await;
    let started = std::time::Instant::now();
    let answer = rig.search("").await;
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn answers_with_numbers_as_strings_channel_names_and_descriptions_read_the_same() {
    let rig = playing("numbers-as-strings,channel-names,error-description").await;
    let created = rig.create(json!({"user_telegram": "123456"})).await;
    let raw = created.json();
    assert!(raw["user"]["user_id"].is_string(), "{raw}");
    assert_eq!(raw["user"]["telegram_id"], "123456");
    assert!(raw["user"].get("user_telegram").is_none());
    let user = created.user();
    assert_eq!(user.identifier("user_telegram"), Some("123456"));
    let page = rig.found(&[("limit", "10")]).await;
    assert_eq!(page, [user.user_id]);
    let fields: Page<CustomField> = serde_json::from_str(
        &rig.send(Method::GET, api::paths::CUSTOM_FIELDS, None)
            .await
            .text,
    )
    .unwrap();
    assert_eq!(fields.items.len(), 4);
    assert_eq!(fields.total_count, Some(4));
    let duplicate = rig.create(json!({"user_telegram": "123456"})).await;
    assert!(duplicate.json()["description"].is_string());
    assert!(matches!(duplicate.kind(), ErrorKind::Exists { .. }));
}
