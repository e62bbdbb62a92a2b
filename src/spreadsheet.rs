//! CSV meant for spreadsheets: cells a spreadsheet would run as formulas are made text.
//! Used by every CSV qsword writes (alert digests, `qsword search --csv`, the console's
//! exports and statistics); not a CSV writer itself (that is the `csv` crate).

/// A spreadsheet opens a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage
/// return) as a formula: crawled text is hostile, so such a cell is made text with a leading
/// apostrophe (OWASP's advice). Numbers we write ourselves need not go through this.
pub fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_become_text_and_the_rest_is_kept() {
        assert_eq!(super::cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(super::cell("-1+2"), "'-1+2");
        assert_eq!(super::cell("公牛 插座"), "公牛 插座");
    }
}
