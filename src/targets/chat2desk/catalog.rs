//! The account's catalog — channels, transports, tags, and the request allowance — read
//! once per run.

use super::api::{ApiInfo, Channel, EMAIL_TRANSPORT, Tag};
use super::client::{Chat2Desk, Page};
use super::transports;
use crate::pacing::{Halt, Pacing, TargetError, Ticket};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Catalog {
    pub info: ApiInfo,
    pub channels: Vec<Channel>,
    /// The account's transports, and those its channels name.
    pub transports: Vec<String>,
    pub tags: Vec<Tag>,
    /// Channels listed that could not be read.
    #[serde(skip)]
    pub dropped_channels: usize,
}

impl Catalog {
    /// Reads the catalog through `pacing`: these requests count like any other. Entries
    /// that cannot be read (a channel without an id) are left out; only a catalog with
    /// nothing usable in it stops the run (`usable`).
    pub async fn read(client: &Chat2Desk, pacing: &Pacing) -> Result<Catalog, Halt> {
        let mut spare = Ticket::default();
        let info = pacing.send(&mut spare, || client.api_info()).await?;
        let mut transports = pacing.send(&mut spare, || client.transports()).await?;
        let (channels, dropped_channels) =
            read_all(pacing, |offset| client.channels_page(offset)).await?;
        let (tags, _) = read_all(pacing, |offset| client.tags_page(offset)).await?;
        // An account whose transports list is empty or unreadable still names them on its
        // channels.
        for channel in &channels {
            for transport in &channel.transports {
                if !transports.contains(transport) {
                    transports.push(transport.clone());
                }
            }
        }
        Ok(Catalog {
            info,
            channels,
            transports,
            tags,
            dropped_channels,
        })
    }

    /// Why nothing can be loaded into this account, if nothing can.
    pub fn usable(&self) -> Result<(), String> {
        if self.channels.is_empty() {
            return Err(if self.dropped_channels > 0 {
                format!(
                    "the account's channels could not be read ({} listed, none with an id)",
                    self.dropped_channels
                )
            } else {
                "the account has no channel to load clients into".to_owned()
            });
        }
        if self.channels.iter().all(|c| c.transports.is_empty()) && self.transports.is_empty() {
            return Err("the account names no messenger on any channel".to_owned());
        }
        Ok(())
    }

    /// A channel by id or by name (case-insensitive).
    pub fn channel(&self, id_or_name: &str) -> Option<&Channel> {
        let wanted = id_or_name.trim();
        if let Ok(id) = wanted.parse::<u64>()
            && let Some(channel) = self.channels.iter().find(|c| c.id == id)
        {
            return Some(channel);
        }
        let lower = wanted.to_lowercase();
        self.channels
            .iter()
            .find(|c| c.name.trim().to_lowercase() == lower)
    }

    pub fn channel_by_id(&self, id: u64) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// A tag by its label (case-insensitive, as `Tags` compares them).
    pub fn tag(&self, label: &str) -> Option<&Tag> {
        let lower = label.trim().to_lowercase();
        self.tags
            .iter()
            .find(|t| t.label.trim().to_lowercase() == lower)
    }

    /// The transport on `channel` that serves the messenger `requested`, by family
    /// (`transports.rs`); a channel that lists none is taken to have the account's.
    pub fn transport_on<'a>(&'a self, requested: &str, channel: &'a Channel) -> Option<&'a str> {
        let offered = if channel.transports.is_empty() {
            &self.transports
        } else {
            &channel.transports
        };
        transports::resolve(requested, offered)
    }

    /// Whether some channel of the account serves the messenger `requested`.
    pub fn serves(&self, requested: &str) -> bool {
        transports::resolve(requested, &self.transports).is_some()
    }

    /// The channels that take e-mail clients.
    pub fn email_channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels
            .iter()
            .filter(|c| self.transport_on(EMAIL_TRANSPORT, c).is_some())
    }
}

/// Every page of a list: the items read, and how many could not be.
async fn read_all<T, F, Fut>(pacing: &Pacing, page: F) -> Result<(Vec<T>, usize), Halt>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<Page<T>, TargetError>>,
{
    let (mut items, mut dropped) = (Vec::new(), 0);
    loop {
        let mut spare = Ticket::default();
        let offset = items.len() + dropped;
        let page = pacing.send(&mut spare, || page(offset)).await?;
        let more = page.more;
        items.extend(page.items);
        dropped += page.dropped;
        if !more {
            return Ok((items, dropped));
        }
    }
}
