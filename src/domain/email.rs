//! `Email`: an address as mail systems take it, parsed once from a cell.
//!
//! The local part is an RFC 5322 dot-atom (RFC 6532 lets it hold non-ASCII letters); the
//! domain is a hostname (letters, digits, hyphens, dots; a top-level domain that ends in a
//! letter; no IP address, no special-use name), brought to one form by IDNA (UTS-46): the
//! Unicode, punycode and full-width spellings of one domain are one domain. The whole address
//! is NFC-normalised first, so an accent copied decomposed (as macOS copies text) is the same
//! accent. Unicode tables come from ICU4X (`idna`'s own back end, `icu_normalizer`,
//! `icu_properties`), never from tables of ours.
//!
//! Plain ASCII addresses — nearly all of them — take a path with no IDNA and no
//! normalisation: one pass over the bytes and one allocation for the key.

use std::borrow::Cow;
use std::fmt;

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// RFC 5321 4.5.3.1.3: a path is at most 256 octets with its angle brackets.
pub const MAX_ADDRESS_OCTETS: usize = 254;
/// RFC 5321 4.5.3.1.1 (counted in characters, as `email-validator` counts it).
pub const MAX_LOCAL_CHARS: usize = 64;
/// RFC 1035 2.3.1.
const MAX_LABEL_OCTETS: usize = 63;

/// A valid e-mail address.
///
/// Two forms, which differ only in case:
/// - `key()`: the local part lower-cased (the same mailbox in another case is the same
///   person) and NFC-normalised, `@`, the domain in its IDNA ASCII form (`xn--…` labels),
///   lower case. This is the merge key, the ledger's key and what a target is sent (see
///   `load`), so it must be a form every mail system takes: an ASCII domain needs nothing
///   of the receiving side (RFC 5321), where a Unicode domain needs SMTPUTF8 (RFC 6531) all
///   the way. It is also the one form a domain has: Unicode, punycode and full-width
///   spellings all end in it, and nothing is ever decoded back, so no odd `xn--` label can
///   make a second key.
/// - `address()`: the same, with the local part's case as written (RFC 5321 lets a mail
///   system tell `Ivan` from `ivan`, though none we know does), and for an ASCII cell the
///   domain's case as written too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    key: Box<str>,
    /// The address, when it differs from the key (most are in lower case).
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
    /// `user@[127.0.0.1]` or `user@127.0.0.1`.
    DomainLiteral,
    /// Spaces inside the address.
    Spaces,
    /// Anything else RFC 5322 does not allow (`..`, a dot at an end, bad characters).
    Malformed,
    /// A character no hostname may hold, after the `@`: `mail_ru.ru`, `bk.ru?subject=x`.
    DomainCharacter(char),
    /// `a@mail.123`: every top-level domain ends in a letter.
    NumericTopLevelDomain,
    /// `a@host.local`, `a@x.test`: a name reserved for uses other than mail (the name).
    SpecialUseDomain(Box<str>),
    /// Longer than `MAX_ADDRESS_OCTETS` (UTF-8 octets of the form sent).
    TooLong,
    /// A local part longer than `MAX_LOCAL_CHARS`.
    LocalPartTooLong,
    /// A part of the domain between dots longer than 63 octets (in its ASCII form).
    DomainLabelTooLong,
    /// The domain is not a valid internationalised name (bad punycode, a disallowed
    /// character, mixed directions).
    InvalidDomain,
}

/// A domain that looks like a common one misspelt; the address still loads as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typo {
    /// `ivan@gmial.com`: perhaps `suggestion` (`ivan@gmail.com`).
    Domain { suggestion: Box<str> },
    /// `ivan@mail.ru.`: the dot of the DNS root, dropped (the same domain).
    TrailingDot,
}

/// Names reserved for uses other than mail: `email-validator`'s list (RFC 6761, 6762,
/// 7686 and `arpa`), with `example` (RFC 2606) and `alt` (RFC 9476).
const SPECIAL_USE: &[&str] = &[
    "arpa",
    "invalid",
    "local",
    "localhost",
    "onion",
    "test",
    "example",
    "alt",
];

