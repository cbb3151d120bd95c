//! `load --target intercom` against the Intercom sandbox, with faults, a lagging search and
//! each assumed variant: every test checks that no person is two contacts, no note is added
//! twice, no contact is tagged twice, every row ends as it should, and the requests spent
//! are the ones expected.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::Method;
use secrecy::SecretString;

use contact_loader::input::{ReadOptions, Source};
use contact_loader::load::{LoadError, LoadOptions, Loaded, Quiet, load};
use contact_loader::pacing::{Backoff, Pacing};
use contact_loader::store::Store;
use contact_loader::targets::intercom::api::{Assumptions, DataAttribute, Role};
use contact_loader::targets::intercom::client::Intercom;
use contact_loader::targets::intercom::rules::Settings;
use contact_loader::targets::intercom::sandbox::{
    Fault, Sandbox, SandboxConfig, StoredContact, StoredNote,
};
use contact_loader::targets::intercom::target::IntercomTarget;

/// The pre-flight: the data attributes and the tags.
const CATALOG: u64 = 2;

/// Users (one with a phone, a company, a position, a comment), leads (a phone, a messenger
/// id), the same person on two rows, tags.
const MIXED: &str = "Телефон,E-mail,ID мессенджера,Имя,Компания,Должность,Комментарий,Теги\n\
+7 999 100-00-01,anna@mail.ru,,Анна,Ромашка,директор,звонить вечером,vip\n\
+7 999 100-00-02,,,Борис,,,,\n\
,vera@mail.ru,telegram|5551001,Вера,,,,b2b\n\
,,telegram|5552002,Глеб,,,,\n\
+7 999 100-00-01,,,Анна Петрова,,,,новый\n\
8 (999) 100-00-03,Dina@Mail.ru,whatsapp|79991000003,Дина,Ромашка,,,\n";

fn attribute(name: &str) -> DataAttribute {
    DataAttribute {
        id: None,
        name: name.to_owned(),
        label: None,
        data_type: "string".to_owned(),
        custom: true,
        api_writable: true,
        archived: false,
        model: Some("contact".to_owned()),
    }
}

/// A workspace with the attributes the mixed list fills.
fn workspace() -> SandboxConfig {
    SandboxConfig {
        attributes: ["job_title", "telegram_id", "whatsapp_id"]
            .map(attribute)
            .to_vec(),
        ..SandboxConfig::default()
    }
}

struct Rig {
    sandbox: Sandbox,
    client: Intercom,
    ledger: Store,
    search_lag: Duration,
    _dir: tempfile::TempDir,
}

