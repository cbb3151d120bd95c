//! A data row: the raw cells of the columns we know, parsed into a `Row` or a `Problem`.

use std::fmt;

use super::email::{Email, EmailError, Typo};
use super::messenger::{Messenger, MessengerId, MessengerIdError};
use super::phone::{Phone, PhoneError, Region, is_spreadsheet_error};
use super::tags::{TagTooLong, Tags};
use super::text::{TextField, TooLong, clean, clean_cut};

/// The cells of one row that matter to us, by meaning; a column the file does not have is
/// an empty cell. The input layer fills it, so the domain never sees column positions.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRow<'a> {
    pub contact: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub messenger_id: &'a str,
    pub name: &'a str,
    pub comment: &'a str,
    pub tags: &'a str,
    pub channel: &'a str,
    pub messenger: &'a str,
    pub company: &'a str,
    pub position: &'a str,
}

impl RawRow<'_> {
    /// A row with no visible content in the columns we read.
    pub fn is_blank(&self) -> bool {
        [
            self.contact,
            self.phone,
            self.email,
            self.messenger_id,
            self.name,
            self.comment,
            self.tags,
            self.channel,
            self.messenger,
            self.company,
            self.position,
        ]
        .iter()
        .all(|cell| {
            // ASCII first: most cells decide on their first byte.
            cell.bytes()
                .all(|b| b.is_ascii_whitespace() || b.is_ascii_control())
                || cell.chars().all(|c| c.is_whitespace() || c.is_control())
        })
    }
}

/// One way to reach a person; each becomes a profile in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Phone(Phone),
    Email(Email),
    Messenger(MessengerId),
}

impl Contact {
    pub fn key(&self) -> ContactKey {
        self.clone().into_key()
    }

    pub fn into_key(self) -> ContactKey {
        match self {
            Contact::Phone(p) => ContactKey::Phone(p.key()),
            Contact::Email(e) => ContactKey::Email(e.into_key()),
            Contact::Messenger(m) => ContactKey::Messenger(m.into_string()),
        }
    }

    /// Whether two contacts are one identity, without building keys.
    fn same(&self, other: &Contact) -> bool {
        match (self, other) {
            (Contact::Phone(a), Contact::Phone(b)) => a.key() == b.key(),
            (Contact::Email(a), Contact::Email(b)) => a.key() == b.key(),
            (Contact::Messenger(a), Contact::Messenger(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

/// The identity of a profile: rows with equal keys are one person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactKey {
    /// E.164 digits (see `Phone`).
    Phone(u64),
    /// Lower-cased address.
    Email(Box<str>),
    /// `channel|id`.
    Messenger(Box<str>),
}

impl fmt::Display for ContactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactKey::Phone(digits) => write!(f, "+{digits}"),
            ContactKey::Email(e) => f.write_str(e),
            ContactKey::Messenger(m) => f.write_str(m),
        }
    }
}

/// A valid row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// Distinct contacts, in column order (contact, phone, e-mail, messenger id): the first
    /// is the row's key.
    pub contacts: Vec<Contact>,
    pub name: Option<Box<str>>,
    pub comment: Option<Box<str>>,
    pub company: Option<Box<str>>,
    pub position: Option<Box<str>>,
    pub tags: Tags,
    pub channel: Option<Box<str>>,
    pub messenger: Option<Messenger>,
    /// Cells of the columns the input did not understand, by index into the header's
    /// `unknown` columns: a target may take them as its own fields.
    pub extra: Vec<(u16, Box<str>)>,
}

/// Why a row cannot be loaded. Row-level failures are data: every variant becomes a status
/// a person can act on (texts in `crate::messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A non-empty row without a phone, e-mail or messenger id.
    NoContact,
    /// A `contact` cell that is neither: no digits and no `@`.
    NotPhoneOrEmail,
    /// A spreadsheet error (`#NAME?`) where the contact should be.
    SpreadsheetError(String),
    Phone(PhoneError),
    Email(EmailError),
    MessengerId(MessengerIdError),
    TooLong(TooLong),
    TagTooLong(TagTooLong),
    /// The target refuses the row: it names something the account does not have, or holds
    /// none of its contacts.
    Target(Said),
}

/// A target's own words about a row, in both languages: what its account lacks, where a
/// contact goes. The target's rules write them (`crate::targets`); the domain only carries
/// them, so that it names no target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub ru: Box<str>,
    pub en: Box<str>,
}

