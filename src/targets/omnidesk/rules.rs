//! What an Omnidesk account takes, decided from its catalog before any write: where each of a
//! row's contacts goes (one user profile per identifier, `shared/specs/omnidesk.md`,
//! "Users"), where tags go (a user data field: "No tags/labels for users"), and what a row
//! names that the account cannot hold.

use serde_json::Value;

use super::api::{self, Assumptions, CustomField, FieldType, SelectValue};
use crate::domain::{ContactKey, Problem, Row, Said};
use crate::input::{Column, Header};
use crate::messages::{Lang, said};
use crate::targets::refusal::Refusal;

/// The run's settings (flags, a job's fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The title of the user data field tags go to ("tags map to a user custom field
    /// created beforehand").
    pub tags_field: Option<String>,
    /// Leave a phone or e-mail that rows with different names share unlinked, so that it
    /// does not join those people into one ("offer to not link it").
    pub no_link_shared: bool,
    /// The assumed points the account plays otherwise, as `probe --target omnidesk` lists
    /// them (`Assumptions::parse`): the loader adapts where that changes what it sends.
    #[serde(deserialize_with = "plays")]
    pub plays: Assumptions,
}

fn plays<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Assumptions, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    Assumptions::parse(&text).map_err(serde::de::Error::custom)
}

/// What the account has, read once per run.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// User-level, active data fields.
    pub fields: Vec<CustomField>,
    /// Users the account has (`total_count`), when it says.
    pub users: Option<u64>,
    /// The requests a minute the account allows (`rate_limit_per_minute`), when it says.
    pub per_minute: Option<u64>,
}

