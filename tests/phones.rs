//! Phones as libphonenumber reads them (issue 12): golden cells per class, a differential
//! test against libphonenumber's own answers on a corpus, the table of Unicode digits, and
//! the region flag that must not change the verdict on an international number.
//!
//! The corpus and the digit table are written by `scripts/reference/phones.py` (Python
//! `phonenumbers` with the same metadata as `rlibphonenumber`); nothing here runs Python.

use contact_loader::domain::phone::{Unwrapped, decimal_digit};
use contact_loader::domain::{Phone, PhoneError, RawRow, Region, Row, Warning};
use contact_loader::messages::{Lang, warning_text};
use proptest::prelude::*;

const CORPUS: &str = include_str!("fixtures/phones/corpus.tsv");
const ND_ZEROS: &str = include_str!("fixtures/phones/nd-zeros.txt");

fn region(code: &str) -> Region {
    code.parse().unwrap()
}

fn ru() -> Region {
    Region::default()
}

fn e164(raw: &str, region: Region) -> String {
    Phone::parse(raw, region)
        .unwrap_or_else(|e| panic!("{raw:?}: {e:?}"))
        .e164()
}

/// The E.164 and what was taken off around it.
fn unwrapped(raw: &str) -> (String, Option<String>) {
    let (phone, unwrapped) =
        Phone::parse_cell(raw, ru()).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
    (phone.e164(), unwrapped.map(|u| u.removed.into()))
}

// ---------------------------------------------------------------------------------------
// Golden cells, one test per class of issue 12
// ---------------------------------------------------------------------------------------

#[test]
fn unicode_digits_of_any_script_are_read_as_digits() {
    for raw in [
        "＋７ ９９９ １２３-４５-６７", // full-width, with the full-width plus
        "８（９９９）１２３－４５－６７", // full-width brackets and dash too
        "٨٩٩٩١٢٣٤٥٦٧",                  // Arabic-Indic
        "+٧ ٩٩٩ ١٢٣ ٤٥ ٦٧",             // Arabic-Indic after an ASCII plus
        "۸ ۹۹۹ ۱۲۳ ۴۵ ۶۷",              // Extended Arabic-Indic (Persian, Urdu)
        "+७ ९९९ १२३ ४५ ६७",             // Devanagari
        "+7 ๙๙๙ ๑๒๓ ๔๕ ๖๗",             // Thai
        "+\u{1D7D5} \u{1D7D7}\u{1D7D7}\u{1D7D7} 123 45 67", // mathematical bold, outside the BMP
        "+7 999 123 45 6\u{FF17}",      // one full-width digit among ASCII ones
    ] {
        assert_eq!(e164(raw, ru()), "+79991234567", "{raw}");
    }
    // A superscript is a digit to `char::is_numeric`, not to libphonenumber.
    assert_eq!(
        Phone::parse("+7 999 123 45 6\u{2077}", ru()),
        Err(PhoneError::UnexpectedCharacters)
    );
}

#[test]
fn dashes_and_spaces_of_libphonenumber_are_separators() {
    for raw in [
        "+7 999 123\u{2212}45\u{2212}67",               // minus sign
        "8\u{2012}999\u{2012}123\u{2012}45\u{2012}67",  // figure dash
        "+7\u{2015}999\u{2015}123\u{2015}45\u{2015}67", // horizontal bar
        "+7\u{FF0D}999\u{FF0D}123\u{FF0D}45\u{FF0D}67", // full-width hyphen-minus
        "+7\u{2010}999\u{2011}123\u{2013}45\u{2014}67", // hyphen, non-breaking hyphen, en, em
        "+7\u{30FC}999\u{30FC}1234567",                 // katakana prolonged sound mark
        "+7\u{3000}999\u{3000}123\u{3000}45\u{3000}67", // ideographic space
        "+7 999 123\u{AD}45\u{AD}67",                   // soft hyphen
        "+7\u{AD}\u{200B}999\u{2060}1234567",           // soft hyphen, zero-width space, joiner
        "+7 [999] 123-45-67",
        "+7 ／999／ 123 45 67",
        "+7．999．123．45．67",
    ] {
        assert_eq!(e164(raw, ru()), "+79991234567", "{raw:?}");
    }
    // libphonenumber's own out-of-country format from Russia: `~` waits for the dial tone.
    assert_eq!(e164("8~10 44 20 7946 0000", ru()), "+442079460000");
}