/// Something to look at on a row that is still loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The messenger column names no transport we know of.
    UnknownMessenger(String),
    /// The row's profiles are linked with this many profiles in all: perhaps a shared
    /// office phone (Omnidesk warns of this, shared/seeds/omnidesk-migration-ru.txt).
    LargeCluster { profiles: usize },
    /// The row has more cells than the header: they are kept as they are.
    CellsBeyondHeader,
    /// The row's contacts are linked through `contact`, which rows with different names
    /// gave: perhaps a shared office phone that joins several people into one.
    SharedContact { contact: String },
    /// A name, comment, company or position longer than the field's limit, cut at it.
    Cut(TooLong),
    /// The target's own note: a contact it cannot hold or places elsewhere, a profile that
    /// cannot be reached where asked.
    Target(Said),
    /// The e-mail's domain looks like a common one misspelt (`gmial.com`): it is loaded as
    /// written, and `suggestion` is the likely address.
    EmailTypo { address: String, suggestion: String },
    /// The e-mail's domain ended with a dot (`mail.ru.`), which was dropped: `address`.
    EmailTrailingDot { address: String },
    /// The phone was written in a link or after a label (`tel:`, `https://wa.me/`, `Тел.`),
    /// which was taken off.
    PhoneUnwrapped(super::phone::Unwrapped),
}

impl Warning {
    fn email_typo(email: &Email, typo: Typo) -> Warning {
        match typo {
            Typo::Domain { suggestion } => Warning::EmailTypo {
                address: email.address().to_owned(),
                suggestion: suggestion.into(),
            },
            Typo::TrailingDot => Warning::EmailTrailingDot {
                address: email.address().to_owned(),
            },
        }
    }
}

impl Row {
    /// Parses the cells once; every later stage works on `Row`.
    pub fn parse(raw: &RawRow<'_>, region: Region) -> Result<(Row, Vec<Warning>), Problem> {
        Row::parse_reusing(raw, region, Vec::new())
    }

    /// `parse`, with the vector of an earlier row to hold the contacts: `check` parses a
    /// million rows, and a vector allocated and freed for each was 2–3% of its CPU.
    pub(crate) fn parse_reusing(
        raw: &RawRow<'_>,
        region: Region,
        mut contacts: Vec<Contact>,
    ) -> Result<(Row, Vec<Warning>), Problem> {
        contacts.clear();
        let mut row = Row {
            contacts,
            ..Row::default()
        };
        let mut warnings = Vec::new();
        if !raw.contact.trim().is_empty() {
            let (contact, typo) = parse_contact_cell(raw.contact, region)?;
            if let (Some(typo), Contact::Email(email)) = (typo, &contact) {
                warnings.push(Warning::email_typo(email, typo));
            }
            if let Contact::Phone(_) = &contact {
                warnings.extend(Phone::wrapper(raw.contact).map(Warning::PhoneUnwrapped));
            }
            row.push_contact(contact);
        }
        if !raw.phone.trim().is_empty() {
            let (phone, unwrapped) = Phone::parse_cell(raw.phone, region).map_err(phone_problem)?;
            warnings.extend(unwrapped.map(Warning::PhoneUnwrapped));
            row.push_contact(Contact::Phone(phone));
        }
        if !raw.email.trim().is_empty() {
            if is_spreadsheet_error(raw.email) {
                return Err(Problem::SpreadsheetError(raw.email.trim().to_owned()));
            }
            let (email, typo) = Email::parse_cell(raw.email).map_err(Problem::Email)?;
            if let Some(typo) = typo {
                warnings.push(Warning::email_typo(&email, typo));
            }
            row.push_contact(Contact::Email(email));
        }
        if !raw.messenger_id.trim().is_empty() {
            let id = MessengerId::parse(raw.messenger_id).map_err(Problem::MessengerId)?;
            row.push_contact(Contact::Messenger(id));
        }
        if row.contacts.is_empty() {
            return Err(Problem::NoContact);
        }
        // A long name or comment is cut, with a warning: the contact is loaded all the same.
        let mut cut = |raw: &str, field| {
            let (text, too_long) = clean_cut(raw, field);
            warnings.extend(too_long.map(Warning::Cut));
            text
        };
        row.name = cut(raw.name, TextField::Name);
        row.comment = cut(raw.comment, TextField::Comment);
        row.company = cut(raw.company, TextField::Company);
        row.position = cut(raw.position, TextField::Position);
        row.tags = Tags::parse(raw.tags).map_err(Problem::TagTooLong)?;
        row.channel = clean(raw.channel, TextField::Name).map_err(Problem::TooLong)?;
        row.messenger = Messenger::parse(raw.messenger);
        if let Some(messenger) = &row.messenger
            && !messenger.is_known()
        {
            warnings.push(Warning::UnknownMessenger(messenger.to_string()));
        }
        Ok((row, warnings))
    }

