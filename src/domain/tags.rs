//! `Tags`: the labels a row asks for, from one comma-separated cell.

use super::text::{TextField, clean};

/// **Assumed**: Chat2Desk does not publish a limit on a tag's label; longer than this is
/// surely a cell pasted into the wrong column.
pub const MAX_TAG_CHARS: usize = 64;

/// Tag labels in the order first written, without repeats (compared case-insensitively: a
/// target looks tags up by label, and `VIP` and `vip` are one intent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<Box<str>>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagTooLong {
    pub chars: usize,
}

impl Tags {
    /// Parses `vip, webinar; vip`. `;` is accepted too: Excel users in Russian locales use it
    /// as the list separator.
    pub fn parse(raw: &str) -> Result<Tags, TagTooLong> {
        let mut tags = Tags::default();
        for part in raw.split([',', ';', '\n']) {
            let label = match clean(part, TextField::Name) {
                Ok(Some(label)) => label,
                Ok(None) => continue,
                Err(too_long) => {
                    return Err(TagTooLong {
                        chars: too_long.chars,
                    });
                }
            };
            let chars = label.chars().count();
            if chars > MAX_TAG_CHARS {
                return Err(TagTooLong { chars });
            }
            tags.insert(label);
        }
        Ok(tags)
    }

    /// Adds a label unless it is there already.
    pub fn insert(&mut self, label: Box<str>) {
        let lower = label.to_lowercase();
        if !self.0.iter().any(|t| t.to_lowercase() == lower) {
            self.0.push(label);
        }
    }

    /// Unites another set into this one, keeping this one's order first.
    pub fn union(&mut self, other: &Tags) {
        for label in &other.0 {
            self.insert(label.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|t| &**t)
    }
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
    fn union_keeps_the_first_spelling() {
        let mut a = Tags::parse("VIP, a").unwrap();
        a.union(&Tags::parse("vip, b").unwrap());
        assert_eq!(a.iter().collect::<Vec<_>>(), ["VIP", "a", "b"]);
    }

    #[test]
    fn a_label_that_is_a_paragraph_is_refused() {
        assert_eq!(Tags::parse(&"x".repeat(65)), Err(TagTooLong { chars: 65 }));
    }
}