impl Email {
    /// The address of a cell, without looking for typos.
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        parse(raw, false).map(|(email, _)| email)
    }

    /// The address of a cell, and a likely typo in its domain (a warning, not an error).
    pub fn parse_cell(raw: &str) -> Result<(Email, Option<Typo>), EmailError> {
        parse(raw, true)
    }

    /// The address to send: see the type's documentation.
    pub fn address(&self) -> &str {
        self.written.as_deref().unwrap_or(&self.key)
    }

    /// The merge key: see the type's documentation.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn into_key(self) -> Box<str> {
        self.key
    }

    /// The merge key, moved out (an empty one left): `identity` keeps the key of a new
    /// profile without a copy, and leaves the rest to be freed where it was made.
    pub(crate) fn take_key(&mut self) -> Box<str> {
        std::mem::take(&mut self.key)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

fn parse(raw: &str, look_for_typos: bool) -> Result<(Email, Option<Typo>), EmailError> {
    let raw = super::text::without_invisible(raw);
    let cell = strip_mailto(raw.trim());
    // One pass over the bytes for what the checks below need.
    let (mut ats, mut separator, mut bracket, mut space) = (0, false, false, false);
    for &b in cell.as_bytes() {
        match b {
            b'@' => ats += 1,
            b',' | b';' => separator = true,
            b' ' | b'\n' => (separator, space) = (true, true),
            b'<' | b'>' | b'"' => bracket = true,
            b'\t' | b'\r' | b'\x0b' | b'\x0c' => space = true,
            _ => {}
        }
    }
    if ats > 1 && separator {
        return Err(EmailError::TwoAddresses);
    }
    if bracket {
        return Err(EmailError::DisplayName);
    }
    if ats == 0 {
        return Err(EmailError::NoAt);
    }
    if space || (!cell.is_ascii() && cell.chars().any(char::is_whitespace)) {
        return Err(EmailError::Spaces);
    }
    // Past any reading: `email-validator` refuses a cell over 254 octets as written, and
    // no normalisation shortens one this much.
    if cell.len() > 4 * MAX_ADDRESS_OCTETS {
        return Err(EmailError::TooLong);
    }
    let (email, trailing_dot) = if cell.is_ascii() {
        parse_ascii(cell)?
    } else {
        parse_unicode(cell)?
    };
    let typo = if look_for_typos {
        domain_typo(&email, cell).or(trailing_dot.then_some(Typo::TrailingDot))
    } else {
        None
    };
    Ok((email, typo))
}

/// `mailto:a@b.ru?subject=hi` is `a@b.ru`: the prefix goes, and the query with it.
fn strip_mailto(cell: &str) -> &str {
    match cell.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("mailto:") => {
            let address = &cell[7..];
            address.split_once('?').map_or(address, |(a, _)| a)
        }
        _ => cell,
    }
}

/// Splits at the one `@` (a second one belongs only in a quoted local part, which we do
/// not take), and drops one dot at the end of the domain.
fn split(cell: &str) -> Result<(&str, &str, bool), EmailError> {
    let (local, domain) = cell.split_once('@').ok_or(EmailError::NoAt)?;
    if domain.contains('@') {
        return Err(EmailError::Malformed);
    }
    if domain.starts_with('[') {
        return Err(EmailError::DomainLiteral);
    }
    if local.len() > MAX_LOCAL_CHARS && local.chars().count() > MAX_LOCAL_CHARS {
        return Err(EmailError::LocalPartTooLong);
    }
    match domain.strip_suffix('.') {
        Some(d) if !d.is_empty() && !d.ends_with('.') => Ok((local, d, true)),
        _ => Ok((local, domain, false)),
    }
}

