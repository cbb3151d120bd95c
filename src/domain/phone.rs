//! `Phone`: a telephone number in E.164, parsed once from a cell.
//!
//! libphonenumber (the `rlibphonenumber` port, see `shared/docs/dependencies.md` for why not
//! `phonenumber`) decides what a valid number is; around it we add what real lists need:
//! a typo with letters is an error, not a vanity number; `доб. 12` is an extension; a cell
//! with two numbers, an Excel number in exponent form or a spreadsheet error is named as
//! such, so that the person who fixes the sheet knows what to do.

use std::fmt;
use std::str::FromStr;

use rlibphonenumber::{
    PHONE_NUMBER_UTIL, ParseError, PhoneNumber, PhoneNumberFormat, PhoneNumberType, ValidationError,
};

/// A default region for numbers written without a country code (`--region`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(rlibphonenumber::Region);

impl Region {
    pub fn code(&self) -> String {
        self.0.as_region_str().as_str().to_owned()
    }
}

impl Default for Region {
    fn default() -> Self {
        Region(rlibphonenumber::Region::RU)
    }
}

impl FromStr for Region {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        let region = rlibphonenumber::Region::from_code(&code)
            .map_err(|_| format!("unknown region `{s}`: use a two-letter country code, e.g. RU"))?;
        // `from_code` accepts any two letters; a region must have a numbering plan.
        if PHONE_NUMBER_UTIL
            .get_country_code_for_region(region)
            .is_none()
        {
            return Err(format!(
                "unknown region `{s}`: use a two-letter country code, e.g. RU"
            ));
        }
        Ok(Region(region))
    }
}

/// A valid phone number. The identity of a contact is its E.164 digits; the extension is
/// kept for display but does not make a different person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    /// E.164 without the `+`: at most 15 digits, so it fits a `u64` and the first digit (a
    /// country code) is never 0 — which keeps a million keys small and hashing cheap.
    digits: u64,
    extension: Option<Box<str>>,
}

/// Why a cell is not a phone number. Each variant is something a person can fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// The cell shows a spreadsheet error such as `#ERROR!`: `+7 ...` typed into Sheets is
    /// taken for a formula.
    SpreadsheetError(String),
    /// Excel printed a number column as `7,99912E+10`: the last digits are gone.
    ExponentForm,
    /// `8-999-CALL-NOW`: in a contact list, letters are a typo.
    Letters,
    /// Characters that are neither digits nor the usual separators.
    UnexpectedCharacters,
    /// Two numbers in one cell: only one may be loaded per row.
    TwoNumbers,
    TooShort,
    TooLong,
    /// The `+` code names no country.
    UnknownCountryCode,
    /// The digits fit no number range of the country (`region` is the default region used
    /// when the number had no country code).
    NotValid {
        region: String,
    },
}

/// Separators people put inside a number: spaces (also non-breaking), dashes, brackets, dots.
fn is_number_punctuation(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}'
            | '\u{2007}'
            | '\u{202f}'
            | '\t'
            | '-'
            | '‐'
            | '‑'
            | '–'
            | '—'
            | '('
            | ')'
            | '.'
            | '/'
    )
}

/// The words that introduce an extension: Russian "добавочный", "внутренний" and English.
const EXTENSION_MARKERS: &[&str] = &["добавочный", "доб", "вн", "extension", "ext", "x", "#"];

const SPREADSHEET_ERRORS: &[&str] = &[
    "#ERROR!",
    "#NAME?",
    "#VALUE!",
    "#REF!",
    "#N/A",
    "#DIV/0!",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#ИМЯ?",
    "#ЗНАЧ!",
    "#ССЫЛКА!",
    "#Н/Д",
    "#ДЕЛ/0!",
    "#ЧИСЛО!",
    "#ПУСТО!",
];

