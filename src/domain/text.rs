//! Free text from a cell (name, comment, company, position): trimmed, cleaned of control
//! characters, and held to a length a target accepts.

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
    if is_clean(raw) {
        // Most cells: nothing to remove, one copy.
        return within_limit(raw.into(), field);
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
    within_limit(out.into(), field)
}

/// Cleans a cell and cuts what is longer than the field's limit at the limit, on a
/// character boundary: a long name or comment must not cost the contact (issue 12). The
/// cut, if any, comes back for the row's warning.
pub fn clean_cut(raw: &str, field: TextField) -> (Option<Box<str>>, Option<TooLong>) {
    match clean(raw, field) {
        Ok(text) => (text, None),
        Err(too_long) => {
            // `clean` refuses only for length: cleaned again without the limit, then cut.
            let cleaned = clean(raw, TextField::Unbounded)
                .ok()
                .flatten()
                .unwrap_or_default();
            let cut: String = cleaned.chars().take(field.max_chars()).collect();
            let cut = cut.trim_end();
            ((!cut.is_empty()).then(|| cut.into()), Some(too_long))
        }
    }
}

fn within_limit(text: Box<str>, field: TextField) -> Result<Option<Box<str>>, TooLong> {
    if text.is_empty() {
        return Ok(None);
    }
    let chars = text.chars().count();
    if chars > field.max_chars() {
        return Err(TooLong { field, chars });
    }
    Ok(Some(text))
}

/// Whether `clean` would return the cell as it is: single spaces between words, and
/// nothing else it removes or folds.
fn is_clean(raw: &str) -> bool {
    if raw.starts_with(' ') || raw.ends_with(' ') || raw.contains("  ") {
        return false;
    }
    raw.chars()
        .all(|c| c == ' ' || !(c.is_whitespace() || c.is_control() || is_invisible_format(c)))
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
