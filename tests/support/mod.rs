//! Helpers shared by the integration tests.

#![allow(dead_code)] // Each test crate uses its own share of them.

pub mod oidc;

/// Splits CSV text into records as a correct CSV reader does: no header handling, ragged
/// records kept, blank lines skipped.
pub fn csv_records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}