/// Whether a cell shows a spreadsheet error value rather than data.
pub fn is_spreadsheet_error(cell: &str) -> bool {
    let cell = cell.trim();
    // Every error value starts with `#`: most cells are decided without allocating.
    if !cell.starts_with('#') {
        return false;
    }
    let upper = cell.to_uppercase();
    SPREADSHEET_ERRORS.iter().any(|e| upper == *e)
}

impl Phone {
    /// Parses a cell that should hold one phone number. `region` is used for numbers
    /// without a country code (`8 999 ...` and `999 ...` in Russia).
    pub fn parse(raw: &str, region: Region) -> Result<Phone, PhoneError> {
        let raw = super::text::without_invisible(raw);
        let cell = raw.trim().trim_start_matches('\'').trim();
        if is_spreadsheet_error(cell) {
            return Err(PhoneError::SpreadsheetError(cell.to_owned()));
        }
        if looks_like_exponent(cell) {
            return Err(PhoneError::ExponentForm);
        }
        let (main, extension) = split_extension(cell);
        if has_two_numbers(main) {
            return Err(PhoneError::TwoNumbers);
        }
        for (i, c) in main.char_indices() {
            if c.is_ascii_digit() || is_number_punctuation(c) || (c == '+' && i == 0) {
                continue;
            }
            return Err(if c.is_alphabetic() {
                PhoneError::Letters
            } else {
                PhoneError::UnexpectedCharacters
            });
        }
        let digit_count = main.bytes().filter(u8::is_ascii_digit).count();
        if digit_count == 0 {
            return Err(PhoneError::TooShort);
        }
        // E.164 allows 15 digits; a national prefix (8) or an international one (8 10, 00)
        // adds a few. Anything longer is not one number, and would not fit our key.
        if digit_count > 18 {
            return Err(PhoneError::TooLong);
        }
        if let Some(phone) = fast_plus7(main, digit_count, region, extension.as_deref()) {
            return Ok(phone);
        }
        let number = PHONE_NUMBER_UTIL
            .parse(main, Some(region.0))
            .map_err(|e| match e {
                ParseError::InvalidCountryCode => PhoneError::UnknownCountryCode,
                ParseError::TooShortAfterIdd | ParseError::TooShortNsn => PhoneError::TooShort,
                ParseError::TooLongNsn => PhoneError::TooLong,
                ParseError::NotANumber(_) => PhoneError::UnexpectedCharacters,
            })?;
        match number.is_possible_with_reason() {
            Ok(_) => {}
            Err(ValidationError::TooShort) => return Err(PhoneError::TooShort),
            Err(ValidationError::TooLong) => return Err(PhoneError::TooLong),
            Err(ValidationError::InvalidCountryCode) => {
                return Err(PhoneError::UnknownCountryCode);
            }
            Err(_) => return Err(not_valid(&number, region)),
        }
        if !number.is_valid() {
            return Err(not_valid(&number, region));
        }
        let e164 = number.format_as(PhoneNumberFormat::E164);
        let digits = e164
            .trim_start_matches('+')
            .parse::<u64>()
            .map_err(|_| PhoneError::TooLong)?;
        Ok(Phone {
            digits,
            extension: extension.map(Into::into),
        })
    }

    /// E.164 with the plus: `+79991234567`.
    pub fn e164(&self) -> String {
        format!("+{}", self.digits)
    }

    /// E.164 without the plus, as Chat2Desk wants it (`shared/specs/chat2desk.md`, "phone:
    /// digits only, international, no `+`").
    pub fn digits(&self) -> String {
        self.digits.to_string()
    }

    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// The identity of the number, without the extension.
    pub fn key(&self) -> u64 {
        self.digits
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.digits)
    }
}

