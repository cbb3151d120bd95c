//! A1 notation: column letters and quoted sheet names.
//!
//! A range names its sheet before `!`. A name with spaces, Cyrillic, quotes or punctuation
//! must be quoted, `'Лист 1'!A1:C`, a quote inside doubled, `'It''s'!A1`. Quoting a plain
//! name is allowed too, so we always quote: one rule, no guessing which names need it.

/// The letters of a 1-based column number: 1 → `A`, 26 → `Z`, 27 → `AA`.
///
/// # Panics
/// On column 0: there is no such column, and asking for it is a bug in the caller.
pub fn column_letters(column: u32) -> String {
    assert!(column >= 1, "A1 columns start at 1");
    let mut n = column;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// The 1-based column number of its letters (`AA` → 27); case does not matter, as in the
/// Sheets UI. `None` for anything but letters, or a column past `u32`.
pub fn column_number(letters: &str) -> Option<u32> {
    if letters.is_empty() {
        return None;
    }
    letters.bytes().try_fold(0u32, |n, b| {
        if !b.is_ascii_alphabetic() {
            return None;
        }
        let digit = u32::from(b.to_ascii_uppercase() - b'A') + 1;
        n.checked_mul(26)?.checked_add(digit)
    })
}

/// The sheet name as a range writes it: always quoted, quotes doubled.
pub fn quote_sheet(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// `'Sheet'!F2:G9`: a block from (`first_column`, `first_row`) to (`last_column`,
/// `last_row`), all 1-based and inclusive.
pub fn block(
    sheet: &str,
    first_column: u32,
    first_row: u32,
    last_column: u32,
    last_row: u32,
) -> String {
    format!(
        "{}!{}{}:{}{}",
        quote_sheet(sheet),
        column_letters(first_column),
        first_row,
        column_letters(last_column),
        last_row
    )
}

/// A range read back: the sheet name unquoted, and whichever bounds it gave. `A:C` has
/// columns only, `2:5` rows only, `A1` is one cell (its end is its start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub sheet: String,
    pub first_column: Option<u32>,
    pub first_row: Option<u32>,
    pub last_column: Option<u32>,
    pub last_row: Option<u32>,
}

impl Range {
    /// Reads `'Name'!A1:C`, `Name!A1`, `'Name'` or `Name`. A name without quotes runs to
    /// the first `!`; a bare name is the whole sheet (Google would also try it as a cell
    /// reference in the first sheet — we never send those).
    pub fn parse(text: &str) -> Option<Range> {
        let (sheet, rest) = if let Some(quoted) = text.strip_prefix('\'') {
            let mut name = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if matches!(chars.peek(), Some((_, '\''))) {
                        chars.next();
                        name.push('\'');
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    name.push(c);
                }
            }
            let rest = &quoted[end?..];
            let rest = match rest {
                "" => None,
                _ => Some(rest.strip_prefix('!')?),
            };
            (name, rest)
        } else {
            match text.split_once('!') {
                Some((name, rest)) => (name.to_owned(), Some(rest)),
                None => (text.to_owned(), None),
            }
        };
        if sheet.is_empty() {
            return None;
        }
        let mut range = Range {
            sheet,
            first_column: None,
            first_row: None,
            last_column: None,
            last_row: None,
        };
        if let Some(rest) = rest {
            let (first, last) = match rest.split_once(':') {
                Some((first, last)) => (first, Some(last)),
                None => (rest, None),
            };
            (range.first_column, range.first_row) = cell(first)?;
            (range.last_column, range.last_row) = match last {
                Some(last) => cell(last)?,
                None => (range.first_column, range.first_row),
            };
        }
        Some(range)
    }
}

/// Written back as Google echoes a range in its answers: the name quoted, then the bounds
/// given (`'Лист 1'!A1:C`, `'Data'!B3`, `'Plain'`).
impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cell = |column: Option<u32>, row: Option<u32>| {
            column.map(column_letters).unwrap_or_default()
                + &row.map(|r| r.to_string()).unwrap_or_default()
        };
        f.write_str(&quote_sheet(&self.sheet))?;
        let first = cell(self.first_column, self.first_row);
        let last = cell(self.last_column, self.last_row);
        if !first.is_empty() {
            write!(f, "!{first}")?;
            if last != first {
                write!(f, ":{last}")?;
            }
        }
        Ok(())
    }
}

/// `B7` → (2, 7); `B` → (2, none); `7` → (none, 7).
fn cell(text: &str) -> Option<(Option<u32>, Option<u32>)> {
    let split = text
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(text.len());
    let (letters, digits) = text.split_at(split);
    let column = match letters {
        "" => None,
        l => Some(column_number(l)?),
    };
    let row = match digits {
        "" => None,
        d => Some(d.parse::<u32>().ok().filter(|r| *r >= 1)?),
    };
    if column.is_none() && row.is_none() {
        return None;
    }
    Some((column, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_go_both_ways() {
        for (n, l) in [
            (1, "A"),
            (26, "Z"),
            (27, "AA"),
            (52, "AZ"),
            (53, "BA"),
            (702, "ZZ"),
            (703, "AAA"),
            (18278, "ZZZ"),
        ] {
            assert_eq!(column_letters(n), l);
            assert_eq!(column_number(l), Some(n));
        }
        assert_eq!(column_number("aa"), Some(27));
        assert_eq!(column_number(""), None);
        assert_eq!(column_number("A1"), None);
        assert_eq!(column_number(&"Z".repeat(10)), None);
        for n in 1..2000 {
            assert_eq!(column_number(&column_letters(n)), Some(n));
        }
    }

    #[test]
    fn names_are_always_quoted() {
        assert_eq!(quote_sheet("Лист 1"), "'Лист 1'");
        assert_eq!(quote_sheet("It's"), "'It''s'");
        assert_eq!(quote_sheet("Sheet1"), "'Sheet1'");
        assert_eq!(block("Лист 1", 1, 1, 3, 9), "'Лист 1'!A1:C9");
    }

    #[test]
    fn ranges_read_back() {
        let r = Range::parse("'It''s #1 / ok?'!F2:G9").unwrap();
        assert_eq!(r.sheet, "It's #1 / ok?");
        assert_eq!(
            (r.first_column, r.first_row, r.last_column, r.last_row),
            (Some(6), Some(2), Some(7), Some(9))
        );
        let r = Range::parse("'Лист 1'!A1:C").unwrap();
        assert_eq!(
            (r.first_column, r.first_row, r.last_column, r.last_row),
            (Some(1), Some(1), Some(3), None)
        );
        let r = Range::parse("Data!B3").unwrap();
        assert_eq!(
            (r.sheet.as_str(), r.last_column, r.last_row),
            ("Data", Some(2), Some(3))
        );
        assert_eq!(Range::parse("'A''B'").unwrap().sheet, "A'B");
        // Written back quoted, as parsed.
        for text in [
            "'Q#1?/a&b=''x'' Лист'!A1:Z10000",
            "'Лист 1'!A1:C",
            "'Data'!B3",
            "'Rows'!2:5",
            "'Plain'",
        ] {
            assert_eq!(Range::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Range::parse("Data!B3:B3").unwrap().to_string(), "'Data'!B3");
        assert_eq!(Range::parse("Plain").unwrap().first_column, None);
        assert_eq!(Range::parse("'open"), None);
        assert_eq!(Range::parse("'x'y"), None);
        assert_eq!(Range::parse("'x'!"), None);
        assert_eq!(Range::parse("''"), None);
    }
}