#[test]
fn the_soft_hyphen_is_kept_by_the_invisible_filter_and_dropped_by_the_phone() {
    // `text::without_invisible` leaves U+00AD alone (it is visible where a line breaks);
    // the phone reads it as libphonenumber does: as nothing.
    assert_eq!(
        contact_loader::domain::text::without_invisible("1\u{AD}2"),
        "1\u{AD}2"
    );
    assert_eq!(
        e164("8\u{AD}999\u{AD}123\u{AD}45\u{AD}67", ru()),
        "+79991234567"
    );
}

#[test]
fn a_bracketed_country_code_is_read() {
    assert_eq!(e164("(+7) 999 123-45-67", ru()), "+79991234567");
    assert_eq!(e164("(+7 495) 123-45-67", ru()), "+74951234567");
    assert_eq!(e164("(+375) 29 123-45-67", ru()), "+375291234567");
    assert_eq!(e164("（＋４４）20 7946 0000", ru()), "+442079460000");
    assert_eq!(e164("(+1) 202 555 0143", region("DE")), "+12025550143");
    // One plus, before the digits.
    assert_eq!(
        Phone::parse("+7 (+7) 999 123-45-67", ru()),
        Err(PhoneError::UnexpectedCharacters)
    );
    assert_eq!(
        Phone::parse("8 999 +123 45 67", ru()),
        Err(PhoneError::UnexpectedCharacters)
    );
}

#[test]
fn narrow_and_figure_spaces_are_spaces_in_every_region() {
    for space in ['\u{202F}', '\u{2007}', '\u{2009}', '\t'] {
        let plus7 = format!("+7{space}999{space}123{space}45{space}67");
        let gb = format!("+44{space}20{space}7946{space}0000");
        for code in ["RU", "KZ", "BY", "UA", "US", "GB", "DE", "IN", "AE"] {
            assert_eq!(
                e164(&plus7, region(code)),
                "+79991234567",
                "{plus7:?} {code}"
            );
            assert_eq!(e164(&gb, region(code)), "+442079460000", "{gb:?} {code}");
        }
        let national = format!("8{space}(999){space}123-45-67");
        assert_eq!(e164(&national, ru()), "+79991234567", "{national:?}");
        let kz = format!("8{space}701{space}123{space}4567");
        assert_eq!(e164(&kz, region("KZ")), "+77011234567", "{kz:?}");
    }
}

#[test]
fn links_are_taken_off_and_said() {
    for (raw, number, removed) in [
        ("tel:+79991234567", "+79991234567", "tel:"),
        ("tel:+7-999-123-45-67", "+79991234567", "tel:"),
        ("TEL:89991234567", "+79991234567", "TEL:"),
        (
            "https://wa.me/79991234567",
            "+79991234567",
            "https://wa.me/",
        ),
        ("wa.me/79991234567", "+79991234567", "wa.me/"),
        (
            "http://wa.me/77011234567/",
            "+77011234567",
            "http://wa.me/…/",
        ),
        (
            "https://wa.me/79991234567?text=Здравствуйте",
            "+79991234567",
            "https://wa.me/…?text=Здравствуйте",
        ),
        (
            "https://api.whatsapp.com/send?phone=79991234567&text=hi",
            "+79991234567",
            "https://api.whatsapp.com/send?phone=…&text=hi",
        ),
        // A WhatsApp number is international: the default region does not apply.
        (
            "https://wa.me/14155552671",
            "+14155552671",
            "https://wa.me/",
        ),
        (
            "https://wa.me/442079460000",
            "+442079460000",
            "https://wa.me/",
        ),
    ] {
        assert_eq!(
            unwrapped(raw),
            (number.to_owned(), Some(removed.to_owned())),
            "{raw}"
        );
    }
    let (phone, _) = Phone::parse_cell("tel:+7-999-123-45-67;ext=12", ru()).unwrap();
    assert_eq!(
        (phone.e164().as_str(), phone.extension()),
        ("+79991234567", Some("12"))
    );
}

