//! Where each contact of a row goes in a Chat2Desk account — a channel and one of its
//! transports — and what a row names that the account lacks, decided from the catalog
//! before any write.
//!
//! A phone goes to the row's channel (or the run's) on the requested messenger, resolved
//! by family against that channel's own transports (`transports.rs`). An e-mail goes to
//! the same channel if it takes e-mail, else to the account's e-mail channel ("An e-mail
//! contact goes to the account's channel that has e-mail (said in its status), a phone +
//! e-mail row still loads its phone when its e-mail cannot be placed", spec).

use std::collections::BTreeSet;

use super::api::{Channel, EMAIL_TRANSPORT};
use super::catalog::Catalog;
use super::words::{self, Refusal};
use crate::domain::{Contact, ContactKey, Messenger, Problem, Row, Warning};

/// What the run gives for rows that say nothing themselves.
#[derive(Debug, Clone, Default)]
pub struct Given<'a> {
    /// A channel, by id or name.
    pub channel: Option<&'a str>,
    /// A messenger, as a person names it ("WhatsApp", "whatsapp", "wa_dialog").
    pub messenger: Option<&'a str>,
    /// The channel for e-mail contacts, when several channels take e-mail.
    pub email_channel: Option<&'a str>,
    pub tags: &'a [String],
}

/// Why a run cannot start with what it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GivenError {
    #[error("the account has no channel `{given}`; it has: {known}")]
    UnknownChannel { given: String, known: String },
    #[error("no channel of the account has the messenger `{given}`; they have: {known}")]
    UnknownMessenger { given: String, known: String },
    #[error("the account has no tag `{given}`: create it in Chat2Desk first; it has: {known}")]
    UnknownTag { given: String, known: String },
    #[error("the channel `{given}` takes no e-mail; the channels that do: {known}")]
    NotAnEmailChannel { given: String, known: String },
    #[error("nothing can be loaded into this account: {0}")]
    Unusable(String),
}

/// The run's defaults, resolved against the account once.
#[derive(Debug, Clone)]
pub struct Defaults {
    channel: Option<u64>,
    messenger: Option<String>,
    pub tags: BTreeSet<u64>,
    /// The channel e-mails go to when theirs takes none, or why there is none.
    email_channel: Result<u64, Refusal>,
}

/// Where one contact goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub channel_id: u64,
    pub transport: String,
    /// The channel's name when it is not the row's own (an e-mail sent to the e-mail
    /// channel): the row says so.
    pub elsewhere: Option<String>,
}

