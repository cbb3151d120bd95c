//! Bytes to text: the encodings people's files come in.
//!
//! A byte-order mark decides first; then UTF-16 without one (every other byte NUL); then
//! UTF-8 if the bytes are valid UTF-8; else `chardetng`, told the text is Russian — right on
//! the Windows-1251 exports of Excel (`shared/docs/dependencies.md`, "CSV as users have it").

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// Decoded text and how it was read.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    /// Bytes that were not valid in the encoding became U+FFFD: the rows are kept, and the
    /// user is told.
    pub had_errors: bool,
    /// The file began with a byte-order mark (written back the same way).
    pub had_bom: bool,
}

/// How much of a file `chardetng` looks at: enough for a verdict, bounded for big files.
const SNIFF_BYTES: usize = 1 << 20;

pub fn decode(bytes: Vec<u8>, forced: Option<&'static Encoding>) -> Decoded {
    let bom = Encoding::for_bom(&bytes).map(|(encoding, _)| encoding);
    if let Some(encoding) = forced.or(bom) {
        let (text, had_errors) = encoding.decode_with_bom_removal(&bytes);
        return Decoded {
            text: text.into_owned(),
            encoding,
            had_errors,
            had_bom: bom == Some(encoding),
        };
    }
    if let Some(encoding) = utf16_without_bom(&bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
        return Decoded {
            text: text.into_owned(),
            encoding,
            had_errors,
            had_bom: false,
        };
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => {
            return Decoded {
                text,
                encoding: UTF_8,
                had_errors: false,
                had_bom: false,
            };
        }
        Err(e) => e.into_bytes(),
    };
    if mostly_utf8(&bytes) {
        // A UTF-8 file with a few broken bytes (a bad paste, a cut multi-byte character):
        // read it as UTF-8 and say so, rather than turn every other letter into mojibake.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        return Decoded {
            text,
            encoding: UTF_8,
            had_errors: true,
            had_bom: false,
        };
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    detector.feed(sample, sample.len() == bytes.len());
    let encoding = detector.guess(Some(b"ru"), chardetng::Utf8Detection::Allow);
    let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
    Decoded {
        text: text.into_owned(),
        encoding,
        had_errors,
        had_bom: false,
    }
}

/// Text that `encoding` can hold: characters it lacks become their plain look-alikes
/// (`—` → `-`, `«` → `"`) or `?`. encoding_rs would write them as `&#8212;`, whose `;` would
/// split a cell of a `;`-separated file — so this runs on cells, before CSV quoting.
pub fn fit_to<'t>(encoding: &'static Encoding, text: &'t str) -> std::borrow::Cow<'t, str> {
    if encoding == UTF_8 || encoding == UTF_16LE || encoding == UTF_16BE || text.is_ascii() {
        return text.into();
    }
    if !encoding.encode(text).2 {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() || !encoding.encode(c.encode_utf8(&mut buf)).2 {
            out.push(c);
            continue;
        }
        out.push_str(match c {
            '—' | '–' | '‐' | '‑' | '−' => "-",
            '«' | '»' | '“' | '”' | '„' => "\"",
            '‘' | '’' => "'",
            '…' => "...",
            '№' => "No.",
            '\u{a0}' => " ",
            _ => "?",
        });
    }
    out.into()
}

