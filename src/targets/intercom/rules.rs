//! What an Intercom workspace takes, decided from its catalog before any write: which
//! attribute each of a row's fields goes to ("There is no separate … job title, or
//! messenger-id field in the contact model: position, comment (if kept as a field) and
//! `channel|id` values go to **custom attributes**"), whether the workspace has those
//! attributes ("Must exist before use" [ch20]), and how a cell becomes an attribute's value.

use std::collections::BTreeMap;

use serde_json::Value;

use super::api::{self, DataAttribute, Tag};
use crate::domain::{ContactKey, Said};
use crate::identity::Profiles;
use crate::input::Header;
use crate::messages::{Lang, said};

/// The run's settings (flags, a job's fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `Intercom-Version`, when not the pinned one (`api::DEFAULT_VERSION`).
    pub version: Option<String>,
    /// Keep the comment in this custom attribute instead of a note ("The mapping chooses;
    /// default note").
    pub comment_attribute: Option<String>,
    /// Create the custom attributes the list needs and the workspace lacks (the user's
    /// consent to `POST /data_attributes`).
    pub create_attributes: bool,
    /// Revive an archived contact the list names ("unarchived with `--unarchive`"),
    /// instead of reporting it.
    pub unarchive: bool,
    /// Seconds Intercom's search may take to show a contact just created ("this delay can
    /// take a few minutes" [oas]), when not the default: how long a lead whose create
    /// answer was lost waits before it is created again.
    pub search_lag_secs: Option<u64>,
}

impl Settings {
    pub fn version(&self) -> &str {
        self.version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .unwrap_or(api::DEFAULT_VERSION)
    }

    pub fn comment_attribute(&self) -> Option<&str> {
        self.comment_attribute
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// What the workspace has, read once per run.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The contact model's attributes (standard and custom).
    pub attributes: Vec<DataAttribute>,
    pub tags: Vec<Tag>,
    /// The requests a minute the workspace allows (six 10-second windows), when it says.
    pub per_minute: Option<u64>,
}

/// The custom attribute a position goes to: the contact model has no job title (spec,
/// "Create"). One name, so that every run and every list agree.
pub const POSITION_ATTRIBUTE: &str = "job_title";

/// The custom attribute a messenger id of `channel` goes to: `telegram|123` →
/// `telegram_id` = `123`.
pub fn messenger_attribute(channel: &str) -> String {
    format!("{channel}_id")
}

/// A custom attribute the list fills, and what its cells must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub name: String,
    /// `string`, `integer`, `float`, `boolean`, `date`: the workspace's, or `string` for
    /// one the run creates.
    pub data_type: String,
    /// The workspace has it and the API may write it.
    pub exists: bool,
}

/// The slot `name` (compared by name or label, ignoring case and spaces around) is in the
/// workspace, or one the run would create. An attribute that exists but may not take our
/// values is an error that says why.
pub fn slot(catalog: &Catalog, name: &str) -> Result<Slot, String> {
    let wanted = name.trim().to_lowercase();
    let found = catalog.attributes.iter().find(|a| {
        a.name.trim().to_lowercase() == wanted
            || a.label.as_deref().map(|l| l.trim().to_lowercase()) == Some(wanted.clone())
    });
    match found {
        None => Ok(Slot {
            name: name.trim().to_owned(),
            data_type: "string".to_owned(),
            exists: false,
        }),
        // "Check `custom`, `api_writable`, `!archived` and the type of every mapped column".
        Some(a) if !a.custom => Err(format!(
            "“{}” is one of Intercom's own attributes, not a custom one: rename the column",
            a.name
        )),
        Some(a) if a.archived => Err(format!(
            "the Intercom attribute “{}” is archived: unarchive it (Settings → Data → People), \
             or rename the column",
            a.name
        )),
        Some(a) if !a.api_writable => Err(format!(
            "the Intercom attribute “{}” cannot be written through the API",
            a.name
        )),
        Some(a) => Ok(Slot {
            name: a.name.clone(),
            data_type: a.data_type.clone(),
            exists: true,
        }),
    }
}