    fn push_contact(&mut self, contact: Contact) {
        if !self.contacts.iter().any(|c| c.same(&contact)) {
            self.contacts.push(contact);
        }
    }
}

fn phone_problem(error: PhoneError) -> Problem {
    match error {
        PhoneError::SpreadsheetError(shown) => Problem::SpreadsheetError(shown),
        other => Problem::Phone(other),
    }
}

/// A `contact` cell holds a phone or an e-mail: `@` decides. An e-mail may come with a
/// likely typo in its domain.
fn parse_contact_cell(cell: &str, region: Region) -> Result<(Contact, Option<Typo>), Problem> {
    if is_spreadsheet_error(cell) {
        return Err(Problem::SpreadsheetError(cell.trim().to_owned()));
    }
    if cell.contains('@') {
        if cell.bytes().filter(u8::is_ascii_digit).count() >= 7
            && cell.contains([',', ';', '\n', '/'])
            && Email::parse(cell).is_err()
        {
            // `ivan@mail.ru, +7 999 ...`: two contacts in one cell.
            return Err(Problem::Email(EmailError::TwoAddresses));
        }
        return Email::parse_cell(cell)
            .map(|(email, typo)| (Contact::Email(email), typo))
            .map_err(Problem::Email);
    }
    if !cell
        .chars()
        .any(|c| super::phone::decimal_digit(c).is_some())
        && cell.chars().any(char::is_alphabetic)
    {
        return Err(Problem::NotPhoneOrEmail);
    }
    Phone::parse(cell, region)
        .map(|phone| (Contact::Phone(phone), None))
        .map_err(phone_problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: RawRow<'_>) -> Result<(Row, Vec<Warning>), Problem> {
        Row::parse(&raw, Region::default())
    }

    #[test]
    fn a_contact_cell_holds_a_phone_or_an_email() {
        let (row, _) = parse(RawRow {
            contact: "8 999 123-45-67",
            ..Default::default()
        })
        .unwrap();
        assert_eq!(row.contacts[0].key(), ContactKey::Phone(79991234567));
        let (row, _) = parse(RawRow {
            contact: "Ivan@Mail.ru",
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            row.contacts[0].key(),
            ContactKey::Email("ivan@mail.ru".into())
        );
        assert_eq!(
            parse(RawRow {
                contact: "Иван Петров",
                ..Default::default()
            }),
            Err(Problem::NotPhoneOrEmail)
        );
    }

    #[test]
    fn separate_columns_give_several_contacts_without_repeats() {
        let (row, _) = parse(RawRow {
            contact: "+79991234567",
            phone: "8 (999) 123-45-67",
            email: "a@b.ru",
            ..Default::default()
        })
        .unwrap();
        assert_eq!(row.contacts.len(), 2);
    }

    #[test]
    fn a_row_with_a_name_but_no_contact_is_a_problem() {
        assert_eq!(
            parse(RawRow {
                name: "Анна",
                ..Default::default()
            }),
            Err(Problem::NoContact)
        );
    }

    #[test]
    fn one_bad_contact_makes_the_row_invalid() {
        assert_eq!(
            parse(RawRow {
                phone: "89991234567",
                email: "anna@",
                ..Default::default()
            }),
            Err(Problem::Email(EmailError::Malformed))
        );
    }

    #[test]
    fn spreadsheet_errors_are_named_in_any_contact_column() {
        assert_eq!(
            parse(RawRow {
                contact: "#ERROR!",
                ..Default::default()
            }),
            Err(Problem::SpreadsheetError("#ERROR!".into()))
        );
        assert_eq!(
            parse(RawRow {
                phone: "#NAME?",
                ..Default::default()
            }),
            Err(Problem::SpreadsheetError("#NAME?".into()))
        );
    }

    #[test]
    fn an_unknown_messenger_is_a_warning() {
        let (row, warnings) = parse(RawRow {
            contact: "89991234567",
            messenger: "Pager",
            ..Default::default()
        })
        .unwrap();
        assert_eq!(row.messenger.unwrap().as_str(), "pager");
        assert_eq!(warnings, [Warning::UnknownMessenger("pager".into())]);
    }
}
