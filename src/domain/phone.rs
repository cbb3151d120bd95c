//! `Phone`: a telephone number in E.164, parsed once from a cell.
//!
//! libphonenumber (the `rlibphonenumber` port, see `shared/docs/dependencies.md` for why not
//! `phonenumber`) decides what a valid number is; around it we add what real lists need:
//! a typo with letters is an error, not a vanity number; `доб. 12` is an extension; a cell
//! with two numbers, an Excel number in exponent form or a spreadsheet error is named as
//! such, so that the person who fixes the sheet knows what to do.
//!
//! A cell is read in three steps, the same for every region and country:
//! 1. `normalise`: what libphonenumber reads as a digit or a separator becomes ASCII — every
//!    Unicode decimal digit (`７`, `٧`), `＋`, its dashes, spaces and brackets; invisible soft
//!    hyphens go. A plain ASCII cell is borrowed as it is.
//! 2. `unwrap`: a known link or label around the number (`tel:`, `https://wa.me/`, `Тел.`)
//!    is taken off, and said (`Unwrapped`, which the row turns into a warning).
//! 3. Our checks (extension, two numbers, letters, length), then libphonenumber on the
//!    digits alone, `+` in front when the cell had one. A fast path for the common `+7`
//!    shapes gives the same verdicts (a property test below says so).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};

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

/// What was around the number in the cell and was taken off: a link (`tel:`,
/// `https://wa.me/`, `api.whatsapp.com/send?phone=`) or a label (`Tel:`, `тел.`, `моб.`,
/// `WhatsApp:`). The text is what was removed, as written (`…` stands for the number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped {
    pub removed: Box<str>,
}

/// Links that carry a number, lower case, longest first; `true` when the number in them is
/// international without its `+` (WhatsApp's `wa.me/79991234567`), so no default region
/// applies to it.
const LINKS: &[(&str, bool)] = &[
    ("https://api.whatsapp.com/send/?phone=", true),
    ("https://api.whatsapp.com/send?phone=", true),
    ("http://api.whatsapp.com/send?phone=", true),
    ("api.whatsapp.com/send?phone=", true),
    ("whatsapp://send?phone=", true),
    ("https://wa.me/", true),
    ("http://wa.me/", true),
    ("wa.me/", true),
    ("tel:", false),
];

/// Labels people write before a number, lower case; a longer one before its own prefix
/// (`телефон` before `тел`). A label counts when `.`, `:` or a space follows it and the
/// number comes next.
const LABELS: &[&str] = &[
    "телефон",
    "тел",
    "мобильный",
    "моб",
    "рабочий",
    "раб",
    "whatsapp",
    "phone",
    "mobile",
    "mob",
    "tel",
    "cell",
];

/// The first code point of every run of ten Unicode decimal digits (General_Category `Nd`),
/// in order. Every `Nd` character is in one such run, and its value is its distance from
/// the run's zero: this is how libphonenumber's `\d` and `Character.digit` read `７` or `٧`.
/// Rust's std has no call for a character's decimal value (`char::to_digit` is ASCII only,
/// `char::is_numeric` also takes `½` and `Ⅻ`), hence this table. Source: Unicode 17.0's
/// UnicodeData.txt (`Nd` with decimal value 0; DerivedNumericType.txt lists the same
/// runs), as `scripts/reference/phones.py` prints it with `unicodedata2`; `tests/phones.rs`
/// checks every code point against `tests/fixtures/phones/nd-zeros.txt`, which that script
/// writes.
const ND_ZEROS: [u32; 77] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10, 0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450,
    0x114D0, 0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50,
    0x11D50, 0x11DA0, 0x11DE0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950,
    0x1FBF0,
];

/// The value of a Unicode decimal digit (`7`, `７`, `٧`, `७`), `None` for anything else.
pub fn decimal_digit(c: char) -> Option<u8> {
    let cp = u32::from(c);
    if cp < ND_ZEROS[1] {
        return c.is_ascii_digit().then(|| cp as u8 - b'0');
    }
    let run = ND_ZEROS.partition_point(|&zero| zero <= cp);
    let offset = cp - ND_ZEROS[run - 1];
    (offset < 10).then_some(offset as u8)
}