/// The run cannot start: attributes the list needs that the workspace lacks.
pub fn missing_attributes(names: &[&str]) -> String {
    format!(
        "the list needs custom attributes the Intercom workspace does not have: {}. Create each \
         in Intercom (Settings → Data → People → Create attribute, type Text) with that name, or \
         run again with --create-attributes (the add-on's “Create missing attributes”) to have \
         them created",
        names.join(", ")
    )
}

/// What a column the input does not understand is to Intercom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The contact's `external_id` ("a row becomes one contact: `user` when it has an
    /// e-mail (or an external id column)").
    ExternalId,
    /// The custom attribute of the same name or label ("columns named after contact data
    /// attributes go to custom attributes"), or why it cannot be one.
    Attribute(Result<Slot, String>),
}

/// Titles of an external id column, compared ignoring case, spaces, `_` and `-`.
const EXTERNAL_ID_TITLES: &[&str] = &["externalid", "userid", "внешнийid", "idпользователя"];

/// The columns the input does not understand, each as Intercom takes it.
pub fn columns(catalog: &Catalog, header: &Header) -> Vec<Column> {
    header
        .unknown
        .iter()
        .map(|title| {
            let bare: String = title
                .to_lowercase()
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
                .collect();
            if EXTERNAL_ID_TITLES.contains(&bare.as_str()) {
                Column::ExternalId
            } else {
                Column::Attribute(slot(catalog, title))
            }
        })
        .collect()
}

/// A cell as its attribute takes it: text (at most `api::STRING_ATTRIBUTE_LIMIT`
/// characters, **assumed**), a whole or decimal number, a yes or no, a date as Unix seconds.
pub fn value(slot: &Slot, cell: &str) -> Result<Value, Said> {
    let cell = cell.trim();
    let name = slot.name.as_str();
    let wrong = |ru: &str, en: &str| {
        let (ru, en) = (ru.to_owned(), en.to_owned());
        said(move |lang| match lang {
            Lang::Ru => format!("«{name}» в Intercom — {ru}, а не «{cell}»"),
            Lang::En => format!("“{name}” in Intercom is {en}, not “{cell}”"),
        })
    };
    match slot.data_type.as_str() {
        "integer" => cell
            .replace([' ', '\u{a0}'], "")
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| wrong("целое число", "a whole number")),
        "float" => cell
            .replace([' ', '\u{a0}'], "")
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| wrong("число", "a number")),
        "boolean" => match cell.to_lowercase().as_str() {
            "1" | "yes" | "y" | "true" | "да" | "д" | "+" | "x" | "✓" => Ok(Value::Bool(true)),
            "0" | "no" | "n" | "false" | "нет" | "н" | "-" => Ok(Value::Bool(false)),
            _ => Err(wrong("«да» или «нет»", "yes or no")),
        },
        "date" => date(cell)
            .map(Value::from)
            .ok_or_else(|| wrong("дата (ГГГГ-ММ-ДД)", "a date (YYYY-MM-DD)")),
        _ => Ok(Value::String(cell.to_owned())),
    }
}

/// `YYYY-MM-DD` or `DD.MM.YYYY` as Unix seconds at midnight UTC (Intercom's date
/// attributes are Unix timestamps).
fn date(cell: &str) -> Option<i64> {
    let parts: Vec<&str> = cell.split(['-', '.', '/']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1900..=2200).contains(&y) {
        return None;
    }
    // Days from the civil date (H. Hinnant's `days_from_civil`): a dozen lines rather than
    // a date crate for one conversion.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

/// A text for a string attribute: cut at the limit on a character boundary, and whether it
/// was cut.
pub fn fit(text: &str) -> (String, bool) {
    match text.char_indices().nth(api::STRING_ATTRIBUTE_LIMIT) {
        Some((at, _)) => (text[..at].to_owned(), true),
        None => (text.to_owned(), false),
    }
}

/// The company's `company_id`: "derived deterministically (e.g. a slug or hash of the
/// normalised name) — **design decision**". A hash of the name lower-cased with its spaces
/// collapsed, so that `ООО Ромашка` and `ооо  ромашка` are one company, on every run and
/// every machine.
pub fn company_id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let normal = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let digest = Sha256::digest(normal.as_bytes());
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("cl-{hex}")
}

