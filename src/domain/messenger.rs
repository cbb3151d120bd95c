//! `MessengerId` (Omnidesk's `channel|id`) and `Messenger` (a Chat2Desk transport name).

use std::fmt;

use super::text::{TextField, clean};

/// Channels Omnidesk accepts in a `channel|id` cell (`shared/specs/omnidesk.md`, "Users":
/// the `user_<channel>` identifiers).
const MESSENGER_ID_CHANNELS: &[&str] = &[
    "telegram",
    "whatsapp",
    "viber",
    "vkontakte",
    "facebook",
    "instagram",
    "odnoklassniki",
    "skype",
    "line",
    "slack",
    "mattermost",
    "avito",
];

/// Short names people write for a channel, and the channel: one identity either way.
const MESSENGER_ID_ALIASES: &[(&str, &str)] = &[("vk", "vkontakte"), ("ok", "odnoklassniki")];

const MAX_ID_CHARS: usize = 128;

/// A messenger identity such as `telegram|123456789`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessengerId {
    /// Kept as `channel|id`, the channel lower-cased: it is also the merge key.
    value: Box<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessengerIdError {
    /// No `|` between the channel and the id.
    NoSeparator,
    UnknownChannel(String),
    EmptyId,
    /// Spaces inside the id, or an id longer than any messenger uses.
    BadId,
}

impl MessengerId {
    pub fn parse(raw: &str) -> Result<MessengerId, MessengerIdError> {
        let (channel, id) = raw
            .trim()
            .split_once('|')
            .ok_or(MessengerIdError::NoSeparator)?;
        // Omnidesk's importer wants the channel in lower case ("Формат чувствителен к
        // регистру", shared/seeds/omnidesk-migration-ru.txt); we write it that way rather
        // than reject `Telegram|...`.
        let mut channel = channel.trim().to_lowercase();
        if let Some((_, full)) = MESSENGER_ID_ALIASES.iter().find(|(a, _)| *a == channel) {
            channel = (*full).to_owned();
        }
        if !MESSENGER_ID_CHANNELS.contains(&channel.as_str()) {
            // Quoted back to people: cleaned and cut short.
            let shown = clean(&channel, TextField::Name)
                .ok()
                .flatten()
                .map(|c| c.chars().take(40).collect())
                .unwrap_or_default();
            return Err(MessengerIdError::UnknownChannel(shown));
        }
        let id = id.trim().trim_start_matches('@');
        if id.is_empty() {
            return Err(MessengerIdError::EmptyId);
        }
        if id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '|')
            || id.chars().count() > MAX_ID_CHARS
        {
            return Err(MessengerIdError::BadId);
        }
        Ok(MessengerId {
            value: format!("{channel}|{id}").into(),
        })
    }

    pub fn channel(&self) -> &str {
        self.value.split_once('|').map_or("", |(c, _)| c)
    }

    pub fn id(&self) -> &str {
        self.value.split_once('|').map_or("", |(_, id)| id)
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn into_string(self) -> Box<str> {
        self.value
    }
}

impl fmt::Display for MessengerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// Transport names seen in Chat2Desk (`shared/specs/chat2desk.md`, `GET /v1/help/transports`).
pub const KNOWN_TRANSPORTS: &[&str] = &[
    "whatsapp",
    "viber",
    "viber_business",
    "viber_public",
    "telegram",
    "sms",
    "facebook",
    "vk",
    "external",
    "widget",
    "system",
    "insta_direct",
    "ok",
    "skype",
    "email",
    "wechat",
];

/// What people type in a "Мессенджер" column, mapped to the transport's name.
const TRANSPORT_ALIASES: &[(&str, &str)] = &[
    ("ватсап", "whatsapp"),
    ("вотсап", "whatsapp"),
    ("вацап", "whatsapp"),
    ("whats app", "whatsapp"),
    ("wa", "whatsapp"),
    ("телеграм", "telegram"),
    ("телеграмм", "telegram"),
    ("tg", "telegram"),
    ("вайбер", "viber"),
    ("смс", "sms"),
    ("почта", "email"),
    ("e-mail", "email"),
    ("вконтакте", "vk"),
    ("вк", "vk"),
    ("vkontakte", "vk"),
    ("instagram", "insta_direct"),
    ("инстаграм", "insta_direct"),
    ("одноклассники", "ok"),
];

/// A messenger (Chat2Desk calls it a transport) named in a row: lower-case, aliases resolved.
/// Whether the account has it is the target's question, not the parser's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Messenger(Box<str>);

impl Messenger {
    /// `None` for an empty cell.
    pub fn parse(raw: &str) -> Option<Messenger> {
        // Cleaned like any free text: the name is quoted back to people in statuses.
        let name = clean(raw, TextField::Name).ok().flatten()?.to_lowercase();
        let name = TRANSPORT_ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map_or(name.clone(), |(_, canonical)| (*canonical).to_owned());
        Some(Messenger(name.into()))
    }

    pub fn is_known(&self) -> bool {
        KNOWN_TRANSPORTS.contains(&&*self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Messenger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messenger_ids_take_omnidesks_form() {
        let id = MessengerId::parse(" Telegram|123456789 ").unwrap();
        assert_eq!(id.as_str(), "telegram|123456789");
        assert_eq!(id.channel(), "telegram");
        assert_eq!(id.id(), "123456789");
        assert_eq!(
            MessengerId::parse("telegram 123"),
            Err(MessengerIdError::NoSeparator)
        );
        assert_eq!(
            MessengerId::parse("icq|123"),
            Err(MessengerIdError::UnknownChannel("icq".into()))
        );
        assert_eq!(
            MessengerId::parse("viber| "),
            Err(MessengerIdError::EmptyId)
        );
        assert_eq!(
            MessengerId::parse("skype|a b"),
            Err(MessengerIdError::BadId)
        );
    }

    #[test]
    fn messengers_resolve_russian_names() {
        assert_eq!(Messenger::parse("WhatsApp").unwrap().as_str(), "whatsapp");
        assert_eq!(Messenger::parse("Телеграм").unwrap().as_str(), "telegram");
        assert!(Messenger::parse("  ").is_none());
        assert!(!Messenger::parse("pager").unwrap().is_known());
    }
}