async fn rig(config: SandboxConfig) -> Rig {
    let search_lag = config.search_lag;
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap();
    let client = Intercom::new(
        &sandbox.url(),
        SecretString::from(sandbox.token().to_owned()),
        "2.16",
        Duration::from_secs(5),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Store::open(&dir.path().join("ledger.sqlite"))
        .await
        .unwrap();
    Rig {
        sandbox,
        client,
        ledger,
        search_lag,
        _dir: dir,
    }
}

fn options() -> LoadOptions {
    LoadOptions {
        rate: 1000.0,
        backoff: Backoff {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            ..Backoff::default()
        },
        ..LoadOptions::default()
    }
}

impl Rig {
    async fn load(&self, list: &str, settings: Settings) -> Result<Loaded, LoadError> {
        self.load_with(list, settings, options()).await
    }

    async fn load_with(
        &self,
        list: &str,
        settings: Settings,
        options: LoadOptions,
    ) -> Result<Loaded, LoadError> {
        let source = Source::from_bytes(list.as_bytes().to_vec(), ReadOptions::default());
        let pacing = Pacing::new(options.rate, options.max_requests, options.backoff);
        let mut target = IntercomTarget::new(self.client.clone(), settings);
        target.search_lag = self.search_lag;
        load(source, &target, &self.ledger, &options, &pacing, &Quiet).await
    }

    /// No e-mail held by two users, no phone or messenger id by two leads; `expected`
    /// live contacts in all; no contact tagged twice; no note twice on one contact.
    fn assert_contacts(&self, expected: usize) -> Vec<StoredContact> {
        assert_eq!(
            self.sandbox.stats().tag_repeats,
            0,
            "a contact tagged twice"
        );
        self.assert_people(expected)
    }

    /// `assert_contacts`, but a tag call whose answer was lost may be sent again: tags are
    /// a set, and re-tagging is "**assumed** a 200 no-op".
    fn assert_people(&self, expected: usize) -> Vec<StoredContact> {
        let contacts: Vec<StoredContact> = self
            .sandbox
            .contacts()
            .into_iter()
            .filter(|c| c.merged_into.is_none())
            .collect();
        let mut seen = HashSet::new();
        for contact in &contacts {
            let mut keys = Vec::new();
            if let Some(email) = &contact.email {
                keys.push(format!("email {}", email.to_lowercase()));
            }
            if contact.role == Role::Lead {
                if let Some(phone) = &contact.phone {
                    keys.push(format!("lead phone {phone}"));
                }
                for (name, value) in &contact.custom_attributes {
                    if name.ends_with("_id") {
                        keys.push(format!("lead {name} {value}"));
                    }
                }
            }
            for key in keys {
                assert!(
                    seen.insert(key.clone()),
                    "two contacts hold {key}: {contacts:#?}"
                );
            }
            let bodies: HashSet<&str> = contact.notes.iter().map(|n| n.body.as_str()).collect();
            assert_eq!(
                bodies.len(),
                contact.notes.len(),
                "a note twice: {contact:#?}"
            );
        }
        assert_eq!(contacts.len(), expected, "{contacts:#?}");
        contacts
    }

    fn contact(&self, find: impl Fn(&StoredContact) -> bool) -> StoredContact {
        self.sandbox
            .contacts()
            .into_iter()
            .find(|c| c.merged_into.is_none() && find(c))
            .expect("the contact")
    }

    fn by_email(&self, email: &str) -> StoredContact {
        self.contact(|c| c.email.as_deref() == Some(email))
    }

    fn tag_names(&self, contact: &StoredContact) -> Vec<String> {
        let tags = self.sandbox.tags();
        let mut names: Vec<String> = contact
            .tags
            .iter()
            .filter_map(|id| tags.iter().find(|t| &t.id == id).map(|t| t.name.clone()))
            .collect();
        names.sort();
        names
    }

    fn requests(&self, endpoint: &str) -> u64 {
        self.sandbox
            .stats()
            .requests
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }
}

/// `contact` as made an hour ago: the search shows it, whatever its lag.
fn long_ago(mut contact: StoredContact) -> StoredContact {
    contact.created_at -= 3600;
    contact.updated_at -= 3600;
    contact
}

fn statuses(loaded: &Loaded) -> Vec<&'static str> {
    loaded.rows.iter().map(|r| r.status.name()).collect()
}

#[tokio::test]
async fn a_mixed_list_loads_once_and_a_rerun_costs_only_the_catalog() {
    let rig = rig(workspace()).await;
    let first = rig.load(MIXED, Settings::default()).await.unwrap();
    assert_eq!(
        statuses(&first),
        [
            "created", "created", "created", "created", "merged", "created"
        ]
    );
    // Anna (with her phone), Boris (a lead), Vera, Gleb (a lead by Telegram id), Dina.
    rig.assert_contacts(5);
    let anna = rig.by_email("anna@mail.ru");
    assert_eq!(anna.role, Role::User);
    assert_eq!(anna.phone.as_deref(), Some("+79991000001"));
    assert_eq!(anna.name.as_deref(), Some("Анна"));
    assert_eq!(anna.custom_attributes["job_title"], "директор");
    assert_eq!(anna.notes.len(), 1);
    assert!(anna.notes[0].body.contains("звонить вечером"));
    assert_eq!(anna.companies.len(), 1);
    assert_eq!(rig.tag_names(&anna), ["vip", "новый"]);
    let boris = rig.contact(|c| c.phone.as_deref() == Some("+79991000002"));
    assert_eq!(boris.role, Role::Lead);
    let gleb = rig.contact(|c| c.custom_attributes.get("telegram_id") == Some(&"5552002".into()));
    assert_eq!(gleb.role, Role::Lead);
    // E-mails are sent lower-cased.
    let dina = rig.by_email("dina@mail.ru");
    assert_eq!(dina.custom_attributes["whatsapp_id"], "79991000003");
    // One company, upserted once, attached to both.
    assert_eq!(rig.sandbox.companies().len(), 1);
    assert_eq!(dina.companies, anna.companies);
    assert_eq!(rig.requests("POST /companies"), 1);
    // Users are created first; leads are looked up first.
    assert_eq!(rig.requests("POST /contacts"), 5);
    assert_eq!(rig.requests("POST /contacts/search"), 2);
    assert_eq!(rig.requests("PUT /contacts/{id}"), 0);
    // Three tags, one bulk call each.
    assert_eq!(rig.requests("POST /tags"), 3);
    assert_eq!(rig.requests("POST /contacts/{id}/tags"), 0);
    // contacts 5 + searches 2 + company 1 + attachments 2 + note 1 + tags 3.
    assert_eq!(first.api_requests, CATALOG + 5 + 2 + 1 + 2 + 1 + 3);

    let second = rig.load(MIXED, Settings::default()).await.unwrap();
    assert_eq!(
        second.api_requests, CATALOG,
        "a re-run costs the catalog only"
    );
    assert_eq!(
        statuses(&second),
        [
            "unchanged",
            "unchanged",
            "unchanged",
            "unchanged",
            "merged",
            "unchanged"
        ]
    );
    rig.assert_contacts(5);
}

