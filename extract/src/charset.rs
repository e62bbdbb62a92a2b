//! Bytes → text: which charset a page is in, and how we know.
//!
//! Order of evidence (as browsers do, WHATWG "encoding sniffing"): a byte-order mark, then the
//! `charset` parameter of the Content-Type header, then `<meta charset>` /
//! `<meta http-equiv="Content-Type">` in the first 2 KB, then statistical detection
//! (chardetng). GBK and GB2312 labels decode with GB18030, their superset, so characters outside
//! GBK that shops still use come out right.

use encoding_rs::Encoding;
use regex::bytes::Regex;
use std::sync::LazyLock;

/// What decided a page's charset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A UTF-8/UTF-16 byte-order mark.
    Bom,
    /// The `charset=` parameter of the HTTP Content-Type header.
    Header,
    /// A `<meta>` tag near the top of the document.
    Meta,
    /// No declaration: chardetng guessed from the bytes.
    Detected,
}

impl CharsetSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Bom => "bom",
            CharsetSource::Header => "header",
            CharsetSource::Meta => "meta",
            CharsetSource::Detected => "detected",
        }
    }
}

/// How far into the document a `<meta>` charset declaration is honoured (HTML spec: 1024
/// bytes; real pages put long `<title>`s and scripts first, so we look a little further).
const META_WINDOW: usize = 2048;

/// Picks the encoding of `body`, with the evidence that decided it.
pub fn sniff(body: &[u8], content_type: Option<&str>) -> (&'static Encoding, CharsetSource) {
    if let Some((enc, _)) = Encoding::for_bom(body) {
        return (enc, CharsetSource::Bom);
    }
    if let Some(enc) = content_type.and_then(charset_param).and_then(label) {
        return (enc, CharsetSource::Header);
    }
    if let Some(enc) = meta_charset(&body[..body.len().min(META_WINDOW)]) {
        return (enc, CharsetSource::Meta);
    }
    // Scripts run on these pages in browsers, hence no ISO-2022-JP (as the crate advises);
    // UTF-8 is allowed: a crawler, unlike a browser, wants the right answer.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(body, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    (superset(guess), CharsetSource::Detected)
}

/// `text/html; charset="gbk"` → `gbk`.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']))
    })
}

/// An encoding label → the decoder to use. A UTF-16 label inside an ASCII-compatible
/// document is a lie (the spec says so), hence UTF-8.
fn label(name: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(name.trim().as_bytes())?;
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(encoding_rs::UTF_8);
    }
    Some(superset(enc))
}

/// GBK (and GB2312, which maps to it) decode as GB18030: same bytes, more characters.
fn superset(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::GBK {
        encoding_rs::GB18030
    } else {
        enc
    }
}

static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    // `<meta charset="gbk">` and `<meta http-equiv="Content-Type" content="text/html;
    // charset=gbk">` (attributes in any order); bytes, so any ASCII-compatible charset works.
    Regex::new(r#"(?i-u)<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"#).unwrap()
});

fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    META_CHARSET.captures_iter(head).find_map(|c| {
        let name = std::str::from_utf8(c.get(1)?.as_bytes()).ok()?;
        label(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_beats_meta_and_gbk_means_gb18030() {
        let body = b"<meta charset=utf-8><p>x";
        let (enc, src) = sniff(body, Some("text/html; charset=GBK"));
        assert_eq!((enc, src), (encoding_rs::GB18030, CharsetSource::Header));
    }

    #[test]
    fn http_equiv_meta_is_read() {
        let body =
            br#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">"#;
        assert_eq!(
            sniff(body, Some("text/html")),
            (encoding_rs::GB18030, CharsetSource::Meta)
        );
    }

    #[test]
    fn bom_wins() {
        let body = b"\xEF\xBB\xBF<meta charset=gbk>";
        assert_eq!(
            sniff(body, Some("text/html; charset=latin1")).1,
            CharsetSource::Bom
        );
    }

    #[test]
    fn undeclared_gbk_is_detected() {
        let text = "<html><body><h1>飞利浦 空气炸锅 家用大容量 多功能 智能触控 正品保证</h1>\
                    <p>公牛插座 正泰开关 美的电饭煲 国家强制性产品认证</p></body></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let (enc, src) = sniff(&bytes, None);
        assert_eq!(src, CharsetSource::Detected);
        assert_eq!(enc.decode(&bytes).0, text);
    }
}
