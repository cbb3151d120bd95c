//! Free text from a cell (name, comment, company, position): trimmed, cleaned of control
//! characters, and held to a length a target accepts.

use std::borrow::Cow;

/// Which free-text field; each has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Name,
    Comment,
    Company,
    Position,
    /// No limit: what `clean_cut` cleans before it cuts.
    Unbounded,
}

impl TextField {
    /// Limits in characters. **Assumed**: no target publishes them; 255 is the usual
    /// `varchar` of a name field, and a comment gets room for a paragraph.
    pub fn max_chars(self) -> usize {
        match self {
            TextField::Name | TextField::Company | TextField::Position => 255,
            TextField::Comment => 2000,
            TextField::Unbounded => usize::MAX,
        }
    }

    /// Whether line breaks are meaningful: a comment may have paragraphs, a name may not.
    fn keeps_line_breaks(self) -> bool {
        matches!(self, TextField::Comment | TextField::Unbounded)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    pub field: TextField,
    pub chars: usize,
}

/// A contact cell without the invisible characters copy-paste brings (iOS wraps a copied
/// number in direction marks); borrowed when there are none.
pub fn without_invisible(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.is_ascii() && raw.chars().any(is_invisible_format) {
        raw.chars()
            .filter(|c| !is_invisible_format(*c))
            .collect::<String>()
            .into()
    } else {
        raw.into()
    }
}

/// Cleans a cell. `Ok(None)` for a cell with nothing left.
///
/// Removed: control characters (NUL, escape…), and invisible format characters that come
/// with copy-paste (zero-width space, BOM, directional marks). Kept: the zero-width joiner,
/// which emoji sequences need. Runs of white space become one space.
pub fn clean(raw: &str, field: TextField) -> Result<Option<Box<str>>, TooLong> {
    let text = cleaned(raw, field);
    if let Some(chars) = chars_over(&text, field.max_chars()) {
        return Err(TooLong { field, chars });
    }
    Ok((!text.is_empty()).then(|| text.into()))
}

/// Cleans a cell and cuts what is longer than the field's limit at the limit, on a
/// character boundary: a long name or comment must not cost the contact (issue 12). The
/// cut, if any, comes back for the row's warning.
pub fn clean_cut(raw: &str, field: TextField) -> (Option<Box<str>>, Option<TooLong>) {
    let text = cleaned(raw, field);
    let Some(chars) = chars_over(&text, field.max_chars()) else {
        return ((!text.is_empty()).then(|| text.into()), None);
    };
    // What is cut is the cell cleaned as `Unbounded` cleans it, which keeps line breaks:
    // the same text for a comment, and for a name one made again (the same length: a run
    // of white space becomes one character either way).
    let unbounded = if field.keeps_line_breaks() {
        text
    } else {
        cleaned(raw, TextField::Unbounded)
    };
    let end = unbounded
        .char_indices()
        .nth(field.max_chars())
        .map_or(unbounded.len(), |(i, _)| i);
    let cut = unbounded[..end].trim_end();
    (
        (!cut.is_empty()).then(|| cut.into()),
        Some(TooLong { field, chars }),
    )
}

/// The cell as `clean` leaves it, borrowed when there is nothing to remove or fold (most
/// cells): no copy until the caller keeps it.
pub(super) fn cleaned(raw: &str, field: TextField) -> Cow<'_, str> {
    if is_clean(raw) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    let mut pending_newline = false;
    for c in raw.chars() {
        if c == '\n' && field.keeps_line_breaks() {
            pending_newline = true;
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = true;
            continue;
        }
        if is_invisible_format(c) {
            continue;
        }
        if !out.is_empty() {
            if pending_newline {
                out.push('\n');
            } else if pending_space {
                out.push(' ');
            }
        }
        pending_space = false;
        pending_newline = false;
        out.push(c);
    }
    Cow::Owned(out)
}

/// The characters of `text` when there are more than `max`. A text of at most `max` bytes
/// has at most `max` characters, and is not counted.
pub(super) fn chars_over(text: &str, max: usize) -> Option<usize> {
    if text.len() <= max {
        return None;
    }
    let chars = text.chars().count();
    (chars > max).then_some(chars)
}