#[test]
fn leading_labels_are_taken_off_and_said() {
    for (raw, number, removed) in [
        ("Tel: +7 999 123 45 67", "+79991234567", "Tel:"),
        ("Tel. 8 999 123 45 67", "+79991234567", "Tel."),
        ("Phone: +7 999 1234567", "+79991234567", "Phone:"),
        ("WhatsApp: +7 999 123 45 67", "+79991234567", "WhatsApp:"),
        ("тел. 8 (999) 123-45-67", "+79991234567", "тел."),
        ("Тел.: +7 999 123-45-67", "+79991234567", "Тел.:"),
        ("Телефон: 8 999 123 45 67", "+79991234567", "Телефон:"),
        ("моб. 8 999 123 45 67", "+79991234567", "моб."),
        ("Моб.8 999 123 45 67", "+79991234567", "Моб."),
        ("раб. 8 (495) 123-45-67", "+74951234567", "раб."),
        ("тел. ８ ９９９ １２３ ４５ ６７", "+79991234567", "тел."),
        ("тел. ٨٩٩٩١٢٣٤٥٦٧", "+79991234567", "тел."),
    ] {
        assert_eq!(
            unwrapped(raw),
            (number.to_owned(), Some(removed.to_owned())),
            "{raw}"
        );
    }
    assert_eq!(
        unwrapped("+7 999 123 45 67"),
        ("+79991234567".to_owned(), None)
    );
}

#[test]
fn other_letters_are_still_an_error() {
    for raw in [
        "8-999-CALL-NOW",
        "8 999 12З 45 67",
        "Иван +7 999 123 45 67",
        "звонить 8 999 123 45 67",
        "telegram 8 999 123 45 67",
        "+7 999 123 45 67 (моб)",
        "тел 8 999 CALL NOW",
        "Tel: 8-999-CALL-NOW",
        "teл. 8 999 123 45 67", // Latin t, e with Cyrillic л: no label of ours
    ] {
        assert_eq!(Phone::parse(raw, ru()), Err(PhoneError::Letters), "{raw}");
    }
}

#[test]
fn two_numbers_in_one_cell_are_still_an_error() {
    for raw in [
        "тел. 8 999 123 45 67, моб. 8 999 765 43 21",
        "tel:+79991234567, tel:+79997654321",
        "＋７ ９９９ １２３ ４５ ６７；＋７ ９９９ ７６５ ４３ ２１",
        "8 999 123 45 67 ／ 8 495 123 45 67",
        "+7\u{202F}999\u{202F}123\u{202F}45\u{202F}67 +7 999 765 43 21",
    ] {
        assert_eq!(
            Phone::parse(raw, ru()),
            Err(PhoneError::TwoNumbers),
            "{raw}"
        );
    }
}

#[test]
fn a_row_warns_of_what_was_taken_off_in_both_languages() {
    for raw in [
        RawRow {
            phone: "Тел.: +7 999 123-45-67",
            ..RawRow::default()
        },
        RawRow {
            contact: "Тел.: +7 999 123-45-67",
            ..RawRow::default()
        },
    ] {
        let (row, warnings) = Row::parse(&raw, ru()).unwrap();
        assert_eq!(row.contacts[0].key().to_string(), "+79991234567");
        let expected = Warning::PhoneUnwrapped(Unwrapped {
            removed: "Тел.:".into(),
        });
        assert_eq!(warnings, std::slice::from_ref(&expected));
        assert_eq!(
            warning_text(Lang::Ru, &expected),
            "«Тел.:» вокруг номера убрано"
        );
        assert_eq!(
            warning_text(Lang::En, &expected),
            "“Тел.:” around the number was taken off"
        );
    }
    let (_, warnings) = Row::parse(
        &RawRow {
            phone: "+7 999 123-45-67",
            ..RawRow::default()
        },
        ru(),
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

// ---------------------------------------------------------------------------------------
// The differential test against libphonenumber
// ---------------------------------------------------------------------------------------

/// A corpus cell as written there: `\\`, `\t`, `\n`, `\r` and `\u{HEX}` escaped.
fn unescape(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            other => panic!("bad escape \\{other:?} in {cell}"),
        }
    }
    out
}

/// Our verdict in the corpus's words.
fn verdict(result: &Result<(Phone, Option<Unwrapped>), PhoneError>) -> String {
    match result {
        Ok((phone, _)) => match phone.extension() {
            Some(ext) => format!("{};ext={ext}", phone.e164()),
            None => phone.e164(),
        },
        Err(PhoneError::Letters) => "invalid:letters".into(),
        Err(PhoneError::TwoNumbers) => "invalid:two-numbers".into(),
        Err(PhoneError::UnexpectedCharacters) => "invalid:unexpected".into(),
        Err(_) => "invalid".into(),
    }
}

/// Whether our verdict is the one expected: the same number and extension, or an error
/// (of the kind named, when one is).
fn matches(ours: &str, expected: &str) -> bool {
    if expected == "invalid" {
        ours.starts_with("invalid")
    } else {
        ours == expected
    }
}