#[tokio::test]
async fn contacts_already_in_the_workspace_are_found_not_created_again() {
    let rig = rig(SandboxConfig {
        // Several minutes of lag, scaled: longer than the whole test.
        search_lag: Duration::from_secs(300),
        ..workspace()
    })
    .await;
    // Made long ago, so the search shows them.
    rig.sandbox.insert_contact(long_ago(StoredContact {
        name: Some("Анна Старая".into()),
        ..StoredContact::user("anna@mail.ru")
    }));
    rig.sandbox.insert_contact(long_ago(StoredContact {
        name: Some("Борис".into()),
        ..StoredContact::lead("+79991000002")
    }));
    // A lead with Vera's e-mail: the user is still made (a lead does not conflict).
    rig.sandbox.insert_contact(long_ago(StoredContact {
        email: Some("vera@mail.ru".into()),
        ..StoredContact::new(Role::Lead)
    }));
    let first = rig.load(MIXED, Settings::default()).await.unwrap();
    assert_eq!(
        statuses(&first),
        [
            "updated",
            "unchanged",
            "created",
            "created",
            "merged",
            "created"
        ],
        "{:#?}",
        first.rows
    );
    let contacts = rig.sandbox.contacts();
    assert_eq!(
        contacts
            .iter()
            .filter(|c| c.email.as_deref() == Some("anna@mail.ru"))
            .count(),
        1
    );
    let anna = rig.by_email("anna@mail.ru");
    assert_eq!(anna.name.as_deref(), Some("Анна"));
    assert_eq!(anna.phone.as_deref(), Some("+79991000001"));
    // The 409 named her: one create, one write of the fields.
    assert_eq!(rig.requests("PUT /contacts/{id}"), 1);
    let boris: Vec<_> = contacts
        .iter()
        .filter(|c| c.phone.as_deref() == Some("+79991000002"))
        .collect();
    assert_eq!(boris.len(), 1, "Boris's lead was found, not made again");

    // The search still lags minutes behind: the ledger keeps the re-run from creating.
    let second = rig.load(MIXED, Settings::default()).await.unwrap();
    assert_eq!(second.api_requests, CATALOG);
    assert_eq!(
        rig.sandbox.contacts().len(),
        contacts.len(),
        "nothing made twice"
    );
}