/// The fast path: no allocation but the key.
fn parse_ascii(cell: &str) -> Result<(Email, bool), EmailError> {
    let (local, domain, trailing_dot) = split(cell)?;
    check_local(local)?;
    if domain
        .split('.')
        .any(|label| label.len() >= 4 && label[..4].eq_ignore_ascii_case("xn--"))
    {
        // Punycode: only IDNA can tell whether it is a valid name, and give its one form.
        return parse_unicode(cell);
    }
    check_ascii_domain(domain)?;
    let address = if trailing_dot {
        &cell[..cell.len() - 1]
    } else {
        cell
    };
    if address.len() > MAX_ADDRESS_OCTETS {
        return Err(EmailError::TooLong);
    }
    let key = address.to_ascii_lowercase();
    let written = (key != address).then(|| address.into());
    Ok((
        Email {
            key: key.into(),
            written,
        },
        trailing_dot,
    ))
}

/// The general path: NFC, then IDNA for the domain.
fn parse_unicode(cell: &str) -> Result<(Email, bool), EmailError> {
    let nfc = ComposingNormalizerBorrowed::new_nfc();
    let cell = nfc.normalize(cell);
    let (local, domain, trailing_dot) = split(&cell)?;
    check_local(local)?;
    for c in domain.chars() {
        let allowed = if c.is_ascii() {
            c.is_ascii_alphanumeric() || c == '-' || c == '.'
        } else {
            is_safe(c)
        };
        if !allowed {
            return Err(EmailError::DomainCharacter(c));
        }
    }
    let ascii = Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .map_err(|_| EmailError::InvalidDomain)?;
    // UTS-46 maps a full-width dot at the end to a dot.
    let (ascii, trailing_dot) = match ascii.strip_suffix('.') {
        Some(d) if !trailing_dot && !d.is_empty() => (Cow::Owned(d.to_owned()), true),
        _ => (ascii, trailing_dot),
    };
    check_ascii_domain(&ascii)?;
    if ascii.contains("xn--") {
        // IDNA2008 (RFC 5892) takes letters, marks and digits only, where UTS-46 takes
        // symbols too (`☃.net`): no registry gives out such names.
        let (unicode, _) =
            Uts46::new().to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
        if let Some(c) = unicode
            .chars()
            .find(|c| !c.is_ascii() && !is_letter_mark_or_digit(*c))
        {
            return Err(EmailError::DomainCharacter(c));
        }
    }
    let address = format!("{local}@{ascii}");
    if address.len() > MAX_ADDRESS_OCTETS {
        return Err(EmailError::TooLong);
    }
    let mut key = lower_case_local(local);
    if !nfc.is_normalized(&key) {
        key = nfc.normalize(&key).into_owned();
    }
    key.push('@');
    key.push_str(&ascii);
    let written = (key != address).then(|| address.into());
    Ok((
        Email {
            key: key.into(),
            written,
        },
        trailing_dot,
    ))
}

/// RFC 5322 3.2.3 `dot-atom-text`, with RFC 6532's non-ASCII characters when they are
/// letters, digits, punctuation or symbols (a combining mark not first), as
/// `email-validator` takes them.
fn check_local(local: &str) -> Result<(), EmailError> {
    if local.is_empty() || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::Malformed);
    }
    if local.is_ascii() {
        return if local.bytes().all(is_atext_or_dot) {
            Ok(())
        } else {
            Err(EmailError::Malformed)
        };
    }
    for (i, c) in local.chars().enumerate() {
        let ok = if c.is_ascii() {
            is_atext_or_dot(c as u8)
        } else {
            is_safe(c) || (i > 0 && is_mark(c))
        };
        if !ok {
            return Err(EmailError::Malformed);
        }
    }
    Ok(())
}

fn is_atext_or_dot(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'!'
                | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

/// Letters, numbers, punctuation and symbols: not controls, formats, separators, private
/// use, unassigned code points or marks.
fn is_safe(c: char) -> bool {
    use GeneralCategory as G;
    !matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
            | G::NonspacingMark
            | G::SpacingMark
            | G::EnclosingMark
    )
}

/// RFC 5892's `LetterDigits`: what IDNA2008 builds its valid characters from.
fn is_letter_mark_or_digit(c: char) -> bool {
    use GeneralCategory as G;
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        G::LowercaseLetter
            | G::UppercaseLetter
            | G::OtherLetter
            | G::ModifierLetter
            | G::NonspacingMark
            | G::SpacingMark
            | G::DecimalNumber
    )
}

