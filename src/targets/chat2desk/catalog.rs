//! The account's catalog — channels, transports, tags, and the request allowance — read
//! once per run.

use super::api::{ApiInfo, Channel, Tag};
use super::client::{Chat2Desk, Page};
use crate::pacing::{Halt, Pacing, TargetError, Ticket};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Catalog {
    pub info: ApiInfo,
    pub channels: Vec<Channel>,
    pub transports: Vec<String>,
    pub tags: Vec<Tag>,
}

impl Catalog {
    /// Reads the catalog through `pacing`: these requests count like any other.
    pub async fn read(client: &Chat2Desk, pacing: &Pacing) -> Result<Catalog, Halt> {
        let mut spare = Ticket::default();
        let info = pacing.send(&mut spare, || client.api_info()).await?;
        let transports = pacing.send(&mut spare, || client.transports()).await?;
        let channels = read_all(pacing, |offset| client.channels_page(offset)).await?;
        let tags = read_all(pacing, |offset| client.tags_page(offset)).await?;
        Ok(Catalog {
            info,
            channels,
            transports,
            tags,
        })
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

    /// A tag by its label (case-insensitive, as `Tags` compares them).
    pub fn tag(&self, label: &str) -> Option<&Tag> {
        let lower = label.trim().to_lowercase();
        self.tags
            .iter()
            .find(|t| t.label.trim().to_lowercase() == lower)
    }

    /// Whether the account has the transport, on the channel if one is given (a channel
    /// lists the transports connected to it).
    pub fn has_transport(&self, transport: &str, channel: Option<&Channel>) -> bool {
        let known = self.transports.iter().any(|t| t == transport);
        match channel {
            Some(channel) if !channel.transports.is_empty() => {
                known && channel.transports.iter().any(|t| t == transport)
            }
            _ => known,
        }
    }
}

async fn read_all<T, F, Fut>(pacing: &Pacing, page: F) -> Result<Vec<T>, Halt>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<Page<T>, TargetError>>,
{
    let mut items = Vec::new();
    loop {
        let mut spare = Ticket::default();
        let offset = items.len();
        let page = pacing.send(&mut spare, || page(offset)).await?;
        let more = page.more;
        items.extend(page.items);
        if !more {
            return Ok(items);
        }
    }
}
