//! The header row: which column means what. The one place header aliases live.

use thiserror::Error;

use super::Cells;
use crate::domain::RawRow;
use crate::messages::Lang;

/// The columns we understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Contact,
    Phone,
    Email,
    MessengerId,
    Name,
    Comment,
    Tags,
    Channel,
    Messenger,
    Company,
    Position,
    /// Our own output: a re-run replaces it instead of adding a second one.
    Status,
    /// Our own output (the target's client id), kept as it is.
    ClientId,
}

const COLUMNS: usize = 13;

impl Column {
    const ALL: [Column; COLUMNS] = [
        Column::Contact,
        Column::Phone,
        Column::Email,
        Column::MessengerId,
        Column::Name,
        Column::Comment,
        Column::Tags,
        Column::Channel,
        Column::Messenger,
        Column::Company,
        Column::Position,
        Column::Status,
        Column::ClientId,
    ];

    /// Header names that mean this column, normalised (see `normalise`).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Contact => &[
                "contact",
                "контакт",
                "контакт телефон или email",
                "телефон или email",
                "phone or email",
            ],
            Column::Phone => &[
                "phone",
                "phone number",
                "mobile",
                "телефон",
                "номер телефона",
                "мобильный",
                "мобильный телефон",
                "тел",
            ],
            Column::Email => &[
                "email",
                "e-mail",
                "e mail",
                "mail",
                "почта",
                "эл почта",
                "электронная почта",
                "емейл",
                "имейл",
            ],
            Column::MessengerId => &[
                "messenger id",
                "messenger_id",
                "id мессенджера",
                "мессенджер id",
                "идентификатор мессенджера",
            ],
            Column::Name => &[
                "name",
                "full name",
                "имя",
                "фио",
                "имя клиента",
                "полное имя",
                "клиент",
            ],
            Column::Comment => &[
                "comment",
                "comments",
                "note",
                "notes",
                "комментарий",
                "комментарии",
                "заметка",
                "заметки",
                "примечание",
            ],
            Column::Tags => &["tag", "tags", "тег", "теги", "метки"],
            Column::Channel => &["channel", "канал"],
            Column::Messenger => &["messenger", "transport", "мессенджер", "транспорт"],
            Column::Company => &["company", "компания", "организация"],
            Column::Position => &["position", "job title", "title", "должность"],
            Column::Status => &[
                "status",
                "статус",
                "статус обработки",
                "результат",
                "result",
            ],
            Column::ClientId => &["client id", "client_id", "id клиента", "клиент id"],
        }
    }

    /// The column a header cell titled `name` means, when it is one of ours: such a column
    /// never reaches a target as its own field (`Header::unknown`).
    pub fn of_title(name: &str) -> Option<Column> {
        recognise(name)
    }

    fn is_contact(self) -> bool {
        matches!(
            self,
            Column::Contact | Column::Phone | Column::Email | Column::MessengerId
        )
    }
}

/// Header names compare trimmed, in lower case, with `ё` as `е`, punctuation as spaces and
/// spaces collapsed; a trailing note in brackets (`Телефон (моб.)`) is ignored if the
/// full name is not known.
fn normalise(name: &str) -> String {
    let lower = name.trim().to_lowercase().replace('ё', "е");
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        let c = if c.is_alphanumeric() || c == '-' || c == '_' {
            c
        } else {
            ' '
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

fn recognise(name: &str) -> Option<Column> {
    let full = normalise(name);
    let find = |n: &str| Column::ALL.into_iter().find(|c| c.aliases().contains(&n));
    find(&full).or_else(|| {
        let before_bracket = name.split(['(', '[']).next().unwrap_or("");
        find(&normalise(before_bracket))
    })
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("the file is empty: there is no header row")]
    Empty,
    #[error(
        "no contact column: the header needs one of contact, phone, email or messenger id \
         (контакт, телефон, почта); found: {}", found.join(", ")
    )]
    NoContactColumn { found: Vec<String> },
    #[error(
        "columns `{first}` and `{second}` both mean {meaning}: keep one; found: {}",
        found.join(", ")
    )]
    Duplicate {
        first: String,
        second: String,
        meaning: String,
        found: Vec<String>,
    },
}

/// The header row, understood.
#[derive(Debug, Clone)]
pub struct Header {
    /// The cells as written.
    pub names: Vec<String>,
    positions: [Option<usize>; COLUMNS],
    /// Columns we do not understand: reported, and kept in the output. A target may read
    /// them as its own fields (Omnidesk's data fields, by title).
    pub unknown: Vec<String>,
    /// Where each of `unknown` is.
    unknown_positions: Vec<usize>,
    pub lang: Lang,
}