/// Encodes text to write it back as the file came: the same encoding and byte-order mark.
/// (encoding_rs encodes UTF-16 as UTF-8, per the Encoding Standard, so UTF-16 is done here.)
pub fn encode(text: &str, encoding: &'static Encoding, bom: bool) -> Vec<u8> {
    if encoding == UTF_16LE || encoding == UTF_16BE {
        let le = encoding == UTF_16LE;
        let mut out = Vec::with_capacity(text.len() * 2 + 2);
        for unit in std::iter::once(0xFEFF_u16)
            .filter(|_| bom)
            .chain(text.encode_utf16())
        {
            out.extend_from_slice(&if le {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        return out;
    }
    let mut out = Vec::with_capacity(text.len() + 3);
    if bom && encoding == UTF_8 {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let (bytes, _, _) = encoding.encode(text);
    out.extend_from_slice(&bytes);
    out
}

/// Valid multi-byte UTF-8 sequences far outnumber the invalid bytes. (Text in a legacy
/// single-byte encoding almost never forms valid multi-byte UTF-8 sequences.)
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    multibyte >= 4 && invalid * 10 < multibyte
}

/// UTF-16 text without a BOM has a NUL in every other byte for Latin and digits (a CSV is
/// mostly those: delimiters, digits, `@`). A stray NUL in a UTF-8 file does not come close.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    if odd_nul * 10 >= pairs * 3 && even_nul * 10 < pairs {
        Some(UTF_16LE)
    } else if even_nul * 10 >= pairs * 3 && odd_nul * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The name we report: lower case, as people write it (`utf-8`, `windows-1251`).
pub fn encoding_name(encoding: &'static Encoding) -> String {
    encoding.name().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Контакт;Имя\n+7 999 123-45-67;Анна Петрова\n";

    #[test]
    fn utf8_with_and_without_bom() {
        let plain = decode(SAMPLE.as_bytes().to_vec(), None);
        assert_eq!(plain.encoding, UTF_8);
        assert_eq!(plain.text, SAMPLE);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(SAMPLE.as_bytes());
        let with_bom = decode(bom, None);
        assert_eq!(with_bom.text, SAMPLE);
    }

    #[test]
    fn windows_1251_is_recognised() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(SAMPLE);
        let decoded = decode(bytes.into_owned(), None);
        assert_eq!(encoding_name(decoded.encoding), "windows-1251");
        assert_eq!(decoded.text, SAMPLE);
        assert!(!decoded.had_errors);
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let units: Vec<u8> = SAMPLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend_from_slice(&units);
        assert_eq!(decode(with_bom, None).text, SAMPLE);
        let without = decode(units, None);
        assert_eq!(without.encoding, UTF_16LE);
        assert_eq!(without.text, SAMPLE);
        let be: Vec<u8> = SAMPLE.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(be, None).text, SAMPLE);
    }

    #[test]
    fn text_is_written_back_as_it_came() {
        for (encoding, bom) in [
            (UTF_8, false),
            (UTF_8, true),
            (encoding_rs::WINDOWS_1251, false),
            (UTF_16LE, true),
            (UTF_16BE, true),
        ] {
            let bytes = encode(SAMPLE, encoding, bom);
            let decoded = decode(bytes, None);
            assert_eq!(decoded.text, SAMPLE, "{}", encoding.name());
            assert_eq!(decoded.encoding, encoding);
            assert_eq!(decoded.had_bom, bom);
        }
    }

    #[test]
    fn characters_an_encoding_lacks_become_look_alikes() {
        let koi8 = encoding_rs::KOI8_R;
        assert_eq!(fit_to(koi8, "Ошибка — «x»…"), "Ошибка - \"x\"...");
        assert_eq!(
            fit_to(encoding_rs::WINDOWS_1251, "Ошибка — «x»"),
            "Ошибка — «x»"
        );
        assert_eq!(fit_to(encoding_rs::WINDOWS_1251, "a\u{FFFD}b"), "a?b");
        assert_eq!(fit_to(UTF_8, "😀"), "😀");
    }

    #[test]
    fn a_few_bad_bytes_in_utf8_keep_it_utf8() {
        let mut bytes = SAMPLE.as_bytes().to_vec();
        bytes.insert(SAMPLE.find('\n').unwrap() + 1, 0xFF);
        let decoded = decode(bytes, None);
        assert_eq!(decoded.encoding, UTF_8);
        assert!(decoded.had_errors);
        assert!(decoded.text.contains("Анна Петрова"));
    }

    #[test]
    fn a_forced_encoding_wins_and_bad_bytes_are_replaced_not_dropped() {
        let decoded = decode(b"a;\xFF\xFEb\n".to_vec(), Some(UTF_8));
        assert!(decoded.had_errors);
        assert_eq!(decoded.text, "a;\u{FFFD}\u{FFFD}b\n");
    }
}