/// The cell with libphonenumber's digits and separators in ASCII: decimal digits of any
/// script become `0`–`9`, `＋` becomes `+`, its dashes (`‐ ‑ ‒ – — ― − ー －`) `-`, its
/// brackets, slash, dot and tildes (`（）［］／．⁓∼～`) their ASCII forms, and every space separator
/// (category `Zs`: also the narrow no-break and figure spaces libphonenumber leaves out,
/// with which French and typeset numbers come) a space. The soft hyphen, which
/// libphonenumber skips and `text::without_invisible` keeps, goes. Letters and other
/// symbols stay as they are, for our checks to name. Plain ASCII is borrowed.
fn normalise(cell: &str) -> Cow<'_, str> {
    // Most cells, ASCII or with letters only, have nothing to map: borrowed.
    if cell.is_ascii() {
        return Cow::Borrowed(cell);
    }
    let Some(start) = cell
        .char_indices()
        .find(|&(_, c)| !c.is_ascii() && normal_form(c) != Some(c))
        .map(|(i, _)| i)
    else {
        return Cow::Borrowed(cell);
    };
    let mut out = String::with_capacity(cell.len());
    out.push_str(&cell[..start]);
    out.extend(cell[start..].chars().filter_map(normal_form));
    Cow::Owned(out)
}

/// What `normalise` makes of one character: itself, its ASCII form, or nothing.
fn normal_form(c: char) -> Option<char> {
    if let Some(d) = decimal_digit(c) {
        return Some(char::from(b'0' + d));
    }
    Some(match c {
        '＋' => '+',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF0D}' => '-',
        '\u{A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
            ' '
        }
        '\u{AD}' | '\u{200B}' | '\u{2060}' => return None,
        '（' => '(',
        '）' => ')',
        '［' => '[',
        '］' => ']',
        '／' => '/',
        '．' => '.',
        '⁓' | '∼' | '～' => '~',
        other => other,
    })
}

/// Separators people put inside a number, once `normalise` has made them ASCII: spaces,
/// tabs, dashes, brackets, dots, slashes, and libphonenumber's `~` ("wait for the dial
/// tone", as in its own `8~10 44 …`).
fn is_number_punctuation(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '-' | '(' | ')' | '[' | ']' | '.' | '/' | '~'
    )
}

/// `s` without `prefix` (lower case) at its start, in any case.
fn strip_prefix_ignoring_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let mut chars = s.chars();
    for p in prefix.chars() {
        let c = chars.next()?;
        if c != p && !c.to_lowercase().eq(std::iter::once(p)) {
            return None;
        }
    }
    Some(chars.as_str())
}

/// Takes a known link or label off the number (see `LINKS` and `LABELS`). A cell that does
/// not start with a letter has none, and is returned as it is.
fn unwrap(cell: &str) -> (Cow<'_, str>, Option<Unwrapped>) {
    if !cell.chars().next().is_some_and(char::is_alphabetic) {
        return (Cow::Borrowed(cell), None);
    }
    for &(link, international) in LINKS {
        let Some(rest) = strip_prefix_ignoring_case(cell, link) else {
            continue;
        };
        let prefix = &cell[..cell.len() - rest.len()];
        let rest = rest.trim_start();
        // A WhatsApp link may go on with `&text=…`, `?text=…` or a slash.
        let (number, suffix) = if international {
            let end = rest.find(['?', '&', '#']).unwrap_or(rest.len());
            let number = &rest[..end];
            let number = number.trim_end();
            let number = number.strip_suffix('/').unwrap_or(number);
            (number, &rest[number.len()..])
        } else {
            (rest, "")
        };
        let removed = if suffix.is_empty() {
            prefix.trim_end().into()
        } else {
            format!("{}…{}", prefix.trim_end(), suffix.trim()).into()
        };
        let number = if international && !number.starts_with('+') {
            Cow::Owned(format!("+{number}"))
        } else {
            Cow::Borrowed(number)
        };
        return (number, Some(Unwrapped { removed }));
    }
    for label in LABELS {
        let Some(rest) = strip_prefix_ignoring_case(cell, label) else {
            continue;
        };
        let number = rest.trim_start_matches(['.', ':', ' ', '\t']);
        if number.len() == rest.len()
            || !number
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_digit() || b == b'+' || b == b'(')
        {
            continue;
        }
        let removed = cell[..cell.len() - number.len()].trim_end().into();
        return (Cow::Borrowed(number), Some(Unwrapped { removed }));
    }
    (Cow::Borrowed(cell), None)
}

/// The words that introduce an extension: Russian "добавочный", "внутренний", English, and
/// the signs libphonenumber reads as one (`#`, `~` before the last digits).
const EXTENSION_MARKERS: &[&str] = &["добавочный", "доб", "вн", "extension", "ext", "x", "#", "~"];

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