fn names(channels: impl Iterator<Item = String>) -> String {
    let list: Vec<String> = channels.collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

fn shown(channel: &Channel) -> String {
    format!("{} ({})", channel.name, channel.id)
}

impl Defaults {
    pub fn resolve(catalog: &Catalog, given: &Given<'_>) -> Result<Defaults, GivenError> {
        catalog.usable().map_err(GivenError::Unusable)?;
        let channel = match given.channel {
            Some(given) => Some(
                catalog
                    .channel(given)
                    .ok_or_else(|| GivenError::UnknownChannel {
                        given: given.to_owned(),
                        known: names(catalog.channels.iter().map(shown)),
                    })?
                    .id,
            ),
            // An account with one channel needs no flag.
            None if catalog.channels.len() == 1 => Some(catalog.channels[0].id),
            None => None,
        };
        let messenger = match given.messenger {
            Some(raw) => {
                let name = Messenger::parse(raw)
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default();
                if !catalog.serves(&name) {
                    return Err(GivenError::UnknownMessenger {
                        given: raw.to_owned(),
                        known: names(catalog.transports.iter().cloned()),
                    });
                }
                Some(name)
            }
            None => None,
        };
        let mut tags = BTreeSet::new();
        for label in given.tags {
            let tag = catalog.tag(label).ok_or_else(|| GivenError::UnknownTag {
                given: label.clone(),
                known: names(catalog.tags.iter().map(|t| t.label.clone())),
            })?;
            tags.insert(tag.id);
        }
        let email_channels: Vec<&Channel> = catalog.email_channels().collect();
        let email_channel = match given.email_channel {
            Some(given) => {
                let channel = catalog
                    .channel(given)
                    .ok_or_else(|| GivenError::UnknownChannel {
                        given: given.to_owned(),
                        known: names(catalog.channels.iter().map(shown)),
                    })?;
                if !email_channels.iter().any(|c| c.id == channel.id) {
                    return Err(GivenError::NotAnEmailChannel {
                        given: given.to_owned(),
                        known: names(email_channels.iter().map(|c| shown(c))),
                    });
                }
                Ok(channel.id)
            }
            None => match email_channels.as_slice() {
                [] => Err(Refusal::NoEmailChannel),
                [only] => Ok(only.id),
                several => match channel.filter(|id| several.iter().any(|c| c.id == *id)) {
                    Some(id) => Ok(id),
                    None => Err(Refusal::SeveralEmailChannels(
                        several.iter().map(|c| c.name.clone()).collect(),
                    )),
                },
            },
        };
        Ok(Defaults {
            channel,
            messenger,
            tags,
            email_channel,
        })
    }

    /// Where a contact goes: `row_channel` and `row_messenger` are the row's own cells
    /// (they win over the run's). `Ok(None)` for a contact Chat2Desk cannot hold (a
    /// messenger id).
    pub fn place(
        &self,
        catalog: &Catalog,
        key: &ContactKey,
        row_channel: Option<&str>,
        row_messenger: Option<&Messenger>,
    ) -> Result<Option<Placement>, Refusal> {
        let channel = match row_channel {
            Some(name) => Some(
                catalog
                    .channel(name)
                    .ok_or_else(|| Refusal::UnknownChannel(name.to_owned()))?,
            ),
            None => self.channel.and_then(|id| catalog.channel_by_id(id)),
        };
        match key {
            ContactKey::Phone(_) => {
                let channel = channel.ok_or(Refusal::NoChannel)?;
                let requested = row_messenger
                    .map(|m| m.as_str().to_owned())
                    .or_else(|| self.messenger.clone())
                    .ok_or(Refusal::NoMessenger)?;
                let transport = catalog.transport_on(&requested, channel).ok_or_else(|| {
                    Refusal::MessengerNotOnChannel {
                        messenger: requested.clone(),
                        channel: channel.name.clone(),
                        offered: channel.transports.clone(),
                    }
                })?;
                Ok(Some(Placement {
                    channel_id: channel.id,
                    transport: transport.to_owned(),
                    elsewhere: None,
                }))
            }
            // **Assumed** (api.rs): an e-mail client is the `email` transport, the address
            // in `phone`.
            ContactKey::Email(_) => {
                if let Some(channel) = channel
                    && let Some(transport) = catalog.transport_on(EMAIL_TRANSPORT, channel)
                {
                    return Ok(Some(Placement {
                        channel_id: channel.id,
                        transport: transport.to_owned(),
                        elsewhere: None,
                    }));
                }
                let id = self.email_channel.clone()?;
                let email = catalog.channel_by_id(id).ok_or(Refusal::NoEmailChannel)?;
                Ok(Some(Placement {
                    channel_id: id,
                    transport: EMAIL_TRANSPORT.to_owned(),
                    elsewhere: Some(email.name.clone()),
                }))
            }
            ContactKey::Messenger(_) => Ok(None),
        }
    }

    /// A row's verdict before anything is written: refused when it names a tag or channel
    /// the account lacks, or when none of its contacts can go anywhere; else its notes —
    /// a contact that cannot be placed while the others can, one that goes to another
    /// channel than the row's.
    pub fn rule(&self, catalog: &Catalog, row: &Row) -> Result<Vec<Warning>, Problem> {
        let problem = |p: Refusal| Err(Problem::Target(p.said()));
        for label in row.tags.iter() {
            if catalog.tag(label).is_none() {
                return problem(Refusal::UnknownTag(label.to_owned()));
            }
        }
        if let Some(name) = &row.channel
            && catalog.channel(name).is_none()
        {
            return problem(Refusal::UnknownChannel(name.to_string()));
        }
        let mut warnings = Vec::new();
        let mut placed = 0;
        let mut first_problem = None;
        for contact in &row.contacts {
            let key = contact.key();
            match self.place(
                catalog,
                &key,
                row.channel.as_deref(),
                row.messenger.as_ref(),
            ) {
                Ok(None) => {}
                Ok(Some(placement)) => {
                    placed += 1;
                    if let Some(channel) = placement.elsewhere {
                        warnings.push(words::placed_on(&key.to_string(), &channel));
                    }
                }
                Err(why) => {
                    warnings.push(words::not_placed(&key.to_string(), &why));
                    first_problem.get_or_insert(why);
                }
            }
        }
        match (placed, first_problem) {
            (0, Some(why)) => problem(why),
            (0, None) => problem(Refusal::NoLoadableContact),
            _ => Ok(warnings),
        }
    }
}

/// What a row says before the account is read (`check`): messenger ids alone cannot become
/// a client.
pub fn row_notes(row: &Row) -> Vec<Warning> {
    if row
        .contacts
        .iter()
        .all(|c| matches!(c, Contact::Messenger(_)))
    {
        vec![words::messenger_id_only()]
    } else {
        Vec::new()
    }
}