/// The Intercom contacts a list's profiles make: each e-mail is a user of its own; a
/// cluster's phones and messenger ids (a row's other contacts) go with its first e-mail's
/// user, or, in a cluster without one, make one lead, its first phone (else messenger id)
/// first. Members oldest first, the contact's key profile first.
pub fn contacts(profiles: &Profiles) -> Vec<Vec<u32>> {
    let mut contacts = Vec::new();
    for (id, _) in profiles.iter() {
        if profiles.link_target(id).is_some() {
            continue;
        }
        let cluster = profiles.cluster(id);
        let is_email = |p: &u32| matches!(profiles.get(*p).key, ContactKey::Email(_));
        let is_phone = |p: &u32| matches!(profiles.get(*p).key, ContactKey::Phone(_));
        let emails: Vec<u32> = cluster.iter().copied().filter(is_email).collect();
        let mut others: Vec<u32> = cluster.iter().copied().filter(|p| !is_email(p)).collect();
        match emails.split_first() {
            Some((first, rest)) => {
                contacts.push(std::iter::once(*first).chain(others).collect());
                contacts.extend(rest.iter().map(|&e| vec![e]));
            }
            None => {
                // The lead's key: its first phone, which Intercom can search by.
                if let Some(at) = others.iter().position(is_phone) {
                    let phone = others.remove(at);
                    others.insert(0, phone);
                }
                contacts.push(others);
            }
        }
    }
    contacts
}

/// Attribute names by what fills them, for the catalog view.
pub fn attribute_view(catalog: &Catalog) -> BTreeMap<String, String> {
    catalog
        .attributes
        .iter()
        .filter(|a| a.custom && !a.archived)
        .map(|a| (a.name.clone(), a.data_type.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_is_one_id_however_its_name_is_spaced() {
        assert_eq!(company_id("ООО Ромашка"), company_id("  ооо   ромашка "));
        assert_ne!(company_id("Ромашка"), company_id("Лютик"));
        assert!(company_id("Acme").starts_with("cl-"));
    }

    #[test]
    fn dates_are_unix_seconds_at_midnight() {
        assert_eq!(date("1970-01-01"), Some(0));
        assert_eq!(date("2026-12-02"), Some(1_796_169_600));
        assert_eq!(date("02.12.2026"), Some(1_796_169_600));
        assert_eq!(date("2026-13-01"), None);
        assert_eq!(date("soon"), None);
    }

    #[test]
    fn long_text_is_cut_on_a_character() {
        let long = "я".repeat(300);
        let (cut, was) = fit(&long);
        assert!(was);
        assert_eq!(cut.chars().count(), api::STRING_ATTRIBUTE_LIMIT);
        assert_eq!(fit("short"), ("short".to_owned(), false));
    }

    #[test]
    fn an_attribute_is_found_by_name_or_label() {
        let catalog = Catalog {
            attributes: vec![
                DataAttribute {
                    id: None,
                    name: "plan_type".into(),
                    label: Some("Plan type".into()),
                    data_type: "string".into(),
                    custom: true,
                    api_writable: true,
                    archived: false,
                    model: None,
                },
                DataAttribute {
                    id: None,
                    name: "email".into(),
                    label: None,
                    data_type: "string".into(),
                    custom: false,
                    api_writable: true,
                    archived: false,
                    model: None,
                },
            ],
            ..Default::default()
        };
        assert!(slot(&catalog, "plan type").unwrap().exists);
        assert_eq!(slot(&catalog, "Plan_Type").unwrap().name, "plan_type");
        assert!(!slot(&catalog, "job_title").unwrap().exists);
        assert!(slot(&catalog, "Email").is_err());
    }
}