/// Whether `clean` would return the cell as it is: single spaces between words, and
/// nothing else it removes or folds.
///
/// The only non-ASCII characters `clean` removes or folds (C1 controls, U+0085 and U+00A0,
/// U+1680, U+2000–U+206F, U+3000, U+FEFF–U+FFFF) all start with one of five lead bytes.
/// A first pass over the bytes, without branches (the compiler makes it SIMD), looks for
/// ASCII controls and two spaces in a row, and notes whether any of those lead bytes
/// appears: a Cyrillic or Latin cell has none and is decided there. Where one does (`«`,
/// `—` and `№` share them, so many Russian comments have one), `memchr` finds each, and the
/// character it starts is looked at alone.
fn is_clean(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return true;
    };
    if first == b' ' || last == b' ' {
        return false;
    }
    // `|` and `&`, not `||` and `&&`: a branch per byte keeps the compiler from making the
    // loop SIMD (with `&&` it did not, and this pass was 7% of `check`'s CPU).
    let control = |b: u8| u8::from(b < 0x20) | u8::from(b == 0x7F);
    let lead =
        |b: u8| u8::from(b == 0xC2) | u8::from(b.wrapping_sub(0xE1) < 3) | u8::from(b == 0xEF);
    let (bad, leads) = bytes.iter().zip(&bytes[1..]).fold(
        (control(last), lead(last)),
        |(bad, leads), (&b, &next)| {
            (
                bad | control(b) | (u8::from(b == b' ') & u8::from(next == b' ')),
                leads | lead(b),
            )
        },
    );
    if bad != 0 {
        return false;
    }
    // A lead byte is where a character starts.
    let removed_at = |i: usize| raw[i..].chars().next().is_some_and(is_removed);
    leads == 0
        || !(memchr::memchr3_iter(0xC2, 0xE2, 0xEF, bytes).any(removed_at)
            || memchr::memchr2_iter(0xE1, 0xE3, bytes).any(removed_at))
}

/// A character `clean` takes out of a cell, or folds into a separator.
fn is_removed(c: char) -> bool {
    c.is_whitespace() || c.is_control() || is_invisible_format(c)
}

/// Invisible characters copy-paste brings along (zero-width spaces, direction marks, BOM).
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' // zero-width space
            | '\u{200C}' // zero-width non-joiner
            | '\u{200E}' | '\u{200F}' // left-to-right / right-to-left marks
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}' // word joiner
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // byte order mark
            | '\u{FFFE}' | '\u{FFFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cells_without_anything_to_clean_are_clean() {
        // What `is_clean` must answer, by its definition, for every character between two
        // letters, alone, and next to a space.
        let reference = |cell: &str| {
            !cell.starts_with(' ')
                && !cell.ends_with(' ')
                && !cell.contains("  ")
                && cell.chars().all(|c| c == ' ' || !is_removed(c))
        };
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            for cell in [format!("я{c}b"), c.to_string(), format!("a {c}")] {
                assert_eq!(is_clean(&cell), reference(&cell), "{:?}", c);
            }
        }
        // Several characters with lead bytes, the removed one last.
        for cell in [
            "«Ромашка» — заказ №5",
            "«Ромашка» — заказ №5\u{a0}срочно",
            "ок\u{3000}да",
        ] {
            assert_eq!(is_clean(cell), reference(cell), "{cell:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_cleaned() {
        assert_eq!(
            clean("  Анна \t Петрова\u{0}\n", TextField::Name)
                .unwrap()
                .as_deref(),
            Some("Анна Петрова")
        );
        assert_eq!(
            clean("\u{200F}Ирина\u{200E}", TextField::Name)
                .unwrap()
                .as_deref(),
            Some("Ирина")
        );
        assert_eq!(clean(" \u{200B} ", TextField::Name).unwrap(), None);
        // Emoji sequences keep their joiner.
        assert_eq!(
            clean("Семья 👨‍👩‍👧", TextField::Name).unwrap().as_deref(),
            Some("Семья 👨‍👩‍👧")
        );
        // A formula-like name is text, not a formula.
        assert_eq!(
            clean("=HYPERLINK(\"x\")", TextField::Name)
                .unwrap()
                .as_deref(),
            Some("=HYPERLINK(\"x\")")
        );
    }

    #[test]
    fn comments_keep_their_paragraphs() {
        assert_eq!(
            clean("первая строка\r\n\nвторая", TextField::Comment)
                .unwrap()
                .as_deref(),
            Some("первая строка\nвторая")
        );
    }

    #[test]
    fn overlong_text_is_refused_with_its_length() {
        let long = "я".repeat(256);
        assert_eq!(
            clean(&long, TextField::Name),
            Err(TooLong {
                field: TextField::Name,
                chars: 256
            })
        );
        assert!(clean(&"я".repeat(2000), TextField::Comment).is_ok());
    }

    #[test]
    fn overlong_text_is_cut_at_the_limit_on_a_character_boundary() {
        let long = format!("{}  конец", "я".repeat(254));
        let (text, cut) = clean_cut(&long, TextField::Name);
        let text = text.unwrap();
        assert_eq!(text.chars().count(), 254, "the space at the cut is trimmed");
        assert!(text.chars().all(|c| c == 'я'));
        assert_eq!(
            cut,
            Some(TooLong {
                field: TextField::Name,
                chars: 260
            })
        );
        let (comment, cut) =
            clean_cut(&format!("{}\nвторая", "ж".repeat(2100)), TextField::Comment);
        assert_eq!(comment.unwrap().chars().count(), 2000);
        assert!(cut.is_some());
        assert_eq!(
            clean_cut("Анна", TextField::Name),
            (Some("Анна".into()), None)
        );
        // Four-byte characters are cut whole.
        let (emoji, _) = clean_cut(&"😀".repeat(300), TextField::Name);
        assert_eq!(emoji.unwrap().chars().count(), 255);
    }
}
