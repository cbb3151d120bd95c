//! `check`: read a list, parse every row, merge and link, and count what loading would cost.
//! Nothing here talks to a network.

use crate::domain::{Problem, Region, Row, Warning};
use crate::identity::{DEFAULT_CLUSTER_LIMIT, Identity, Placement, Profiles};
use crate::input::{Header, ReadError, Source};
use crate::messages::{self, Lang};
use crate::plan;
use crate::targets::chat2desk::Chat2DeskCost;

#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    pub region: Region,
    /// Clusters with more profiles than this get a warning on their rows.
    pub cluster_limit: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            region: Region::default(),
            cluster_limit: DEFAULT_CLUSTER_LIMIT,
        }
    }
}

/// What became of one data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The row creates the profile `profile` (and perhaps linked ones).
    Ready {
        profile: u32,
    },
    /// The row's contacts already had profiles: it updates them.
    Merged {
        profile: u32,
        into_row: u32,
    },
    Invalid(Box<Problem>),
    /// An empty row.
    Skipped,
}

impl Outcome {
    /// The status name used in reports: `ready|merged|invalid|skipped`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Ready { .. } => "ready",
            Outcome::Merged { .. } => "merged",
            Outcome::Invalid(_) => "invalid",
            Outcome::Skipped => "skipped",
        }
    }

    pub fn profile(&self) -> Option<u32> {
        match *self {
            Outcome::Ready { profile } | Outcome::Merged { profile, .. } => Some(profile),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    /// The spreadsheet's row number (the header is row 1).
    pub row: u32,
    pub outcome: Outcome,
    pub warnings: Vec<Warning>,
}

impl RowResult {
    /// The status text a person reads, in the sheet's language.
    pub fn status_text(&self, lang: Lang) -> String {
        let status = match &self.outcome {
            Outcome::Ready { .. } => messages::ready(lang),
            Outcome::Merged { into_row, .. } => messages::merged(lang, *into_row),
            Outcome::Invalid(problem) => messages::invalid(lang, problem),
            Outcome::Skipped => messages::skipped(lang),
        };
        messages::with_warnings(lang, status, &self.warnings)
    }
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub rows: usize,
    pub ready: usize,
    pub merged: usize,
    pub invalid: usize,
    pub skipped: usize,
}

/// A checked list: the source, every row's result in row order, the profiles and the cost.
#[derive(Debug)]
pub struct Checked {
    pub source: Source,
    pub header: Header,
    /// The header's row number: 1 unless blank lines stand above it.
    pub header_row: u32,
    pub rows: Vec<RowResult>,
    pub profiles: Profiles,
    /// Chat2Desk requests the plan needs if no contact exists there yet.
    pub estimated_requests: u64,
}

impl Checked {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            rows: self.rows.len(),
            ..Counts::default()
        };
        for row in &self.rows {
            match row.outcome {
                Outcome::Ready { .. } => counts.ready += 1,
                Outcome::Merged { .. } => counts.merged += 1,
                Outcome::Invalid(_) => counts.invalid += 1,
                Outcome::Skipped => counts.skipped += 1,
            }
        }
        counts
    }

    pub fn lang(&self) -> Lang {
        self.header.lang
    }
}

/// Checks a decoded source. Fails only when the file has no usable header; every data row
/// gets a result.
pub fn check(source: Source, options: CheckOptions) -> Result<Checked, ReadError> {
    check_with(source, options, &|_| Ok(()))
}

/// `check`, with a target's own rule on each valid row (does the account have its tags,
/// channel, messenger?). A row the rule refuses is invalid and merges into nothing.
pub fn check_with(
    source: Source,
    options: CheckOptions,
    rule: &dyn Fn(&Row) -> Result<(), Problem>,
) -> Result<Checked, ReadError> {
    let mut header: Option<Result<Header, ReadError>> = None;
    let mut identity = Identity::new();
    let mut rows = Vec::new();
    let mut header_row = 1;
    source.for_each_record(|row, record| {
        let header = match &header {
            // Blank lines above the header are not data.
            None if record.iter().all(|c| c.trim().is_empty()) => return,
            None => {
                header_row = row;
                header = Some(Header::parse(record.iter()).map_err(ReadError::from));
                return;
            }
            Some(Ok(header)) => header,
            Some(Err(_)) => return,
        };
        let raw = header.raw_row(record);
        let mut warnings = Vec::new();
        if record.len() > header.names.len()
            && record
                .iter()
                .skip(header.names.len())
                .any(|c| !c.trim().is_empty())
        {
            warnings.push(Warning::CellsBeyondHeader);
        }
        let outcome = if raw.is_blank() {
            Outcome::Skipped
        } else {
            match Row::parse(&raw, options.region)
                .and_then(|(parsed, warnings)| rule(&parsed).map(|()| (parsed, warnings)))
            {
                Ok((parsed, row_warnings)) => {
                    warnings.extend(row_warnings);
                    match identity.add(row, &parsed) {
                        Placement::Created { profile } => Outcome::Ready { profile },
                        Placement::Merged { profile, into_row } => {
                            Outcome::Merged { profile, into_row }
                        }
                    }
                }
                Err(problem) => Outcome::Invalid(Box::new(problem)),
            }
        };
        rows.push(RowResult {
            row,
            outcome,
            warnings,
        });
    });
    let header = header.unwrap_or(Err(ReadError::Header(crate::input::HeaderError::Empty)))?;
    let profiles = identity.finish();
    for result in &mut rows {
        if let Some(warning) = result
            .outcome
            .profile()
            .and_then(|p| profiles.cluster_warning(p, options.cluster_limit))
        {
            result.warnings.push(warning);
        }
    }
    let estimated_requests = plan::estimate(&profiles, &Chat2DeskCost);
    Ok(Checked {
        source,
        header,
        header_row,
        rows,
        profiles,
        estimated_requests,
    })
}
