//! Where statuses go: the `Status` and `Client ID` columns of the sheet's header, found by
//! name or appended at the end of the header (issue 4, "Google Sheets I/O").

use super::a1;
use crate::messages::{self, Lang};

/// Names that mean our status column, compared trimmed and in lower case. The same as
/// `input::header`'s aliases, so `check` and the sheet agree on which column is ours.
const STATUS: &[&str] = &[
    "status",
    "статус",
    "статус обработки",
    "результат",
    "result",
];
const CLIENT_ID: &[&str] = &["client id", "client_id", "id клиента", "клиент id"];

/// The 1-based columns of `Status` and `Client ID`, and which of them the header lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusColumns {
    pub status: u32,
    pub client_id: u32,
    /// Header cells to create: (column, name), in column order.
    missing: Vec<(u32, &'static str)>,
    /// The header's row (1-based): lists may have blank or title rows above it.
    header_row: u32,
}

impl StatusColumns {
    /// Finds the columns in the header row (row 1, ragged as Sheets returns it). A missing
    /// one goes after the last non-empty header cell, named in the header's language.
    pub fn find(header: &[String]) -> StatusColumns {
        let position = |names: &[&str]| {
            header
                .iter()
                .position(|cell| names.contains(&cell.trim().to_lowercase().as_str()))
                .map(|i| i as u32 + 1)
        };
        let lang = Lang::of_header(header.iter().map(String::as_str));
        let mut end = header
            .iter()
            .rposition(|cell| !cell.trim().is_empty())
            .map_or(0, |i| i as u32 + 1);
        let mut missing = Vec::new();
        let mut place = |found: Option<u32>, name: &'static str| {
            found.unwrap_or_else(|| {
                end += 1;
                missing.push((end, name));
                end
            })
        };
        let status = place(position(STATUS), messages::status_header(lang));
        let client_id = place(position(CLIENT_ID), client_id_header(lang));
        StatusColumns {
            status,
            client_id,
            missing,
            header_row: 1,
        }
    }

    /// The header is on `row`, not row 1 (`check` skips blank rows above it).
    pub fn at_row(mut self, row: u32) -> StatusColumns {
        self.header_row = row.max(1);
        self
    }

    /// Both columns were in the header.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// The write that creates the missing header cells — one range, since they are
    /// appended side by side — or `None` when both exist.
    pub fn header_update(&self, sheet: &str) -> Option<(String, Vec<Vec<String>>)> {
        let (first, _) = *self.missing.first()?;
        let (last, _) = *self.missing.last()?;
        let names = self.missing.iter().map(|(_, n)| (*n).to_owned()).collect();
        let row = self.header_row;
        Some((a1::block(sheet, first, row, last, row), vec![names]))
    }
}

/// The name of the client id column we add.
fn client_id_header(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "ID клиента",
        Lang::En => "Client ID",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn found_by_name_in_either_language() {
        let c = StatusColumns::find(&header(&["Телефон", " СТАТУС ", "Имя", "id клиента"]));
        assert_eq!((c.status, c.client_id, c.complete()), (2, 4, true));
        assert_eq!(c.header_update("x"), None);
        let c = StatusColumns::find(&header(&["Client ID", "Phone", "status"]));
        assert_eq!((c.status, c.client_id), (3, 1));
    }

    #[test]
    fn missing_ones_go_after_the_last_named_cell() {
        let c = StatusColumns::find(&header(&["Телефон", "Имя", "", ""]));
        assert_eq!((c.status, c.client_id), (3, 4));
        let (range, values) = c.header_update("Лист 1").unwrap();
        assert_eq!(range, "'Лист 1'!C1:D1");
        assert_eq!(
            values,
            vec![vec!["Статус".to_owned(), "ID клиента".to_owned()]]
        );

        let c = StatusColumns::find(&header(&["Phone", "Status"]));
        assert_eq!((c.status, c.client_id), (2, 3));
        let (range, values) = c.header_update("S").unwrap();
        assert_eq!(range, "'S'!C1:C1");
        assert_eq!(values, vec![vec!["Client ID".to_owned()]]);

        let c = StatusColumns::find(&[]);
        assert_eq!((c.status, c.client_id), (1, 2));

        // A header below blank rows gets its cells on its own row.
        let c = StatusColumns::find(&header(&["Phone"])).at_row(3);
        assert_eq!(c.header_update("S").unwrap().0, "'S'!B3:C3");
    }
}