fn is_mark(c: char) -> bool {
    use GeneralCategory as G;
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        G::NonspacingMark | G::SpacingMark | G::EnclosingMark
    )
}

/// Hostname rules (RFC 952, RFC 1123 2.1) on an ASCII domain, and the names mail never
/// goes to.
fn check_ascii_domain(domain: &str) -> Result<(), EmailError> {
    // One pass: the first bad character, and whether every label is digits only.
    let bytes = domain.as_bytes();
    let mut all_numeric = true;
    for &b in bytes {
        if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            // Both callers pass ASCII: a byte is a character.
            return Err(EmailError::DomainCharacter(b as char));
        }
        all_numeric &= b.is_ascii_digit() || b == b'.';
    }
    if bytes.is_empty() || bytes[0] == b'.' || bytes[bytes.len() - 1] == b'.' {
        return Err(EmailError::Malformed);
    }
    let Some(dot) = domain.rfind('.') else {
        return Err(EmailError::NoTopLevelDomain);
    };
    let tld = &domain[dot + 1..];
    for label in domain.split('.') {
        let b = label.as_bytes();
        if b.is_empty() {
            return Err(EmailError::Malformed);
        }
        if b.len() > MAX_LABEL_OCTETS {
            return Err(EmailError::DomainLabelTooLong);
        }
        // No hyphen at an end; `ab--` is reserved for IDNA's `xn--`.
        if b[0] == b'-'
            || b[b.len() - 1] == b'-'
            || (b.len() >= 4 && &b[2..4] == b"--" && !b[..2].eq_ignore_ascii_case(b"xn"))
        {
            return Err(EmailError::Malformed);
        }
    }
    if all_numeric {
        // `127.0.0.1`: an IP address, not a name.
        return Err(EmailError::DomainLiteral);
    }
    if !tld.as_bytes()[tld.len() - 1].is_ascii_alphabetic() {
        return Err(EmailError::NumericTopLevelDomain);
    }
    // Every special-use name is a top-level domain.
    if (3..=9).contains(&tld.len())
        && let Some(name) = SPECIAL_USE.iter().find(|n| tld.eq_ignore_ascii_case(n))
    {
        return Err(EmailError::SpecialUseDomain((*name).into()));
    }
    Ok(())
}

