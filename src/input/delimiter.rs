//! Which character separates the cells: `,` `;` tab or `|`.
//!
//! The candidate under which the records agree best with the header's width wins. Sniffers
//! that look at character frequencies pick digits and dots out of phone numbers
//! (`shared/docs/dependencies.md`); counting fields per record does not.

/// The delimiters we detect, in the order ties are broken.
pub const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How many records of the file's start decide.
const SAMPLE_RECORDS: usize = 100;
const SAMPLE_BYTES: usize = 256 * 1024;

pub fn detect(text: &str) -> u8 {
    let mut end = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let truncated = end < text.len();
    let sample = &text.as_bytes()[..end];
    let mut best = (b',', (false, 0usize, 0usize));
    for delimiter in CANDIDATES {
        let score = score(sample, delimiter, truncated);
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// (the header has more than one cell, records as wide as the header, header width).
fn score(sample: &[u8], delimiter: u8, truncated: bool) -> (bool, usize, usize) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(sample);
    let mut widths: Vec<usize> = reader
        .byte_records()
        .take(SAMPLE_RECORDS + 1)
        .map_while(Result::ok)
        .map(|r| r.len())
        .collect();
    if truncated && widths.len() > 1 {
        // The last record may be cut in the middle.
        widths.pop();
    }
    let Some(&header) = widths.first() else {
        return (false, 0, 0);
    };
    let agreeing = widths[1..].iter().filter(|&&w| w == header).count();
    (header > 1, agreeing, header)
}

/// How we name a delimiter to a person.
pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_owned(),
        other => (other as char).to_string(),
    }
}

/// Parses `--delimiter`: one ASCII character, or `tab`.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "`{s}` is not a delimiter: give one character such as , ; | or the word tab"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_candidate_is_found() {
        assert_eq!(detect("phone,name\n89991234567,Anna\n"), b',');
        assert_eq!(
            detect("Телефон;Имя;Теги\n8 (999) 123-45-67;Анна;vip, new\n"),
            b';'
        );
        assert_eq!(detect("phone\tname\n8.999.123.45.67\tAnna\n"), b'\t');
        assert_eq!(detect("phone|name\n+7 999 123,45,67|Anna\n"), b'|');
    }

    #[test]
    fn quoted_delimiters_do_not_mislead() {
        let text = "name,phone,tags\n\"Петров; Иван\",89991234567,\"a;b\"\n\"Сидоров; Пётр\",89991234568,c\n";
        assert_eq!(detect(text), b',');
    }

    #[test]
    fn a_single_column_file_reads_with_a_comma() {
        assert_eq!(detect("contact\n89991234567\n"), b',');
        assert_eq!(detect(""), b',');
    }

    #[test]
    fn the_override_accepts_tab_by_name() {
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("ab").is_err());
    }
}
