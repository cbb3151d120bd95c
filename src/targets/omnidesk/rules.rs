//! What an Omnidesk account takes, decided from its catalog before any write: where each of a
//! row's contacts goes (one user profile per identifier, `shared/specs/omnidesk.md`,
//! "Users"), where tags go (a user data field: "No tags/labels for users"), and what a row
//! names that the account cannot hold.

use super::api::{self, CustomField, FieldType};
use crate::domain::{ContactKey, Problem, Row};
use crate::messages::{Lang, said};

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

/// Why a run cannot start with what it was given.
pub fn tags_field(catalog: &Catalog, title: &str) -> Result<CustomField, String> {
    let wanted = title.trim().to_lowercase();
    let field = catalog
        .fields
        .iter()
        .find(|f| f.title.trim().to_lowercase() == wanted)
        .ok_or_else(|| {
            let known: Vec<&str> = catalog.fields.iter().map(|f| f.title.as_str()).collect();
            format!(
                "Omnidesk has no user data field “{title}” for the tags; it has: {}. Create \
                 one (Settings → Data fields, level “user”, type text), then run again",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )
        })?;
    if !matches!(field.field_type, FieldType::Text | FieldType::Textarea) {
        return Err(format!(
            "the data field “{title}” is not a text field: tags need a text or textarea field"
        ));
    }
    Ok(field.clone())
}

/// The run cannot start: the list has tags, and no field was named for them.
pub fn tags_without_field() -> String {
    "the list has tags, and Omnidesk users have no tags: create a user data field (Settings → \
     Data fields, level “user”, type text) and name it with --tags-field TITLE (the add-on's \
     “Tags field”), or clear the Tags column"
        .to_owned()
}

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