/// Lower case, one character for one: `İ` would become `i` plus a combining dot, which is
/// another string than the person's, so such characters keep their case.
fn lower_case_local(local: &str) -> String {
    if local.is_ascii() {
        return local.to_ascii_lowercase();
    }
    local
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

// ---------------------------------------------------------------------------------------
// Typos in the domain
// ---------------------------------------------------------------------------------------

macro_rules! known_domains {
    ($($domain:literal,)*) => {
        const KNOWN_DOMAINS: &[&str] = &[$($domain),*];

        fn is_known(domain: &str) -> bool {
            matches!(domain, $($domain)|*)
        }
    };
}

// The mail services of our users' lists, most used first: a domain one edit away from
// one of them, or one of them with a top-level domain added, is likely a typo. Real
// domains one edit from another are listed too, so that neither is taken for the other.
known_domains! {
    "mail.ru",
    "gmail.com",
    "yandex.ru",
    "bk.ru",
    "list.ru",
    "inbox.ru",
    "ya.ru",
    "rambler.ru",
    "icloud.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "internet.ru",
    "yandex.com",
    "yandex.by",
    "yandex.kz",
    "yandex.ua",
    "googlemail.com",
    "me.com",
    "mac.com",
    "live.ru",
    "live.com",
    "msn.com",
    "aol.com",
    "mail.com",
    "email.com",
    "ymail.com",
    "proton.me",
    "protonmail.com",
    "tut.by",
    "ukr.net",
    "i.ua",
    "mail.ua",
    "mail.kz",
    "inbox.lv",
    "narod.ru",
    "lenta.ru",
    "ro.ru",
    "autorambler.ru",
    "myrambler.ru",
    "rambler.ua",
    "hotmail.ru",
    "outlook.ru",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "zoho.com",
    "qq.com",
    "yahoo.co.uk",
    "yandex.com.tr",
}

fn domain_typo(email: &Email, cell: &str) -> Option<Typo> {
    let key = email.key();
    let domain = &key[key.rfind('@')? + 1..];
    if is_known(domain) {
        return None;
    }
    let suggested = suggest_domain(domain).or_else(|| {
        // `mаil.ru` with a Cyrillic `а`: the domain as written, its look-alikes Latin.
        let written = &cell[cell.rfind('@')? + 1..];
        let latin = latin_look_alikes(written.trim_end_matches('.'))?;
        KNOWN_DOMAINS
            .iter()
            .copied()
            .find(|d| *d == latin)
            .or_else(|| suggest_domain(&latin))
    })?;
    let address = email.address();
    let local = &address[..address.rfind('@')?];
    Some(Typo::Domain {
        suggestion: format!("{local}@{suggested}").into(),
    })
}

/// A known domain this one likely misspells: `yandex.ru.ru` (a top-level domain too many),
/// or one edit (a letter more, less, changed, or two swapped) away — in the top-level
/// domain (`gmail.con`, `mail.r`), or anywhere in a name of seven characters or more
/// (`gmial.com`), where one edit rarely makes another real name.
fn suggest_domain(domain: &str) -> Option<&'static str> {
    let (name, _) = domain.rsplit_once('.')?;
    if is_known(name) {
        return KNOWN_DOMAINS.iter().copied().find(|k| *k == name);
    }
    KNOWN_DOMAINS.iter().copied().find(|k| {
        k.len().abs_diff(domain.len()) <= 1
            && (domain.len() >= 7 || k.rsplit_once('.').is_some_and(|(n, _)| n == name))
            && within_one_edit(domain.as_bytes(), k.as_bytes())
    })
}

/// Optimal string alignment distance ≤ 1, in one pass.
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (0, 0) => true,
        (x, y) if x == y => {
            a[1..] == b[1..] || (x >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..])
        }
        (x, y) if x == y + 1 => a[1..] == *b,
        (x, y) if x + 1 == y => *a == b[1..],
        _ => false,
    }
}

/// The domain with Cyrillic letters that look like Latin ones made Latin, when that
/// leaves it all ASCII and it had both scripts or only look-alikes.
fn latin_look_alikes(domain: &str) -> Option<String> {
    if domain.is_ascii() {
        return None;
    }
    let latin: String = domain
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'а' => 'a',
            'в' => 'b',
            'е' => 'e',
            'к' => 'k',
            'м' => 'm',
            'н' => 'h',
            'о' => 'o',
            'р' => 'p',
            'с' => 'c',
            'т' => 't',
            'у' => 'y',
            'х' => 'x',
            'і' => 'i',
            'ј' => 'j',
            'ѕ' => 's',
            other => other,
        })
        .collect();
    latin.is_ascii().then_some(latin)
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
        // The key's domain is in its IDNA ASCII form (it was `иван@пример.рф` before).
        let email = Email::parse("иван@пример.рф").unwrap();
        assert_eq!(email.key(), "иван@xn--e1afmkfd.xn--p1ai");
        assert_eq!(email.address(), "иван@xn--e1afmkfd.xn--p1ai");
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
            ("user@127.0.0.1", EmailError::DomainLiteral),
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

    #[test]
    fn one_edit_is_one_edit() {
        assert!(within_one_edit(b"gmial.com", b"gmail.com"));
        assert!(within_one_edit(b"gmail.con", b"gmail.com"));
        assert!(within_one_edit(b"mail.r", b"mail.ru"));
        assert!(within_one_edit(b"maill.ru", b"mail.ru"));
        assert!(!within_one_edit(b"gmaill.con", b"gmail.com"));
        assert!(!within_one_edit(b"yandex.by", b"yandex.ru"));
    }
}