/// The field tags go to, or why a run cannot start with the one named.
pub fn tags_field(catalog: &Catalog, title: &str) -> Result<CustomField, Refusal> {
    let wanted = title.trim().to_lowercase();
    let field = catalog
        .fields
        .iter()
        .find(|f| f.title.trim().to_lowercase() == wanted)
        .ok_or_else(|| {
            let known: Vec<&str> = catalog.fields.iter().map(|f| f.title.as_str()).collect();
            let text = format!(
                "Omnidesk has no user data field “{title}” for the tags; it has: {}. Create \
                 one (Settings → Data fields, level “user”, type text), then run again",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
            Refusal::new(TAGS_FIELD_UNKNOWN, text)
        })?;
    if !matches!(field.field_type, FieldType::Text | FieldType::Textarea) {
        return Err(Refusal::new(
            TAGS_FIELD_NOT_TEXT,
            format!(
                "the data field “{title}” is not a text field: tags need a text or textarea field"
            ),
        ));
    }
    Ok(field.clone())
}

/// The run cannot start: the list has tags, and no field was named for them.
pub fn tags_without_field() -> Refusal {
    Refusal::new(
        TAGS_FIELD_MISSING,
        "the list has tags, and Omnidesk users have no tags: create a user data field \
         (Settings → Data fields, level “user”, type text) and name it with --tags-field TITLE \
         (the add-on's “Tags field”), or clear the Tags column",
    )
}

/// The codes of the refusals above (`Refusal::code`; `apps-script/CONTRACT.md`).
pub const TAGS_FIELD_MISSING: &str = "tags_field_missing";
pub const TAGS_FIELD_UNKNOWN: &str = "tags_field_unknown";
pub const TAGS_FIELD_NOT_TEXT: &str = "tags_field_not_text";
pub const COLUMNS_UNKNOWN: &str = "columns_unknown";

/// The identifier a contact is in Omnidesk: its request field and value. `None` for a
/// messenger channel the API has no field for.
pub fn identifier(key: &ContactKey) -> Option<(&'static str, String)> {
    match key {
        // **Assumed**: phones are stored as sent; the docs' examples send `+7926…`.
        ContactKey::Phone(digits) => Some((api::PHONE_FIELD, format!("+{digits}"))),
        ContactKey::Email(address) => Some((api::EMAIL_FIELD, address.to_string())),
        ContactKey::Messenger(value) => {
            let (channel, id) = value.split_once('|')?;
            Some((api::messenger_field(channel, id)?, id.to_owned()))
        }
    }
}

/// A row's verdict: every contact must have a place ("unknown channel → row error").
pub fn check_row(row: &Row) -> Result<Vec<crate::domain::Warning>, Problem> {
    for contact in &row.contacts {
        let key = contact.key();
        if identifier(&key).is_none() {
            let shown = key.to_string();
            return Err(Problem::Target(said(|lang| match lang {
                Lang::Ru => format!("в Омнидеске нет поля для {shown}"),
                Lang::En => format!("Omnidesk has no field for {shown}"),
            })));
        }
    }
    Ok(Vec::new())
}

/// The list's columns the input does not understand, each with the user data field of the
/// same title (compared ignoring case and spaces around): "custom fields only if created
/// in the account beforehand". `None` where the account has no such field.
pub fn data_fields(catalog: &Catalog, header: &Header) -> Vec<Option<CustomField>> {
    header
        .unknown
        .iter()
        .map(|title| {
            let title = title.trim().to_lowercase();
            catalog
                .fields
                .iter()
                .find(|f| f.title.trim().to_lowercase() == title)
                .cloned()
        })
        .collect()
}

/// Whether a column titled after `field` fills it: not when the title is one the input reads
/// as a column of its own (a field “Теги” or “Примечание” is the Tags or the Comment column),
/// which `data_fields` never sees. The add-on's contact sheet offers only the fields that do.
pub fn fills_from_column(field: &CustomField) -> bool {
    !field.title.trim().is_empty() && Column::of_title(&field.title).is_none()
}

/// The run cannot start: cells in columns that name no data field of the account.
pub fn unknown_columns(columns: &[&str], catalog: &Catalog) -> Refusal {
    let known: Vec<&str> = catalog.fields.iter().map(|f| f.title.as_str()).collect();
    let text = format!(
        "the list has columns Omnidesk has no user data field for: {}. Create each in Omnidesk \
         (Settings → Data fields, level “user”) under the column's title, or remove the column; \
         the account's fields: {}",
        columns.join(", "),
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    );
    Refusal::new(COLUMNS_UNKNOWN, text)
}

/// A cell as its data field takes it: a checkbox a yes or a no, a select one of its options
/// (named by key or title; sent as `how` says, the key **assumed**: `SelectValue`), text as
/// it is.
pub fn field_value(field: &CustomField, cell: &str, how: SelectValue) -> Result<Value, Said> {
    let cell = cell.trim();
    let title = field.title.as_str();
    match &field.field_type {
        FieldType::Checkbox => match cell.to_lowercase().as_str() {
            "1" | "yes" | "y" | "true" | "да" | "д" | "+" | "x" | "✓" => Ok(Value::Bool(true)),
            "0" | "no" | "n" | "false" | "нет" | "н" | "-" => Ok(Value::Bool(false)),
            _ => Err(said(|lang| match lang {
                Lang::Ru => format!("«{title}» — флажок: напишите «да» или «нет», а не «{cell}»"),
                Lang::En => format!("“{title}” is a checkbox: write yes or no, not “{cell}”"),
            })),
        },
        FieldType::Select => {
            let options = match &field.field_data {
                api::FieldData::Options(options) => options,
                api::FieldData::None => &Default::default(),
            };
            let by_key = field.field_data.option(cell, SelectValue::OptionKey);
            let by_title = options
                .iter()
                .find(|(_, t)| t.trim().to_lowercase() == cell.to_lowercase())
                .map(|(k, t)| (k.as_str(), t.as_str()));
            match by_key.or(by_title) {
                Some((key, option)) => Ok(Value::String(
                    match how {
                        SelectValue::OptionKey => key,
                        SelectValue::OptionTitle => option,
                    }
                    .to_owned(),
                )),
                None => {
                    let titles: Vec<String> = options.values().cloned().collect();
                    Err(said(|lang| {
                        let head = match lang {
                            Lang::Ru => format!("в поле «{title}» нет варианта «{cell}»"),
                            Lang::En => format!("the field “{title}” has no option “{cell}”"),
                        };
                        crate::messages::listed(lang, head, ("есть", "it has"), &titles)
                    }))
                }
            }
        }
        _ => Ok(Value::String(cell.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::omnidesk::api::{EmailCase, FieldData, NoteUpdate};

    #[test]
    fn a_field_titled_like_one_of_the_lists_own_columns_is_not_filled_from_a_column() {
        let field = |title: &str| CustomField {
            field_id: 7,
            title: title.to_owned(),
            field_type: FieldType::Text,
            field_level: "user".to_owned(),
            active: true,
            field_data: FieldData::None,
        };
        assert!(fills_from_column(&field("Источник")));
        for title in [
            "Теги",
            " tags ",
            "Примечание",
            "Телефон (рабочий)",
            "Статус",
            " ",
        ] {
            assert!(!fills_from_column(&field(title)), "{title:?}");
        }
        // As the loader reads such a header: the column is the list's own, no data field's.
        let catalog = Catalog {
            fields: vec![field("Теги"), field("Источник")],
            ..Catalog::default()
        };
        let header = Header::parse(["Телефон", "Теги", "Источник"]).unwrap();
        let filled: Vec<Option<String>> = data_fields(&catalog, &header)
            .into_iter()
            .map(|f| f.map(|f| f.title))
            .collect();
        assert_eq!(filled, [Some("Источник".to_owned())]);
    }

    #[test]
    fn a_checkbox_takes_the_words_the_add_on_offers_in_both_languages() {
        let checkbox = CustomField {
            field_id: 3,
            title: "Рассылка".to_owned(),
            field_type: FieldType::Checkbox,
            field_level: "user".to_owned(),
            active: true,
            field_data: FieldData::None,
        };
        // apps-script/src/Texts.js `checkboxWords`: the dropdown of a checkbox's column.
        for (cell, ticked) in [("да", true), ("нет", false), ("yes", true), ("no", false)] {
            assert_eq!(
                field_value(&checkbox, cell, SelectValue::OptionKey).unwrap(),
                Value::Bool(ticked),
                "{cell}"
            );
        }
        assert!(field_value(&checkbox, "может быть", SelectValue::OptionKey).is_err());
    }

    #[test]
    fn plays_is_read_by_the_names_probe_prints_and_refuses_others() {
        let settings: Settings = serde_json::from_value(
            serde_json::json!({"plays": "note-appends, email-case-sensitive"}),
        )
        .unwrap();
        assert_eq!(settings.plays.note_update, NoteUpdate::Appends);
        assert_eq!(settings.plays.email_case, EmailCase::Sensitive);
        let none: Settings = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(none.plays, Assumptions::default());
        let error =
            serde_json::from_value::<Settings>(serde_json::json!({"plays": "notes-append"}))
                .unwrap_err()
                .to_string();
        assert!(error.contains("unknown variant `notes-append`"), "{error}");
    }
}