/// An invalid number: "too long" when it has more digits than the country's numbers
/// (libphonenumber keeps a trunk `8` in front of an overlong number, so its own length
/// verdict is "invalid length"), else "not valid".
fn not_valid(number: &PhoneNumber, region: Region) -> PhoneError {
    let typical_length = PHONE_NUMBER_UTIL
        .get_region_for_country_code(number.country_code)
        .and_then(|r| {
            PHONE_NUMBER_UTIL
                .get_example_number_for_type_and_region(r, PhoneNumberType::Mobile)
                .ok()
        })
        .map(|example| example.get_national_significant_number().len());
    match typical_length {
        Some(len) if number.get_national_significant_number().len() > len => PhoneError::TooLong,
        _ => PhoneError::NotValid {
            region: region.code(),
        },
    }
}

/// The common shapes of a +7 number (`+7` or `7` or `8` and ten digits, or ten digits from
/// `9`), validated by libphonenumber's metadata without its parser. `None` when the shape
/// is another one or the number is not valid: the full parser decides, and names the error.
fn fast_plus7(
    main: &str,
    digit_count: usize,
    region: Region,
    extension: Option<&str>,
) -> Option<Phone> {
    // Other regions of +7 (Kazakhstan) read a leading `7` without `+` differently.
    if region.0 != rlibphonenumber::Region::RU {
        return None;
    }
    let plus = main.starts_with('+');
    let mut digits = main.bytes().filter(u8::is_ascii_digit);
    let national = match (digit_count, plus) {
        (11, true) => {
            if digits.next()? != b'7' {
                return None;
            }
            digits
        }
        (11, false) => {
            if !matches!(digits.next()?, b'7' | b'8') {
                return None;
            }
            digits
        }
        (10, false) => digits,
        _ => return None,
    };
    let n = national.fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    if digit_count == 10 && n / 1_000_000_000 != 9 {
        return None;
    }
    let number = rlibphonenumber::PhoneNumber {
        country_code: 7,
        national_number: n,
        ..Default::default()
    };
    if !number.is_valid() {
        return None;
    }
    Some(Phone {
        digits: 7 * 10_000_000_000 + n,
        extension: extension.map(Into::into),
    })
}