impl Header {
    pub fn parse<'a>(cells: impl IntoIterator<Item = &'a str>) -> Result<Header, HeaderError> {
        let names: Vec<String> = cells
            .into_iter()
            .map(|c| c.trim_start_matches('\u{feff}').trim().to_owned())
            .collect();
        if names.iter().all(String::is_empty) {
            return Err(HeaderError::Empty);
        }
        let mut positions: [Option<usize>; COLUMNS] = [None; COLUMNS];
        let mut unknown = Vec::new();
        let mut unknown_positions = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let Some(column) = recognise(name) else {
                if !name.is_empty() {
                    unknown.push(name.clone());
                    unknown_positions.push(i);
                }
                continue;
            };
            let slot = &mut positions[column as usize];
            if let Some(first) = *slot {
                return Err(HeaderError::Duplicate {
                    first: names[first].clone(),
                    second: name.clone(),
                    meaning: format!("{column:?}").to_lowercase(),
                    found: names.clone(),
                });
            }
            *slot = Some(i);
        }
        if !Column::ALL
            .iter()
            .any(|c| c.is_contact() && positions[*c as usize].is_some())
        {
            return Err(HeaderError::NoContactColumn { found: names });
        }
        let lang = Lang::of_header(names.iter().map(String::as_str));
        Ok(Header {
            names,
            positions,
            unknown,
            unknown_positions,
            lang,
        })
    }

    pub fn position(&self, column: Column) -> Option<usize> {
        self.positions[column as usize]
    }

    /// The record's cells in the columns we do not understand, by index into `unknown`:
    /// those with something in them.
    pub fn extra_cells(&self, record: &Cells<'_>) -> Vec<(u16, Box<str>)> {
        self.unknown_positions
            .iter()
            .enumerate()
            .filter_map(|(i, &position)| {
                let cell = record.get(position)?.trim();
                (!cell.is_empty()).then(|| (i as u16, cell.into()))
            })
            .collect()
    }

    /// The cells of a record by meaning.
    pub fn raw_row<'r>(&self, record: &Cells<'r>) -> RawRow<'r> {
        let cell = |column: Column| {
            self.position(column)
                .and_then(|i| record.get(i))
                .unwrap_or("")
        };
        RawRow {
            contact: cell(Column::Contact),
            phone: cell(Column::Phone),
            email: cell(Column::Email),
            messenger_id: cell(Column::MessengerId),
            name: cell(Column::Name),
            comment: cell(Column::Comment),
            tags: cell(Column::Tags),
            channel: cell(Column::Channel),
            messenger: cell(Column::Messenger),
            company: cell(Column::Company),
            position: cell(Column::Position),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_and_english_aliases_are_recognised() {
        let header = Header::parse([
            " Контакт ",
            "ФИО",
            "Комментарий",
            "Теги",
            "Канал",
            "Мессенджер",
            "Должность",
            "Компания",
            "E-mail",
            "Телефон (моб.)",
            "Источник",
        ])
        .unwrap();
        assert_eq!(header.position(Column::Contact), Some(0));
        assert_eq!(header.position(Column::Name), Some(1));
        assert_eq!(header.position(Column::Email), Some(8));
        assert_eq!(header.position(Column::Phone), Some(9));
        assert_eq!(header.unknown, ["Источник"]);
        assert_eq!(header.lang, Lang::Ru);

        let header = Header::parse(["PHONE", "Name", "tags", "Transport", "Messenger ID"]).unwrap();
        assert_eq!(header.position(Column::Messenger), Some(3));
        assert_eq!(header.position(Column::MessengerId), Some(4));
        assert_eq!(header.lang, Lang::En);
    }

    #[test]
    fn a_title_is_ours_as_a_header_cell_of_it_would_be() {
        assert_eq!(Column::of_title(" Теги "), Some(Column::Tags));
        assert_eq!(Column::of_title("Примечание"), Some(Column::Comment));
        assert_eq!(Column::of_title("Телефон (рабочий)"), Some(Column::Phone));
        assert_eq!(Column::of_title("Тариф"), None);
        let header = Header::parse(["Телефон", "Тариф"]).unwrap();
        assert_eq!(header.unknown, ["Тариф"]);
    }

    #[test]
    fn a_header_without_a_contact_column_is_refused_naming_what_it_found() {
        let error = Header::parse(["Имя", "Город"]).unwrap_err();
        assert_eq!(
            error,
            HeaderError::NoContactColumn {
                found: vec!["Имя".into(), "Город".into()]
            }
        );
        assert!(error.to_string().contains("found: Имя, Город"));
    }

    #[test]
    fn the_same_column_twice_is_refused() {
        let error = Header::parse(["Телефон", "Имя", "phone"]).unwrap_err();
        assert!(matches!(error, HeaderError::Duplicate { .. }));
        assert!(error.to_string().contains("`Телефон` and `phone`"));
    }

    #[test]
    fn an_empty_header_is_an_empty_file() {
        assert_eq!(Header::parse(["", " "]).unwrap_err(), HeaderError::Empty);
    }
}