#[tokio::test]
async fn an_archived_contact_is_reported_or_revived_never_created_around() {
    let rig = rig(workspace()).await;
    let id = rig.sandbox.insert_contact(StoredContact {
        archived: true,
        ..StoredContact::user("vera@mail.ru")
    });
    let first = rig.load(MIXED, Settings::default()).await.unwrap();
    let vera = &first.rows[2];
    assert_eq!(vera.status.name(), "failed");
    assert!(
        vera.status
            .reason(contact_loader::messages::Lang::En)
            .unwrap()
            .contains("--unarchive"),
        "{:?}",
        vera.status
    );
    let veras = rig
        .sandbox
        .contacts()
        .into_iter()
        .filter(|c| c.email.as_deref() == Some("vera@mail.ru"))
        .count();
    assert_eq!(veras, 1, "not created around the archived one");

    // Reported again at no cost: the ledger knows it is archived.
    let again = rig.load(MIXED, Settings::default()).await.unwrap();
    assert_eq!(again.rows[2].status.name(), "failed");
    assert_eq!(again.api_requests, CATALOG);

    let revived = rig
        .load(
            MIXED,
            Settings {
                unarchive: true,
                ..Settings::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        revived.rows[2].status.name(),
        "updated",
        "{:?}",
        revived.rows[2]
    );
    let vera = rig.by_email("vera@mail.ru");
    assert_eq!(vera.id, id);
    assert!(!vera.archived);
    assert_eq!(rig.tag_names(&vera), ["b2b"]);
    rig.assert_contacts(5);
}

#[tokio::test]
async fn missing_attributes_stop_the_run_before_any_write_unless_it_may_create_them() {
    let rig = rig(SandboxConfig::default()).await;
    let refused = rig.load(MIXED, Settings::default()).await.unwrap_err();
    let text = refused.to_string();
    assert!(
        text.contains("job_title") && text.contains("--create-attributes"),
        "{text}"
    );
    assert_eq!(rig.sandbox.stats().total, CATALOG, "nothing written");
    let loaded = rig
        .load(
            MIXED,
            Settings {
                create_attributes: true,
                ..Settings::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rig.requests("POST /data_attributes"), 3);
    assert!(loaded.rows.iter().all(|r| r.status.name() != "failed"));
    rig.assert_contacts(5);
}

#[tokio::test]
async fn lost_answers_make_no_second_contact_and_no_second_note() {
    let rig = rig(workspace()).await;
    // Anna's create is applied and its answer lost: the retry's 409 names her.
    rig.sandbox
        .inject(Method::POST, "/contacts", Fault::ServerErrorAfterApply, 1);
    // Her note is added and the connection drops.
    rig.sandbox.inject(
        Method::POST,
        "/contacts/{id}/notes",
        Fault::DropAfterApply,
        1,
    );
    let first = rig.load(MIXED, Settings::default()).await.unwrap();
    assert_eq!(
        first.rows[0].status.name(),
        "pending",
        "{:?}",
        first.rows[0]
    );
    let anna = rig.by_email("anna@mail.ru");
    assert_eq!(anna.notes.len(), 1);

    // The next run finds the note among hers and adds none.
    let second = rig.load(MIXED, Settings::default()).await.unwrap();
    assert!(
        second.rows.iter().all(|r| r.status.name() != "pending"),
        "{:#?}",
        second.rows
    );
    assert_eq!(rig.by_email("anna@mail.ru").notes.len(), 1);
    assert_eq!(rig.requests("POST /contacts/{id}/notes"), 1);
    assert_eq!(rig.requests("GET /contacts/{id}/notes"), 1);
    rig.assert_contacts(5);
}

#[tokio::test]
async fn a_lead_whose_create_answer_was_lost_waits_for_the_search_rather_than_doubling() {
    let rig = rig(SandboxConfig {
        search_lag: Duration::from_secs(2),
        ..workspace()
    })
    .await;
    let only_boris = "Телефон,Имя\n+7 999 100-00-02,Борис\n";
    rig.sandbox
        .inject(Method::POST, "/contacts", Fault::ServerErrorAfterApply, 1);
    let first = rig.load(only_boris, Settings::default()).await.unwrap();
    assert_eq!(statuses(&first), ["pending"]);
    // At once: the search does not show it yet, and nothing is created.
    let again = rig.load(only_boris, Settings::default()).await.unwrap();
    assert_eq!(statuses(&again), ["pending"]);
    assert_eq!(rig.sandbox.contacts().len(), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let settled = rig.load(only_boris, Settings::default()).await.unwrap();
    assert_eq!(statuses(&settled), ["created"], "{:?}", settled.rows);
    rig.assert_contacts(1);
}

#[tokio::test]
async fn a_merged_contact_is_followed_and_the_ledger_rewritten() {
    let rig = rig(workspace()).await;
    let list = "Телефон,E-mail,Имя\n+7 999 100-00-02,,Борис\n";
    rig.load(list, Settings::default()).await.unwrap();
    let lead = rig.contact(|c| c.phone.as_deref() == Some("+79991000002"));
    let user = rig.sandbox.insert_contact(StoredContact {
        phone: Some("+79991000002".into()),
        ..StoredContact::user("boris@mail.ru")
    });
    rig.sandbox.merge(&lead.id, &user).unwrap();
    let edited = "Телефон,E-mail,Имя\n+7 999 100-00-02,,Борис Иванов\n";
    let loaded = rig.load(edited, Settings::default()).await.unwrap();
    assert_eq!(statuses(&loaded), ["updated"]);
    assert_eq!(
        loaded.rows[0]
            .target_id
            .as_ref()
            .map(|id| id.as_str().to_owned()),
        Some(user.clone())
    );
    let boris = rig.by_email("boris@mail.ru");
    assert_eq!(boris.name.as_deref(), Some("Борис Иванов"));
    // The ledger now names the user: the next run goes there at once.
    let again = rig.load(edited, Settings::default()).await.unwrap();
    assert_eq!(again.api_requests, CATALOG);
}

#[tokio::test]
async fn every_assumed_variant_gives_the_same_workspace() {
    for variant in Assumptions::NAMES.iter().chain(&["ids-as-numbers"]) {
        let rig = rig(SandboxConfig {
            assumptions: Assumptions::parse(variant).unwrap(),
            ..workspace()
        })
        .await;
        let loaded = rig.load(MIXED, Settings::default()).await.unwrap();
        assert_eq!(
            statuses(&loaded),
            [
                "created", "created", "created", "created", "merged", "created"
            ],
            "{variant}: {:#?}",
            loaded.rows
        );
        let contacts = rig.assert_contacts(5);
        let anna = rig.by_email("anna@mail.ru");
        assert_eq!(rig.tag_names(&anna), ["vip", "новый"], "{variant}");
        assert_eq!(anna.custom_attributes["job_title"], "директор", "{variant}");
        let again = rig.load(MIXED, Settings::default()).await.unwrap();
        assert_eq!(again.api_requests, CATALOG, "{variant}");
        assert_eq!(rig.sandbox.contacts().len(), contacts.len(), "{variant}");
    }
}

#[tokio::test]
async fn many_contacts_are_tagged_in_few_calls_whatever_the_batch_limit() {
    let list: String = std::iter::once("E-mail,Теги\n".to_owned())
        .chain((0..130).map(|i| format!("user{i}@mail.ru,webinar\n")))
        .collect();
    for (variant, calls) in [("", 2), ("bulk-tag-50", 4)] {
        let rig = rig(SandboxConfig {
            assumptions: Assumptions::parse(variant).unwrap(),
            ..workspace()
        })
        .await;
        let loaded = rig.load(&list, Settings::default()).await.unwrap();
        assert!(loaded.rows.iter().all(|r| r.status.name() == "created"));
        rig.assert_contacts(130);
        assert!(
            rig.sandbox
                .contacts()
                .iter()
                .all(|c| rig.tag_names(c) == ["webinar"]),
            "{variant}"
        );
        // 100 + 30; under a limit of 50 the 100 is refused and halved, then 50 + 50 + 30.
        assert_eq!(rig.requests("POST /tags"), calls, "{variant}");
    }
}

#[tokio::test]
async fn faults_and_throttling_end_with_every_row_final_and_nothing_doubled() {
    // 300 a window paces the run at about 29 a second; throttled answers are injected.
    let rig = rig(SandboxConfig {
        fail_rate: 0.1,
        limit_per_window: 300,
        ..workspace()
    })
    .await;
    // One throttled answer: the run waits for the window's reset (up to 10 s).
    rig.sandbox
        .inject(Method::POST, "/contacts", Fault::Throttled, 1);
    let list: String = std::iter::once("Телефон,E-mail,Имя,Комментарий,Теги\n".to_owned())
        .chain((0..60).map(|i| {
            if i % 3 == 0 {
                format!("+7 999 200-{:02}-{:02},,Лид {i},,cold\n", i / 100, i % 100)
            } else {
                format!(",user{i}@mail.ru,Имя {i},заметка {i},warm\n")
            }
        }))
        .collect();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let loaded = rig.load(&list, Settings::default()).await.unwrap();
        if loaded
            .rows
            .iter()
            .all(|r| !matches!(r.status.name(), "pending" | "failed"))
        {
            break;
        }
        // A lead whose create answer was lost waits out the search's lag (none here):
        // the next run settles it.
        assert!(rounds < 6, "{:#?}", loaded.rows);
    }
    assert!(rig.sandbox.stats().throttled >= 1);
    rig.assert_people(60);
    for contact in rig.sandbox.contacts() {
        if contact.role == Role::User {
            assert_eq!(contact.notes.len(), 1, "{contact:#?}");
        }
    }
}

#[tokio::test]
async fn an_external_id_column_makes_users_and_never_a_second_one() {
    let rig = rig(workspace()).await;
    // In the workspace under the e-mail, without an external id: sending ours would make a
    // second user [help 5053685].
    rig.sandbox
        .insert_contact(long_ago(StoredContact::user("anna@mail.ru")));
    // A lead with Boris's e-mail: his user is still made.
    rig.sandbox.insert_contact(long_ago(StoredContact {
        email: Some("boris@mail.ru".into()),
        ..StoredContact::new(Role::Lead)
    }));
    let list = "E-mail,Телефон,Имя,External ID\n\
                anna@mail.ru,,Анна,crm-1\n\
                boris@mail.ru,,Борис,crm-2\n\
                ,+7 999 100-00-05,Вера,crm-3\n\
                ,+7 999 100-00-06,Глеб,\n";
    let loaded = rig.load(list, Settings::default()).await.unwrap();
    assert_eq!(
        statuses(&loaded),
        ["updated", "created", "created", "created"],
        "{:#?}",
        loaded.rows
    );
    let anna = rig.by_email("anna@mail.ru");
    assert_eq!(anna.external_id, None, "left as Intercom has it");
    assert!(!loaded.rows[0].warnings.is_empty(), "the row says why");
    let borises: Vec<_> = rig
        .sandbox
        .contacts()
        .into_iter()
        .filter(|c| c.email.as_deref() == Some("boris@mail.ru"))
        .collect();
    assert_eq!(borises.len(), 2, "the lead stays beside the new user");
    let boris = borises.iter().find(|c| c.role == Role::User).unwrap();
    assert_eq!(boris.external_id.as_deref(), Some("crm-2"));
    assert!(!loaded.rows[1].warnings.is_empty(), "the lead is named");
    // A phone with an external id is a user; a phone alone a lead.
    let vera = rig.contact(|c| c.phone.as_deref() == Some("+79991000005"));
    assert_eq!(
        (vera.role, vera.external_id.as_deref()),
        (Role::User, Some("crm-3"))
    );
    let gleb = rig.contact(|c| c.phone.as_deref() == Some("+79991000006"));
    assert_eq!(gleb.role, Role::Lead);
    let again = rig.load(list, Settings::default()).await.unwrap();
    assert_eq!(again.api_requests, CATALOG);
}

/// The "done when": a mixed list — users, leads, contacts the workspace has (one
/// archived), companies, tags, comments — into a workspace whose search lags minutes
/// behind: every row right, no duplicate, and a re-run that costs nothing.
#[tokio::test]
async fn a_mixed_list_into_a_lagging_workspace_is_right_the_first_time_and_free_the_second() {
    let rig = rig(SandboxConfig {
        search_lag: Duration::from_secs(300),
        ..workspace()
    })
    .await;
    rig.sandbox.insert_contact(long_ago(StoredContact {
        name: Some("Анна".into()),
        ..StoredContact::user("anna@mail.ru")
    }));
    rig.sandbox
        .insert_contact(long_ago(StoredContact::lead("+79991000002")));
    rig.sandbox.insert_contact(long_ago(StoredContact {
        archived: true,
        ..StoredContact::user("vera@mail.ru")
    }));
    let settings = Settings {
        unarchive: true,
        ..Settings::default()
    };
    let first = rig.load(MIXED, settings.clone()).await.unwrap();
    assert_eq!(
        statuses(&first),
        [
            "updated", "updated", "updated", "created", "merged", "created"
        ],
        "{:#?}",
        first.rows
    );
    let contacts = rig.assert_contacts(5);
    let anna = rig.by_email("anna@mail.ru");
    assert_eq!(anna.notes.len(), 1);
    assert_eq!(rig.tag_names(&anna), ["vip", "новый"]);
    assert_eq!(anna.companies.len(), 1);
    let vera = rig.by_email("vera@mail.ru");
    assert!(!vera.archived);
    assert_eq!(rig.tag_names(&vera), ["b2b"]);
    assert_eq!(
        rig.contact(|c| c.phone.as_deref() == Some("+79991000002"))
            .name
            .as_deref(),
        Some("Борис")
    );

    let second = rig.load(MIXED, settings).await.unwrap();
    assert_eq!(
        second.api_requests, CATALOG,
        "a re-run costs the catalog only"
    );
    assert_eq!(rig.sandbox.contacts().len(), contacts.len());
}

#[tokio::test]
async fn a_note_the_workspace_has_already_is_not_added_again_without_the_ledger() {
    let rig = rig(workspace()).await;
    // Anna's comment is there as a note: a run whose ledger is gone added it.
    rig.sandbox.insert_contact(StoredContact {
        notes: vec![StoredNote {
            id: "1".into(),
            body: contact_loader::targets::intercom::api::note_body("звонить вечером"),
            created_at: 0,
        }],
        created_at: 1,
        ..StoredContact::user("anna@mail.ru")
    });
    let loaded = rig.load(MIXED, Settings::default()).await.unwrap();
    assert_eq!(loaded.rows[0].status.name(), "updated");
    assert_eq!(rig.by_email("anna@mail.ru").notes.len(), 1);
    assert_eq!(rig.requests("GET /contacts/{id}/notes"), 1);
    assert_eq!(rig.requests("POST /contacts/{id}/notes"), 0);
    rig.assert_contacts(5);
}

#[tokio::test]
async fn a_throttled_lead_create_is_sent_again_at_once() {
    let rig = rig(workspace()).await;
    rig.sandbox
        .inject(Method::POST, "/contacts", Fault::Throttled, 1);
    let loaded = rig
        .load("Телефон,Имя\n+7 999 100-00-02,Борис\n", Settings::default())
        .await
        .unwrap();
    assert_eq!(statuses(&loaded), ["created"], "{:?}", loaded.rows);
    rig.assert_contacts(1);
}

#[tokio::test]
async fn a_merged_contact_is_followed_for_its_note_too() {
    let rig = rig(workspace()).await;
    let list = "Телефон,Имя,Комментарий\n+7 999 100-00-02,Борис,первый звонок\n";
    rig.load(list, Settings::default()).await.unwrap();
    let lead = rig.contact(|c| c.phone.as_deref() == Some("+79991000002"));
    let user = rig.sandbox.insert_contact(StoredContact {
        phone: Some("+79991000002".into()),
        ..StoredContact::user("boris@mail.ru")
    });
    rig.sandbox.merge(&lead.id, &user).unwrap();
    // Only the comment changed: no `PUT` to meet the merge, the note does.
    let edited = "Телефон,Имя,Комментарий\n+7 999 100-00-02,Борис,второй звонок\n";
    let loaded = rig.load(edited, Settings::default()).await.unwrap();
    assert_eq!(statuses(&loaded), ["updated"], "{:?}", loaded.rows);
    let boris = rig.by_email("boris@mail.ru");
    assert_eq!(boris.id, user);
    let bodies: Vec<&str> = boris.notes.iter().map(|n| n.body.as_str()).collect();
    // The merge moved the first note along; the new comment is added once.
    for comment in ["первый звонок", "второй звонок"] {
        assert_eq!(
            bodies.iter().filter(|b| b.contains(comment)).count(),
            1,
            "{bodies:?}"
        );
    }
    let again = rig.load(edited, Settings::default()).await.unwrap();
    assert_eq!(again.api_requests, CATALOG);
}
