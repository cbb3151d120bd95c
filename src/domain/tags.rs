//! `Tags`: the labels a row asks for, from one comma-separated cell.

use super::text::{TextField, chars_over, cleaned};

/// **Assumed**: Chat2Desk does not publish a limit on a tag's label; longer than this is
/// surely a cell pasted into the wrong column.
pub const MAX_TAG_CHARS: usize = 64;

/// Tag labels in the order first written, without repeats (compared case-insensitively: a
/// target looks tags up by label, and `VIP` and `vip` are one intent).
///
/// Held as one string, the labels joined by line breaks (a label never has one): a row's
/// tags are one allocation, and the joined form is the key under which `identity` files a
/// set of tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Box<str>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagTooLong {
    pub chars: usize,
}

impl Tags {
    /// Parses `vip, webinar; vip`. `;` is accepted too: Excel users in Russian locales use it
    /// as the list separator.
    pub fn parse(raw: &str) -> Result<Tags, TagTooLong> {
        // Never longer than the cell: cleaning only shortens, and a separator becomes one
        // line break. One allocation, and a label is not copied before it is kept.
        let mut joined = String::with_capacity(raw.len());
        for part in raw.split([',', ';', '\n']) {
            let label = cleaned(part, TextField::Name);
            if label.is_empty() {
                continue;
            }
            // Over the tag's limit (and so over a name's, which `clean` would have said).
            if let Some(chars) = chars_over(&label, MAX_TAG_CHARS) {
                return Err(TagTooLong { chars });
            }
            if !joined.split('\n').any(|t| same_label(t, &label)) {
                if !joined.is_empty() {
                    joined.push('\n');
                }
                joined.push_str(&label);
            }
        }
        Ok(Tags(joined.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split('\n').filter(|t| !t.is_empty())
    }

    /// The labels joined by line breaks.
    pub fn joined(&self) -> &str {
        &self.0
    }
}

/// Labels compare case-insensitively.
pub fn same_label(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_trimmed_and_deduplicated() {
        let tags = Tags::parse(" vip, вебинар ;VIP,, \n новый ").unwrap();
        assert_eq!(tags.iter().collect::<Vec<_>>(), ["vip", "вебинар", "новый"]);
        assert!(Tags::parse(" , ").unwrap().is_empty());
    }

    #[test]
    fn the_first_spelling_is_kept() {
        let tags = Tags::parse("VIP, a, vip").unwrap();
        assert_eq!(tags.iter().collect::<Vec<_>>(), ["VIP", "a"]);
        assert_eq!(tags.joined(), "VIP\na");
    }

    #[test]
    fn a_label_that_is_a_paragraph_is_refused() {
        assert_eq!(Tags::parse(&"x".repeat(65)), Err(TagTooLong { chars: 65 }));
    }
}