/// Which way a number is validated: by the fast path where it applies (what callers get),
/// or always by libphonenumber's parser (what the fast path is tested against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))] // `Full` is for the tests.
enum Path {
    Fast,
    Full,
}

/// The most digits a cell may have: E.164's 15 and a national (8) or international prefix
/// (8 10, 00). Anything longer is not one number, and would not fit our key.
const MAX_DIGITS: usize = 18;

impl Phone {
    /// Parses a cell that should hold one phone number. `region` is used for numbers
    /// without a country code (`8 999 ...` and `999 ...` in Russia).
    pub fn parse(raw: &str, region: Region) -> Result<Phone, PhoneError> {
        Phone::parse_cell(raw, region).map(|(phone, _)| phone)
    }

    /// Like `parse`, and says what was taken off around the number (`tel:`, `wa.me/`,
    /// `Тел.`), for the row to warn of.
    pub fn parse_cell(raw: &str, region: Region) -> Result<(Phone, Option<Unwrapped>), PhoneError> {
        parse_with(raw, region, Path::Fast)
    }

    /// What `parse_cell` takes off around the number in `raw` (see `Unwrapped`), for a cell
    /// parsed by `parse` elsewhere. Only a cell that starts with a letter costs anything.
    pub fn wrapper(raw: &str) -> Option<Unwrapped> {
        let raw = super::text::without_invisible(raw);
        let cell = raw.trim().trim_start_matches('\'').trim();
        if !cell.chars().next().is_some_and(char::is_alphabetic) {
            return None;
        }
        unwrap(normalise(cell).trim()).1
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

fn parse_with(
    raw: &str,
    region: Region,
    path: Path,
) -> Result<(Phone, Option<Unwrapped>), PhoneError> {
    let raw = super::text::without_invisible(raw);
    let cell = raw.trim().trim_start_matches('\'').trim();
    if is_spreadsheet_error(cell) {
        return Err(PhoneError::SpreadsheetError(cell.to_owned()));
    }
    if looks_like_exponent(cell) {
        return Err(PhoneError::ExponentForm);
    }
    let normal = normalise(cell);
    let (number, unwrapped) = unwrap(normal.trim());
    let (main, extension) = split_extension(number.trim());
    if has_two_numbers(main) {
        return Err(PhoneError::TwoNumbers);
    }
    // Separators anywhere, and one `+` before the first digit (`(+7) 999 …` too).
    let mut plus = false;
    let mut digit_count = 0;
    for c in main.chars() {
        if c.is_ascii_digit() {
            digit_count += 1;
        } else if c == '+' && !plus && digit_count == 0 {
            plus = true;
        } else if !is_number_punctuation(c) {
            return Err(if c.is_alphabetic() {
                PhoneError::Letters
            } else {
                PhoneError::UnexpectedCharacters
            });
        }
    }
    if digit_count == 0 {
        return Err(PhoneError::TooShort);
    }
    if digit_count > MAX_DIGITS {
        return Err(PhoneError::TooLong);
    }
    // What libphonenumber reads: the digits, after a `+` if there was one. Our checks
    // above have taken what it would read otherwise (extensions, letters, a second
    // number), so the separators no longer matter; on the stack, no allocation.
    let mut buffer = [0u8; MAX_DIGITS + 1];
    let mut len = 0;
    if plus {
        buffer[0] = b'+';
        len = 1;
    }
    for b in main.bytes().filter(u8::is_ascii_digit) {
        buffer[len] = b;
        len += 1;
    }
    let digits = &buffer[usize::from(plus)..len];
    let fast = match path {
        Path::Fast => fast_plus7(digits, plus, region),
        Path::Full => None,
    };
    let digits = match fast {
        Some(digits) => digits,
        None => {
            let canonical = std::str::from_utf8(&buffer[..len]).expect("ASCII digits and `+`");
            full_parse(canonical, region)?
        }
    };
    let phone = Phone {
        digits,
        extension: extension.map(Into::into),
    };
    Ok((phone, unwrapped))
}

/// libphonenumber's verdict on `+` and digits, or digits alone: the E.164 digits of a
/// valid number, else the error a person can act on.
fn full_parse(canonical: &str, region: Region) -> Result<u64, PhoneError> {
    let number = PHONE_NUMBER_UTIL
        .parse(canonical, Some(region.0))
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
    number
        .format_as(PhoneNumberFormat::E164)
        .trim_start_matches('+')
        .parse::<u64>()
        .map_err(|_| PhoneError::TooLong)
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
/// `9`), validated by libphonenumber's metadata without its parser: the E.164 digits.
/// `None` when the shape is another one or the number is not valid: the full parser
/// decides, and names the error. `digits` are the cell's ASCII digits, `plus` whether a
/// `+` came before them.
fn fast_plus7(digits: &[u8], plus: bool, region: Region) -> Option<u64> {
    // Other regions of +7 (Kazakhstan) read a leading `7` without `+` differently.
    if region.0 != rlibphonenumber::Region::RU {
        return None;
    }
    let national = match (digits.len(), plus, digits.first()?) {
        (11, true, b'7') | (11, false, b'7' | b'8') => &digits[1..],
        (10, false, b'9') => digits,
        _ => return None,
    };
    let n = national
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    if !plus7_valid(n) {
        return None;
    }
    Some(7 * 10_000_000_000 + n)
}

/// libphonenumber's `is_valid` of +7 and the ten national digits `n`, remembered by their
/// first six digits (`PLUS7_VERDICTS`).
fn plus7_valid(n: u64) -> bool {
    let slot = &PLUS7_VERDICTS[(n / 10_000) as usize];
    match slot.load(Ordering::Relaxed) {
        VALID => true,
        INVALID => false,
        _ => {
            let valid = plus7_valid_by_libphonenumber(n);
            slot.store(if valid { VALID } else { INVALID }, Ordering::Relaxed);
            valid
        }
    }
}

fn plus7_valid_by_libphonenumber(n: u64) -> bool {
    rlibphonenumber::PhoneNumber {
        country_code: 7,
        national_number: n,
        ..Default::default()
    }
    .is_valid()
}

/// libphonenumber's verdicts on +7 numbers of ten national digits, by the first six of them
/// (`n / 10_000`): `UNKNOWN` until a number with those digits is met.
///
/// A verdict depends on those six digits alone. The metadata's patterns for +7 (Russia and
/// Kazakhstan, libphonenumber 9.0) are alternatives of at most six leading digits followed
/// by `\d{k}` up to the length: Russia's mobile `9(?:[0-24-9]\d{4}|3(?:0(?:0(?:05|…`
/// reads six, Kazakhstan's fixed lines `7(?:1(?:0(?:[23]\d|4[0-3]…)))\d{5}` five, the rest
/// three; which of the two countries a number belongs to is its first digit (their leading
/// digits) or a type pattern. `plus7_verdicts_depend_on_six_digits_alone` checks it for every
/// six digits against the metadata compiled in. Validating a number with libphonenumber
/// takes 300 ns (ten regular expressions for a mobile number); the 640,000 numbers of the
/// benchmark list (`docs/performance.md`) start with 10,280 different six digits.
static PLUS7_VERDICTS: [AtomicU8; 1_000_000] = [const { AtomicU8::new(UNKNOWN) }; 1_000_000];
const UNKNOWN: u8 = 0;
const VALID: u8 = 1;
const INVALID: u8 = 2;

/// `7,99912E+10` / `8.99912e+10`: what Excel writes for a long number in a General column.
fn looks_like_exponent(cell: &str) -> bool {
    // Most cells have no `e`: decided without allocating.
    if !cell.bytes().any(|b| b == b'e' || b == b'E') {
        return false;
    }
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
/// digits alone follow it, so `x` in `8-999-CALL-NOW` stays a letter. `tel:`'s form
/// `;ext=12` is one too.
fn split_extension(cell: &str) -> (&str, Option<String>) {
    // Every marker has a letter, `#` or `~`: a cell of digits and punctuation has none.
    if !cell
        .bytes()
        .any(|b| b == b'#' || b == b'~' || b.is_ascii_alphabetic() || !b.is_ascii())
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
        let rest = lower[at + marker.len()..].trim_start_matches(['.', ':', '=', ' ', '\u{a0}']);
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
    fn plain_cells_are_borrowed_not_copied() {
        for cell in [
            "8 (999) 123-45-67",
            "+7 999 123-45-67 доб. 12",
            "8 999 12З 45 67",
        ] {
            assert!(matches!(normalise(cell), Cow::Borrowed(_)), "{cell}");
            assert!(matches!(unwrap(cell), (Cow::Borrowed(_), None)), "{cell}");
        }
        assert_eq!(normalise("＋７\u{202f}９９９\u{ad}－１"), "+7 999-1");
    }

    #[test]
    fn decimal_digits_of_every_script_have_their_value() {
        assert_eq!(decimal_digit('7'), Some(7));
        assert_eq!(decimal_digit('７'), Some(7));
        assert_eq!(decimal_digit('٧'), Some(7));
        assert_eq!(decimal_digit('\u{1D7D5}'), Some(7)); // mathematical bold 7
        assert_eq!(decimal_digit('\u{1FBF7}'), Some(7)); // segmented digit 7
        for c in [
            'a',
            '/',
            ':',
            '½',
            'Ⅻ',
            '\u{2077}',
            '\u{65F}',
            '\u{66A}',
            '\u{10FFFF}',
        ] {
            assert_eq!(decimal_digit(c), None, "{c:?}");
        }
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
    //! The fast path may only answer what the full parser would: for every cell, `parse`
    //! with it and without it give the same `Result`, in every region.
    use super::*;
    use proptest::prelude::*;

    fn agree(cell: &str, region: Region) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            parse_with(cell, region, Path::Fast),
            parse_with(cell, region, Path::Full),
            "{:?} in {}",
            cell,
            region.code()
        );
        Ok(())
    }

    fn region() -> impl Strategy<Value = Region> {
        prop::sample::select(vec!["RU", "KZ", "BY", "UA", "US", "GB", "DE", "IN", "AE"])
            .prop_map(|r| r.parse().unwrap())
    }

    /// A +7-like number as people write it: a prefix, ten digits in groups of 3-3-2-2,
    /// separators from libphonenumber's set and ours, digits of one script.
    fn cell() -> impl Strategy<Value = String> {
        let digits = prop::collection::vec(0u8..10, 10);
        let prefix = prop::sample::select(vec![
            "", "+7", "7", "8", "(+7)", "+7 (", "＋７", "8 ", "+", "+8", "810 7", "+77", "9",
        ]);
        let separator = prop::sample::select(vec![
            "", " ", "-", "\u{a0}", "\u{202f}", "\u{2007}", "\u{2212}", "\u{2012}", "\u{2015}",
            "\u{ff0d}", "\u{3000}", "\u{ad}", ".", "(", ")", "\t", " - ",
        ]);
        let zero = prop::sample::select(vec!['0', '\u{ff10}', '\u{660}', '\u{966}']);
        (digits, prefix, prop::collection::vec(separator, 5), zero).prop_map(
            |(digits, prefix, seps, zero)| {
                let digit = |d: u8| char::from_u32(u32::from(zero) + u32::from(d)).unwrap();
                let mut out = String::from(prefix);
                for (group, sep) in [0..3, 3..6, 6..8, 8..10].into_iter().zip(&seps) {
                    out.push_str(sep);
                    out.extend(digits[group].iter().map(|&d| digit(d)));
                }
                out.push_str(seps[4]);
                out
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn fast_and_full_paths_agree_on_written_numbers(cell in cell(), region in region()) {
            agree(&cell, region)?;
        }

        #[test]
        fn fast_and_full_paths_agree_on_any_text(cell in "\\PC{0,24}", region in region()) {
            agree(&cell, region)?;
        }
    }

    #[test]
    fn plus7_verdicts_depend_on_six_digits_alone() {
        // Every six leading digits (a sample of them in a debug build, where libphonenumber
        // is slow): two other numbers that start with them have the same verdict, and the
        // one remembered is libphonenumber's.
        let step = if cfg!(debug_assertions) { 37 } else { 1 };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut valid = 0;
        for prefix in (0..1_000_000u64).step_by(step) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = prefix * 10_000 + x % 10_000;
            let b = prefix * 10_000 + (x >> 32) % 10_000;
            let verdict = plus7_valid_by_libphonenumber(a);
            assert_eq!(plus7_valid_by_libphonenumber(b), verdict, "{a} and {b}");
            assert_eq!(plus7_valid(a), verdict, "{a}");
            assert_eq!(plus7_valid(b), verdict, "{b}");
            valid += usize::from(verdict);
        }
        assert!(valid > 100_000 / step, "{valid}");
    }

    #[test]
    fn fast_path_agrees_with_libphonenumber_over_every_range() {
        let mut x: u64 = 12345;
        let mut fast = 0;
        let ru = Region::default();
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
                    let plus = shape.starts_with('+');
                    let digits = shape.trim_start_matches('+').as_bytes();
                    if fast_plus7(digits, plus, ru).is_some() {
                        fast += 1;
                    }
                    agree(&shape, ru).unwrap();
                }
            }
        }
        assert!(fast > 10_000, "{fast}");
    }
}
