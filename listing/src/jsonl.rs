//! JSON Lines: one [`Listing`] per line. Reading reports every bad record by line number and
//! field path and keeps going, unless asked to be strict.

use crate::Listing;
use std::io::{self, BufRead, Write};

/// Why one line of a JSONL stream was not a valid listing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: field `{field}`: {message}")]
pub struct RecordError {
    /// 1-based line number in the stream.
    pub line: usize,
    /// JSON path of the offending field (`price.currency`), or `.` for the whole record.
    pub field: String,
    pub message: String,
}

/// What a read produced: the good listings and every bad line.
#[derive(Debug, Default)]
pub struct JsonlReport {
    pub listings: Vec<(usize, Listing)>,
    pub errors: Vec<RecordError>,
}

/// Reads listings from JSON Lines. Blank lines are skipped. With `strict`, stops at the first
/// bad record (the report then holds the good ones before it and that one error).
/// I/O errors end the read and are returned as such: they are not the data's fault.
pub fn read_jsonl<R: BufRead>(mut reader: R, strict: bool) -> io::Result<JsonlReport> {
    let mut report = JsonlReport::default();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line_no += 1;
        // A line that is not UTF-8 is that line's fault, not the stream's: report and go on.
        let parsed = match std::str::from_utf8(&buf) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => parse_line(line.trim(), line_no),
            Err(e) => Err(RecordError {
                line: line_no,
                field: ".".into(),
                message: format!("not UTF-8 (invalid byte at column {})", e.valid_up_to() + 1),
            }),
        };
        match parsed {
            Ok(listing) => report.listings.push((line_no, listing)),
            Err(e) => {
                report.errors.push(e);
                if strict {
                    break;
                }
            }
        }
    }
    Ok(report)
}

fn parse_line(text: &str, line: usize) -> Result<Listing, RecordError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let listing: Listing = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // A missing required field shows up at the record's root; name the field itself.
        let field = match (path.as_str(), missing_field(&message)) {
            (".", Some(name)) => name.to_string(),
            _ => path,
        };
        RecordError {
            line,
            field,
            message: strip_position(&message),
        }
    })?;
    listing.validate().map_err(|(field, message)| RecordError {
        line,
        field: field.into(),
        message,
    })?;
    Ok(listing)
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// serde_json appends " at line 1 column 57"; the line number is ours, the column is noise.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Writes one listing as one line.
pub fn write_listing_line<W: Write>(mut w: W, listing: &Listing) -> io::Result<()> {
    serde_json::to_writer(&mut w, listing)?;
    w.write_all(b"\n")
}

/// Writes listings as JSON Lines.
pub fn write_jsonl<'a, W: Write>(
    mut w: W,
    listings: impl IntoIterator<Item = &'a Listing>,
) -> io::Result<()> {
    for l in listings {
        write_listing_line(&mut w, l)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"url":"https://a.example/1","title":"公牛 插座","price":{"amount":"39.90","currency":"CNY"}}"#;

    #[test]
    fn bad_lines_are_named_by_line_and_field_and_good_lines_kept() {
        let input = format!(
            "{GOOD}\n\n{}\n{}\n{}\n{GOOD}\n",
            r#"{"url":"https://a.example/2","title":"x","price":{"amount":"1","currency":"yuan"}}"#,
            r#"{"url":"https://a.example/3"}"#,
            r#"{"url":"https://a.example/4","title":"x","price":{"amount":12.5,"currency":"CNY"}}"#,
        );
        let r = read_jsonl(input.as_bytes(), false).unwrap();
        assert_eq!(
            r.listings.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![1, 6]
        );
        let where_: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(
            where_,
            vec![(3, "price.currency"), (4, "title"), (5, "price.amount")]
        );
        assert!(
            r.errors[0].to_string().contains("ISO 4217"),
            "{}",
            r.errors[0]
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_reported_and_skipped() {
        let mut input = format!("{GOOD}\n").into_bytes();
        input.extend_from_slice(b"{\"url\":\"u\",\"title\":\"\xff\xfe\"}\n");
        input.extend_from_slice(format!("{GOOD}\n").as_bytes());
        let r = read_jsonl(&input[..], false).unwrap();
        assert_eq!(r.listings.len(), 2);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].line, 2);
        assert!(r.errors[0].message.contains("not UTF-8"), "{}", r.errors[0]);
    }

    #[test]
    fn strict_stops_at_the_first_bad_record() {
        let input = format!("{GOOD}\nnot json\n{GOOD}\n");
        let r = read_jsonl(input.as_bytes(), true).unwrap();
        assert_eq!(r.listings.len(), 1);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].line, 2);
    }

    #[test]
    fn unknown_fields_round_trip() {
        let line = r#"{"url":"u","title":"t","x_vendor":{"a":[1,2]}}"#;
        let r = read_jsonl(line.as_bytes(), true).unwrap();
        let mut out = Vec::new();
        write_jsonl(&mut out, r.listings.iter().map(|(_, l)| l)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim(), line);
    }
}
