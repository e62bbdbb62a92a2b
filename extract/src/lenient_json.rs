//! JSON as web pages write it: JavaScript comments, raw control characters inside strings,
//! trailing commas, HTML comment wrappers, `undefined`. Repaired in one pass, then parsed by
//! serde_json, so a page's broken JSON-LD or state object still yields its data.

use serde_json::Value;

/// The largest JSON text we try to parse (a bound against JSON bombs on hostile pages).
pub const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

/// Parses `text` strictly first, then repaired; `None` if neither works.
pub fn parse(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_JSON_BYTES {
        return None;
    }
    if let Ok(v) = serde_json::from_str(text) {
        return Some(v);
    }
    let repaired = repair(text);
    serde_json::from_str(&repaired).ok().or_else(|| {
        // Several objects one after another (`{...}{...}` or `{...};`): take them all.
        let values: Vec<Value> = serde_json::Deserializer::from_str(&repaired)
            .into_iter::<Value>()
            .map_while(Result::ok)
            .collect();
        match values.len() {
            0 => None,
            1 => values.into_iter().next(),
            _ => Some(Value::Array(values)),
        }
    })
}

/// Removes what JSON forbids but browsers' JavaScript accepts.
pub fn repair(text: &str) -> String {
    let mut text = text.trim();
    // `<!-- a note -->{…}` (a comment before the JSON) or `<!-- {…} -->` (a wrapper). The
    // JSON's first bracket and the next `-->` are searched once each, not per `<!--`: a
    // million `<!--` in a row would otherwise make this quadratic.
    let whole = text;
    let open = whole.find(['{', '[']).unwrap_or(whole.len());
    let mut close: Option<Option<usize>> = None; // cached absolute position of the next `-->`
    while let Some(rest) = text.strip_prefix("<!--") {
        let pos = whole.len() - rest.len();
        if close.is_some_and(|c| c.is_some_and(|c| c < pos)) {
            close = None;
        }
        let next = *close.get_or_insert_with(|| whole[pos..].find("-->").map(|c| pos + c));
        text = match next {
            Some(c) if c < open => whole[c + 3..].trim_start(),
            _ => rest.trim_start(),
        };
    }
    let text = text
        .trim_end_matches("-->")
        .trim()
        .trim_start_matches("<![CDATA[")
        .trim_end_matches("]]>")
        .trim_end_matches(';');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(quote) = in_string {
            match c {
                '\\' => {
                    // `\'` is valid in JS strings, not in JSON.
                    match chars.get(i + 1) {
                        Some('\'') => out.push('\''),
                        Some(&n) if "\"\\/bfnrtu".contains(n) => {
                            out.push('\\');
                            out.push(n);
                        }
                        Some(&n) => out.push(n),
                        None => {}
                    }
                    i += 2;
                    continue;
                }
                c if c == quote => {
                    out.push('"');
                    in_string = None;
                }
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '"' | '\'' => {
                in_string = Some(c);
                out.push('"');
                i += 1;
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            ',' => {
                // Trailing comma: the next meaningful character closes the container.
                let j = skip_blank(&chars, i + 1);
                if !matches!(chars.get(j), Some('}') | Some(']')) {
                    out.push(',');
                }
                i += 1;
            }
            'u' if chars[i..].starts_with(&['u', 'n', 'd', 'e', 'f', 'i', 'n', 'e', 'd'])
                && (i == 0 || !chars[i - 1].is_alphanumeric()) =>
            {
                out.push_str("null");
                i += 9;
            }
            c if (c as u32) < 0x20 && !c.is_whitespace() => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Index of the next character that is neither whitespace nor inside a comment.
fn skip_blank(chars: &[char], mut j: usize) -> usize {
    loop {
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        match (chars.get(j), chars.get(j + 1)) {
            (Some('/'), Some('/')) => {
                while j < chars.len() && chars[j] != '\n' {
                    j += 1;
                }
            }
            (Some('/'), Some('*')) => {
                j += 2;
                while j + 1 < chars.len() && !(chars[j] == '*' && chars[j + 1] == '/') {
                    j += 1;
                }
                j += 2;
            }
            _ => return j,
        }
    }
}

/// The balanced `{…}` or `[…]` starting at byte `start` of `text` (string-aware), for pulling
/// an object literal out of `window.__STATE__ = {…};`.
pub fn balanced(text: &str, start: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let open = *bytes.get(start)?;
    if open != b'{' && open != b'[' {
        return None;
    }
    let mut depth = 0usize;
    let mut in_string: Option<u8> = None;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = in_string {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                in_string = None;
            }
        } else {
            match b {
                b'"' | b'\'' => in_string = Some(b),
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&text[start..=i]);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comments_control_characters_and_trailing_commas() {
        let text = "{\n // category\n \"a\": \"line one\nline two\", /* x */ \"b\": [1, 2,],}";
        assert_eq!(
            parse(text),
            Some(json!({"a": "line one\nline two", "b": [1, 2]}))
        );
    }

    #[test]
    fn urls_inside_strings_are_not_comments() {
        let text = "{\"url\": \"https://example.com/a\", 'x': 'it\\'s',}";
        assert_eq!(
            parse(text),
            Some(json!({"url": "https://example.com/a", "x": "it's"}))
        );
    }

    #[test]
    fn html_comment_notes_and_wrappers_are_dropped() {
        assert_eq!(parse("<!-- note --> {\"a\": 1}"), Some(json!({"a": 1})));
        assert_eq!(parse("<!-- {\"a\": 1} -->"), Some(json!({"a": 1})));
        assert_eq!(
            parse("<!-- x --> <!-- <!-- {\"a\": [1,]} -->"),
            Some(json!({"a": [1]}))
        );
        assert_eq!(parse(&"<!--".repeat(100_000)), None);
    }

    #[test]
    fn balanced_object_is_cut_out_of_javascript() {
        let js = r#"window.__INITIAL_STATE__ = {"a": {"b": "}"}, "c": [1]}; window.x = 1;"#;
        let start = js.find('{').unwrap();
        assert_eq!(balanced(js, start), Some(r#"{"a": {"b": "}"}, "c": [1]}"#));
    }
}