/// `7,99912E+10` / `8.99912e+10`: what Excel writes for a long number in a General column.
fn looks_like_exponent(cell: &str) -> bool {
    let upper = cell.to_ascii_uppercase();
    let Some((mantissa, exponent)) = upper.split_once("E+") else {
        return false;
    };
    !mantissa.is_empty()
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

/// Splits `+7 999 123-45-67 доб. 12` into the number and `12`. A marker counts only when
/// digits alone follow it, so `x` in `8-999-CALL-NOW` stays a letter.
fn split_extension(cell: &str) -> (&str, Option<String>) {
    // Every marker has a letter or `#`: a cell of digits and punctuation has none.
    if !cell
        .bytes()
        .any(|b| b == b'#' || b.is_ascii_alphabetic() || !b.is_ascii())
    {
        return (cell, None);
    }
    let lower = cell.to_lowercase();
    // Lower-casing may change byte lengths outside ASCII/Cyrillic; only trust positions when
    // it did not.
    if lower.len() != cell.len() {
        return (cell, None);
    }
    for marker in EXTENSION_MARKERS {
        let Some(at) = lower.rfind(marker) else {
            continue;
        };
        // The marker must start a word: `x` inside `max` is not a marker.
        if at > 0 {
            let before = lower[..at].chars().next_back().unwrap_or(' ');
            if before.is_alphabetic() {
                continue;
            }
        }
        let rest = lower[at + marker.len()..].trim_start_matches(['.', ':', ' ', '\u{a0}']);
        if !rest.is_empty() && rest.len() <= 10 && rest.bytes().all(|b| b.is_ascii_digit()) {
            let main = cell[..at].trim_end_matches([' ', ',', ';', '\u{a0}']);
            if main.bytes().any(|b| b.is_ascii_digit()) {
                return (main, Some(rest.to_owned()));
            }
        }
    }
    (cell, None)
}

/// `8 999 111-22-33, 8 495 123-45-67`, one per line, or `... или ...`: two numbers.
fn has_two_numbers(main: &str) -> bool {
    const MIN_DIGITS: usize = 5;
    // Without a separator, a slash or a letter (`или`, `or`) only the digit count can tell.
    if !main.bytes().any(|b| {
        matches!(b, b',' | b';' | b'\n' | b'\r' | b'|' | b'/')
            || b.is_ascii_alphabetic()
            || !b.is_ascii()
    }) {
        return main.bytes().filter(u8::is_ascii_digit).count() >= 20;
    }
    let parts = main
        .split([',', ';', '\n', '\r', '|'])
        .flat_map(|p| p.split(" или "))
        .flat_map(|p| p.split(" or "))
        .filter(|p| p.bytes().filter(u8::is_ascii_digit).count() >= MIN_DIGITS)
        .count();
    if parts >= 2 {
        return true;
    }
    // `8 999 111 22 33 / 8 495 123 45 67`: a slash between two full numbers. A single
    // slash inside a number (`8/999/...`) leaves too few digits on one side.
    let slash_parts = main
        .split('/')
        .filter(|p| p.bytes().filter(u8::is_ascii_digit).count() >= 7)
        .count();
    if slash_parts >= 2 {
        return true;
    }
    // No number has 20 digits even with a trunk prefix: two numbers side by side.
    main.bytes().filter(u8::is_ascii_digit).count() >= 20
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str) -> String {
        Phone::parse(raw, Region::default())
            .unwrap_or_else(|e| panic!("{raw}: {e:?}"))
            .e164()
    }

    fn error(raw: &str) -> PhoneError {
        Phone::parse(raw, Region::default()).expect_err(raw)
    }

    #[test]
    fn russian_formats_normalise_to_e164() {
        for raw in [
            "8 (999) 123-45-67",
            "+7 999 1234567",
            "89991234567",
            "9991234567",
            "7 999 123 45 67",
            "'+7 999 123-45-67",
            "+7\u{a0}999\u{a0}123\u{a0}45\u{a0}67",
        ] {
            assert_eq!(e164(raw), "+79991234567", "{raw}");
        }
    }

    #[test]
    fn toll_free_and_city_numbers_that_start_with_8_keep_their_digits() {
        // `phonenumber` 0.3 corrupts these (whisperfish/rust-phonenumber#76).
        assert_eq!(e164("8 800 555 35 35"), "+78005553535");
        assert_eq!(e164("+78005553535"), "+78005553535");
        assert_eq!(e164("8 (812) 123-45-67"), "+78121234567");
    }

    #[test]
    fn neighbouring_countries_keep_their_codes() {
        assert_eq!(e164("+7 701 123 4567"), "+77011234567"); // Kazakhstan shares +7
        assert_eq!(e164("+375 29 123 45 67"), "+375291234567");
        assert_eq!(e164("+380 50 123 4567"), "+380501234567");
    }

    #[test]
    fn extensions_are_kept_apart_from_the_identity() {
        for raw in [
            "+7 999 123-45-67 доб. 12",
            "8 999 123 45 67 доб 12",
            "8 (999) 123-45-67, доб. 12",
            "89991234567 ext. 12",
            "8 999 123 45 67 x12",
        ] {
            let phone = Phone::parse(raw, Region::default()).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(phone.e164(), "+79991234567", "{raw}");
            assert_eq!(phone.extension(), Some("12"), "{raw}");
        }
        let plain = Phone::parse("89991234567", Region::default()).unwrap();
        let with_ext = Phone::parse("89991234567 доб. 5", Region::default()).unwrap();
        assert_eq!(plain.key(), with_ext.key());
    }

    #[test]
    fn letters_are_a_typo_not_a_vanity_number() {
        assert_eq!(error("8-999-CALL-NOW"), PhoneError::Letters);
        assert_eq!(error("8 999 12З 45 67"), PhoneError::Letters); // Cyrillic З for 3
        assert_eq!(error("+7 999 123 45 67 (моб)"), PhoneError::Letters);
    }

    #[test]
    fn lengths_are_reported() {
        assert_eq!(error("123"), PhoneError::TooShort);
        assert_eq!(error("999-123-45-6"), PhoneError::TooShort);
        assert_eq!(error("8999123456789012"), PhoneError::TooLong);
        assert_eq!(error("8 999 123 45 67 890"), PhoneError::TooLong);
        assert_eq!(error("+7 999 123 45 67 8"), PhoneError::TooLong);
    }

    #[test]
    fn numbers_outside_any_range_are_not_valid() {
        assert!(matches!(
            error("+7 (000) 000-00-00"),
            PhoneError::NotValid { .. }
        ));
        assert!(matches!(error("1234567890"), PhoneError::NotValid { .. }));
    }

    #[test]
    fn two_numbers_in_one_cell_are_refused() {
        for raw in [
            "+7 999 123-45-67, +7 999 765-43-21",
            "89991234567; 84951234567",
            "8 999 123 45 67 / 8 495 123 45 67",
            "89991234567\n89997654321",
            "89991234567 или 89997654321",
            "89991234567 89997654321",
        ] {
            assert_eq!(error(raw), PhoneError::TwoNumbers, "{raw}");
        }
    }

    #[test]
    fn spreadsheet_errors_and_exponents_are_named() {
        assert_eq!(
            error("#ERROR!"),
            PhoneError::SpreadsheetError("#ERROR!".into())
        );
        assert_eq!(
            error("#NAME?"),
            PhoneError::SpreadsheetError("#NAME?".into())
        );
        assert_eq!(error("#ИМЯ?"), PhoneError::SpreadsheetError("#ИМЯ?".into()));
        assert_eq!(error("7,99912E+10"), PhoneError::ExponentForm);
        assert_eq!(error("8.99912e+10"), PhoneError::ExponentForm);
    }

    #[test]
    fn other_symbols_are_unexpected() {
        assert_eq!(error("8 999 123*45*67"), PhoneError::UnexpectedCharacters);
        assert_eq!(error("+"), PhoneError::TooShort);
    }

    #[test]
    fn regions_are_checked() {
        assert!("ru".parse::<Region>().is_ok());
        assert!("KZ".parse::<Region>().is_ok());
        assert!("QQ".parse::<Region>().is_err());
        assert!("Russia".parse::<Region>().is_err());
        let kz: Region = "KZ".parse().unwrap();
        assert_eq!(
            Phone::parse("8 701 123 4567", kz).unwrap().e164(),
            "+77011234567"
        );
    }
}

#[cfg(test)]
mod fast_path_equivalence {
    use super::*;

    fn slow(main: &str, region: Region) -> Option<u64> {
        let number = PHONE_NUMBER_UTIL.parse(main, Some(region.0)).ok()?;
        if number.is_possible_with_reason().is_err() || !number.is_valid() {
            return None;
        }
        number
            .format_as(PhoneNumberFormat::E164)
            .trim_start_matches('+')
            .parse()
            .ok()
    }

    #[test]
    fn fast_path_agrees_with_libphonenumber() {
        let mut x: u64 = 12345;
        let mut checked = 0;
        for region in ["RU"] {
            let region: Region = region.parse().unwrap();
            for prefix in 0..1000u64 {
                for _ in 0..20 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let n = prefix * 10_000_000 + x % 10_000_000;
                    for shape in [
                        format!("+7{n:010}"),
                        format!("8{n:010}"),
                        format!("7{n:010}"),
                        format!("{n:010}"),
                    ] {
                        let digits = shape.bytes().filter(u8::is_ascii_digit).count();
                        if let Some(fast) = fast_plus7(&shape, digits, region, None) {
                            assert_eq!(Some(fast.key()), slow(&shape, region), "{shape}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }
}
