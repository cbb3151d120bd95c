//! `Email`: an RFC-sound address, parsed once from a cell.

use std::fmt;

use email_address::{EmailAddress, Options};

/// A valid e-mail address as the person wrote it (trimmed), with a lower-cased key: the
/// same mailbox in another case is the same person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    key: Box<str>,
    /// The address as written, when it differs from the key (most are in lower case).
    written: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailError {
    /// `Иван <ivan@mail.ru>`: only the address belongs in the cell.
    DisplayName,
    /// `ivan@mail.ru, anna@mail.ru`.
    TwoAddresses,
    /// No `@`.
    NoAt,
    /// `ivan@mail`: no top-level domain.
    NoTopLevelDomain,
    /// `user@[127.0.0.1]`.
    DomainLiteral,
    /// Spaces inside the address.
    Spaces,
    /// Anything else RFC 5322 does not allow (`..`, a dot at an end, bad characters).
    Malformed,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let raw = super::text::without_invisible(raw);
        let cell = raw.trim();
        let cell = strip_mailto(cell);
        if cell.matches('@').count() > 1 && cell.contains([',', ';', ' ', '\n']) {
            return Err(EmailError::TwoAddresses);
        }
        if cell.contains('<') || cell.contains('>') || cell.contains('"') {
            return Err(EmailError::DisplayName);
        }
        if !cell.contains('@') {
            return Err(EmailError::NoAt);
        }
        if cell.chars().any(char::is_whitespace) {
            return Err(EmailError::Spaces);
        }
        let options = Options::default()
            .with_required_tld()
            .without_display_text()
            .without_domain_literal();
        match EmailAddress::parse_with_options(cell, options) {
            Ok(_) => {
                let key = lower_case_key(cell);
                let written = (key != cell).then(|| cell.into());
                Ok(Email {
                    key: key.into(),
                    written,
                })
            }
            Err(email_address::Error::DomainTooFew) => Err(EmailError::NoTopLevelDomain),
            Err(email_address::Error::UnsupportedDomainLiteral) => Err(EmailError::DomainLiteral),
            Err(email_address::Error::MissingSeparator) => Err(EmailError::NoAt),
            Err(email_address::Error::UnsupportedDisplayName) => Err(EmailError::DisplayName),
            Err(_) => Err(EmailError::Malformed),
        }
    }

    /// The address as written (trimmed).
    pub fn address(&self) -> &str {
        self.written.as_deref().unwrap_or(&self.key)
    }

    /// The merge key: lower-cased.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn into_key(self) -> Box<str> {
        self.key
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// Lower case, one character for one: `İ` would become `i` plus a combining dot, which is
/// no longer a valid address, so such characters keep their case.
fn lower_case_key(address: &str) -> String {
    if address.is_ascii() {
        return address.to_ascii_lowercase();
    }
    address
        .chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

fn strip_mailto(cell: &str) -> &str {
    match cell.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("mailto:") => &cell[7..],
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses_are_trimmed_and_keyed_in_lower_case() {
        let email = Email::parse("  Ivan.Petrov@Mail.RU ").unwrap();
        assert_eq!(email.address(), "Ivan.Petrov@Mail.RU");
        assert_eq!(email.key(), "ivan.petrov@mail.ru");
        assert_eq!(
            Email::parse("mailto:anna@yandex.ru").unwrap().key(),
            "anna@yandex.ru"
        );
        assert_eq!(
            Email::parse("иван@пример.рф").unwrap().key(),
            "иван@пример.рф"
        );
        assert!(Email::parse("a+tag@sub.example.com").is_ok());
    }

    #[test]
    fn unsound_addresses_are_refused_with_their_reason() {
        let cases = [
            ("Ivan <ivan@x.ru>", EmailError::DisplayName),
            ("ivan@x.ru, anna@x.ru", EmailError::TwoAddresses),
            ("ivan.mail.ru", EmailError::NoAt),
            ("a@b", EmailError::NoTopLevelDomain),
            ("user@[127.0.0.1]", EmailError::DomainLiteral),
            ("iv an@mail.ru", EmailError::Spaces),
            (".user@mail.ru", EmailError::Malformed),
            ("user.@mail.ru", EmailError::Malformed),
            ("us..er@mail.ru", EmailError::Malformed),
            ("user@@mail.ru", EmailError::Malformed),
        ];
        for (raw, expected) in cases {
            assert_eq!(Email::parse(raw), Err(expected), "{raw}");
        }
    }
}