#[test]
fn the_corpus_reads_as_libphonenumber_reads_it_except_where_we_differ_on_purpose() {
    let mut lines = CORPUS.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next(),
        Some("class\tregion\tcell\treference\texpected\twrapped\treason")
    );
    let (mut total, mut same_as_reference, mut deliberate) = (0, 0, 0);
    let mut mismatches = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let [class, code, cell, reference, expected, wrapped, reason] = fields[..] else {
            panic!("bad corpus line: {line}");
        };
        let cell = unescape(cell);
        total += 1;
        if reason.is_empty() {
            assert!(
                matches(expected, reference),
                "{line}: a difference without a reason"
            );
            same_as_reference += 1;
        } else {
            deliberate += 1;
        }
        let result = Phone::parse_cell(&cell, region(code));
        let ours = verdict(&result);
        let unwrapped = matches!(&result, Ok((_, Some(_))));
        let wrapped_ok = result.is_err() || unwrapped == (wrapped == "1");
        if !matches(&ours, expected) || !wrapped_ok {
            mismatches.push(format!(
                "{class} {code} {cell:?}: ours {ours} (unwrapped: {unwrapped}), expected \
                 {expected} (wrapped: {wrapped:?}), libphonenumber {reference}"
            ));
        }
    }
    eprintln!(
        "phone corpus: {total} cells, {same_as_reference} where libphonenumber's verdict is \
         ours, {deliberate} deliberately different; {} mismatches",
        mismatches.len()
    );
    assert!(total > 5_000, "{total}");
    assert!(
        mismatches.is_empty(),
        "{} of {total} cells:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(60)].join("\n")
    );
}

#[test]
fn the_decimal_digit_table_is_unicodes() {
    let zeros: Vec<u32> = ND_ZEROS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| u32::from_str_radix(l, 16).unwrap())
        .collect();
    assert!(zeros.len() >= 77, "{}", zeros.len());
    let mut next = zeros.iter().peekable();
    let mut run: Option<u32> = None;
    for cp in 0..=0x10FFFF_u32 {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        if next.peek().is_some_and(|&&z| z == cp) {
            run = next.next().copied();
        }
        let expected = run
            .filter(|&zero| cp - zero < 10)
            .map(|zero| (cp - zero) as u8);
        assert_eq!(decimal_digit(c), expected, "U+{cp:04X}");
        if expected.is_some() {
            // Every decimal digit is numeric to Rust too (which also takes `½` and `Ⅻ`).
            assert!(c.is_numeric(), "U+{cp:04X}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The region flag does not change the verdict on an international number
// ---------------------------------------------------------------------------------------

fn any_region() -> impl Strategy<Value = Region> {
    prop::sample::select(vec![
        "RU", "KZ", "BY", "UA", "US", "GB", "DE", "IN", "AE", "FR", "CN",
    ])
    .prop_map(region)
}

/// An international number, written with any of the separators and digits we read.
fn international() -> impl Strategy<Value = String> {
    let country = prop::sample::select(vec!["7", "375", "380", "1", "44", "49", "91", "971"]);
    let digits = prop::collection::vec(0u32..10, 6..12);
    let separator = prop::sample::select(vec![
        "", " ", "-", "\u{a0}", "\u{202f}", "\u{2007}", "\u{2212}", "\u{ff0d}", "\u{3000}",
        "\u{ad}", ".", "\t",
    ]);
    let zero = prop::sample::select(vec![0x30u32, 0xFF10, 0x660, 0x966]);
    let shape = prop::sample::select(vec!["+{}", "(+{})", "＋{}", "tel:+{}", "Tel: +{}"]);
    (
        country,
        digits,
        prop::collection::vec(separator, 12),
        zero,
        shape,
    )
        .prop_map(|(country, digits, seps, zero, shape)| {
            let digit = |d: u32| char::from_u32(zero + d).unwrap();
            let mut rest = String::new();
            for (d, sep) in digits.iter().zip(&seps) {
                rest.push_str(sep);
                rest.push(digit(*d));
            }
            let code: String = country
                .chars()
                .map(|c| digit(c.to_digit(10).unwrap()))
                .collect();
            format!("{}{rest}", shape.replace("{}", &code))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn an_international_number_means_the_same_in_every_region(
        cell in international(),
        a in any_region(),
        b in any_region(),
    ) {
        let in_a = Phone::parse(&cell, a).map(|p| p.e164());
        let in_b = Phone::parse(&cell, b).map(|p| p.e164());
        prop_assert_eq!(in_a.is_ok(), in_b.is_ok(), "{:?}: {:?} / {:?}", cell, in_a, in_b);
        if in_a.is_ok() {
            prop_assert_eq!(in_a, in_b, "{:?}", cell);
        }
    }
}
