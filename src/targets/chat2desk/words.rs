//! What a row says about Chat2Desk, in both languages: what the account lacks for it, where
//! its contacts go, who cannot be reached. The rules decide; this is the wording.

use crate::domain::{Said, Warning};
use crate::messages::{Lang, listed, said};

/// Why a row (or one of its contacts) cannot go into the account, decided before any write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownTag(String),
    UnknownChannel(String),
    /// The channel has nothing of the messenger's family: it has `offered`.
    MessengerNotOnChannel {
        messenger: String,
        channel: String,
        offered: Vec<String>,
    },
    /// No channel in the row and none given for the run.
    NoChannel,
    /// No messenger in the row and none given for the run.
    NoMessenger,
    /// An e-mail contact, and no channel of the account takes e-mail.
    NoEmailChannel,
    /// Several channels take e-mail and none was chosen for the run.
    SeveralEmailChannels(Vec<String>),
    /// Only messenger ids: Chat2Desk creates clients by phone or e-mail.
    NoLoadableContact,
}

impl Refusal {
    pub fn said(&self) -> Said {
        said(|lang| self.text(lang))
    }

    fn text(&self, lang: Lang) -> String {
        match self {
            Refusal::UnknownTag(label) => match lang {
                Lang::Ru => format!("тега «{label}» нет в аккаунте — создайте его или исправьте"),
                Lang::En => {
                    format!("the account has no tag “{label}” — create it or fix the cell")
                }
            },
            Refusal::UnknownChannel(name) => match lang {
                Lang::Ru => format!("канала «{name}» нет в аккаунте"),
                Lang::En => format!("the account has no channel “{name}”"),
            },
            Refusal::MessengerNotOnChannel {
                messenger,
                channel,
                offered,
            } => {
                let head = match lang {
                    Lang::Ru => format!("в канале «{channel}» нет мессенджера «{messenger}»"),
                    Lang::En => format!("the channel “{channel}” has no {messenger}"),
                };
                listed(lang, head, ("в нём есть", "it has"), offered)
            }
            Refusal::NoEmailChannel => lang.pick(
                "ни в одном канале аккаунта нет e-mail — подключите почту к каналу",
                "no channel of the account takes e-mail — connect e-mail to a channel",
            ),
            Refusal::SeveralEmailChannels(names) => match lang {
                Lang::Ru => format!(
                    "e-mail есть в нескольких каналах ({}): выберите канал для e-mail в настройках \
                     (--email-channel)",
                    names.join(", ")
                ),
                Lang::En => format!(
                    "several channels take e-mail ({}): choose the e-mail channel in the settings \
                     (--email-channel)",
                    names.join(", ")
                ),
            },
            Refusal::NoChannel => lang.pick(
                "не указан канал — заполните колонку «Канал» или задайте канал для всего списка",
                "no channel — fill in the Channel column or give one for the whole list",
            ),
            Refusal::NoMessenger => lang.pick(
                "не указан мессенджер — заполните колонку «Мессенджер» или задайте его для всего списка",
                "no messenger — fill in the Messenger column or give one for the whole list",
            ),
            Refusal::NoLoadableContact => lang.pick(
                "нужен телефон или e-mail: по идентификатору мессенджера клиента создать нельзя",
                "a phone or an e-mail is needed: a client cannot be created from a messenger id",
            ),
        }
    }
}

/// One of the row's contacts cannot go into the account (its others do).
pub fn not_placed(contact: &str, why: &Refusal) -> Warning {
    Warning::Target(said(|lang| {
        let why = why.text(lang);
        match lang {
            Lang::Ru => format!("{contact} не загружен: {why}"),
            Lang::En => format!("{contact} is not loaded: {why}"),
        }
    }))
}

/// The contact goes to another channel than the row's (an e-mail to the e-mail channel).
pub fn placed_on(contact: &str, channel: &str) -> Warning {
    Warning::Target(said(|lang| match lang {
        Lang::Ru => format!("{contact} — в канал «{channel}»"),
        Lang::En => format!("{contact} goes to the channel “{channel}”"),
    }))
}

/// The client was already in the account, but cannot be reached on the dialog wanted:
/// only on `reachable` ("«channel» (transport)" each).
pub fn unreachable(wanted: &str, reachable: &[String]) -> Warning {
    Warning::Target(said(|lang| {
        let head = match lang {
            Lang::Ru => format!("клиент уже был в аккаунте, но диалога в {wanted} у него нет"),
            Lang::En => {
                format!("the client was already in the account, with no dialog on {wanted}")
            }
        };
        listed(
            lang,
            head,
            ("он доступен в", "it can be reached on"),
            reachable,
        )
    }))
}

/// A row of messenger ids only, before the account is read.
pub fn messenger_id_only() -> Warning {
    Warning::Target(said(|lang| {
        lang.pick(
            "только идентификатор мессенджера: в Chat2Desk клиента создать нельзя",
            "a messenger id only: Chat2Desk cannot create a client from it",
        )
    }))
}
