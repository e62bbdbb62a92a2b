//! Sitemaps as sites really serve them: XML `<urlset>` and `<sitemapindex>` (sitemaps.org
//! 0.9), plain-text sitemaps (one URL per line), gzip-compressed either way, and RSS/Atom
//! feeds that sites list as sitemaps (their item links are taken).
//!
//! Lenient where real sites are sloppy: namespaces are not checked (prefixed, missing and
//! wrong ones are all common), so elements are matched on their local name; a UTF-8 BOM,
//! CDATA, entities and whitespace around `<loc>` are accepted; a `<sitemap>` whose URL is its
//! bare text (no `<loc>`) is read too. Gzip is recognised by its magic bytes, because servers
//! send `.gz` files with every content type and some already decompressed.
//!
//! Bounded: at most [`MAX_ENTRIES`] entries and [`MAX_DECOMPRESSED_BYTES`] of (decompressed)
//! document are read, the sitemaps.org limits; past either the result says it is truncated.
//! Gzip bodies are decompressed as a stream, never whole.

use std::borrow::Cow;
use std::io::{self, BufRead};

use chrono::{DateTime, NaiveDate, Utc};
use flate2::bufread::GzDecoder;
use quick_xml::events::Event;
use url::Url;

/// Most entries (URLs or child sitemaps) one sitemap may hold (sitemaps.org).
pub const MAX_ENTRIES: usize = 50_000;
/// Most bytes one sitemap may have once decompressed (sitemaps.org: 50 MiB).
pub const MAX_DECOMPRESSED_BYTES: u64 = 50 * 1024 * 1024;
/// Invalid entries whose reasons are kept; the rest are only counted.
pub const MAX_SKIPPED_REASONS: usize = 100;
/// A `<loc>` longer than this is not a URL anyone serves (sitemaps.org allows 2,048 chars).
const MAX_LOC_CHARS: usize = 8 * 1024;

/// What kind of document the sitemap was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapKind {
    /// `<urlset>`: page URLs.
    UrlSet,
    /// `<sitemapindex>`: URLs of further sitemaps.
    Index,
    /// Plain text, one URL per line.
    Text,
    /// An RSS or Atom feed: its item/entry links are taken as page URLs.
    Feed,
}

/// One page URL of a sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapUrl {
    pub loc: Url,
    /// `<lastmod>` (W3C datetime; a date alone is midnight UTC), or a feed entry's date.
    /// Absent when missing or unreadable.
    pub lastmod: Option<DateTime<Utc>>,
}

/// What one sitemap document lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sitemap {
    pub kind: SitemapKind,
    /// Page URLs (from a url set, a text sitemap or a feed).
    pub urls: Vec<SitemapUrl>,
    /// Child sitemap URLs (from a sitemap index).
    pub sitemaps: Vec<Url>,
    /// Why not every entry was read, when not: the entry or size limit was reached, or the
    /// document broke off (malformed XML after some entries had been read).
    pub truncated: Option<String>,
    /// Invalid entries (relative, non-http(s), unparsable `<loc>`), with the reason; at most
    /// [`MAX_SKIPPED_REASONS`] are kept.
    pub skipped: Vec<String>,
    /// How many entries were skipped in all (may exceed `skipped.len()`).
    pub skipped_count: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SitemapError {
    #[error("sitemap {url}: XML error at byte {position}{}: {message}", if *.decompressed { " (decompressed)" } else { "" })]
    Xml {
        url: String,
        position: u64,
        decompressed: bool,
        message: String,
    },
    #[error("sitemap {url}: gzip body cannot be decompressed: {source}")]
    Gzip { url: String, source: io::Error },
    #[error("sitemap {url}: not a sitemap (root element <{root}>)")]
    NotASitemap { url: String, root: String },
}

/// Parses one sitemap body as fetched (content-encoding already undone by the fetcher; a
/// gzip *file* is recognised and decompressed here). `url` is where it came from, for errors.
pub fn parse_sitemap(body: &[u8], url: &Url) -> Result<Sitemap, SitemapError> {
    let gzipped = body.starts_with(&[0x1f, 0x8b]);
    if gzipped {
        // Read errors (a corrupt gzip stream) are reported as gzip errors, not XML ones.
        parse_stream(io::BufReader::new(GzDecoder::new(body)), url, true)
    } else {
        parse_stream(body, url, false)
    }
}

/// Parses from a stream, reading at most [`MAX_DECOMPRESSED_BYTES`].
fn parse_stream<R: BufRead>(
    input: R,
    url: &Url,
    decompressed: bool,
) -> Result<Sitemap, SitemapError> {
    let mut input = input.take(MAX_DECOMPRESSED_BYTES);
    let io_err = |source: io::Error| SitemapError::Gzip {
        url: url.to_string(),
        source,
    };
    let skipped_prefix = skip_bom_and_space(&mut input).map_err(io_err)?;
    let first = input.fill_buf().map_err(io_err)?.first().copied();
    let mut out = Sitemap {
        kind: SitemapKind::Text,
        urls: Vec::new(),
        sitemaps: Vec::new(),
        truncated: None,
        skipped: Vec::new(),
        skipped_count: 0,
    };
    if first == Some(b'<') {
        parse_xml(&mut input, url, decompressed, skipped_prefix, &mut out)?;
    } else {
        parse_text(&mut input, &mut out).map_err(io_err)?;
    }
    if out.truncated.is_none()
        && input.limit() == 0
        && !input.get_mut().fill_buf().map_err(io_err)?.is_empty()
    {
        out.truncated = Some(format!(
            "stopped after {MAX_DECOMPRESSED_BYTES} bytes (the sitemaps.org limit)"
        ));
    }
    Ok(out)
}

/// Consumes a UTF-8 BOM and leading whitespace; returns how many bytes it consumed.
fn skip_bom_and_space<R: BufRead>(r: &mut R) -> io::Result<u64> {
    let mut n = 0u64;
    let buf = r.fill_buf()?;
    if buf.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
        n += 3;
    }
    loop {
        let buf = r.fill_buf()?;
        let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if ws == 0 {
            return Ok(n);
        }
        r.consume(ws);
        n += ws as u64;
    }
}

impl Sitemap {
    fn entries(&self) -> usize {
        self.urls.len() + self.sitemaps.len()
    }

    fn skip(&mut self, reason: String) {
        self.skipped_count += 1;
        if self.skipped.len() < MAX_SKIPPED_REASONS {
            self.skipped.push(reason);
        }
    }

    fn full(&mut self) -> bool {
        if self.entries() >= MAX_ENTRIES {
            self.truncated = Some(format!(
                "stopped at {MAX_ENTRIES} entries (the sitemaps.org limit)"
            ));
            true
        } else {
            false
        }
    }
}

/// An absolute http(s) URL, or why the entry is skipped.
fn check_loc(raw: &str) -> Result<Url, String> {
    if raw.is_empty() {
        return Err("no URL".into());
    }
    if raw.len() > MAX_LOC_CHARS {
        return Err(format!("URL longer than {MAX_LOC_CHARS} bytes"));
    }
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
        Ok(u) => Err(format!("scheme {:?} is not http(s): {raw:?}", u.scheme())),
        Err(url::ParseError::RelativeUrlWithoutBase) => Err(format!(
            "relative URL (sitemaps need absolute ones): {raw:?}"
        )),
        Err(e) => Err(format!("invalid URL ({e}): {raw:?}")),
    }
}

fn parse_text<R: BufRead>(input: &mut R, out: &mut Sitemap) -> io::Result<()> {
    let mut line = Vec::new();
    let mut lineno = 0usize;
    loop {
        line.clear();
        // Lines are bounded by the overall byte limit of `input`.
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        lineno += 1;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        if out.full() {
            return Ok(());
        }
        match check_loc(text) {
            Ok(loc) => out.urls.push(SitemapUrl { loc, lastmod: None }),
            Err(why) => out.skip(format!("line {lineno}: {why}")),
        }
    }
}

/// W3C datetime as sitemaps use it (`2005-01-01`, `2004-12-23T18:00:15+00:00`, …), or an
/// RSS (RFC 2822) date.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(d) = DateTime::parse_from_str(&s.replace('Z', "+00:00"), fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
    }
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The entry being read: a `<url>`, `<sitemap>`, RSS `<item>` or Atom `<entry>`.
#[derive(Default)]
struct Entry {
    /// Element depth of the entry element.
    depth: usize,
    start: u64,
    loc: Option<String>,
    lastmod: Option<String>,
    /// Text directly inside the entry (a `<sitemap>` holding its URL as bare text).
    bare: String,
    /// Atom `<link href>` values with no rel or rel="alternate".
    links: Vec<String>,
}

/// Which text is being collected.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    None,
    Loc,
    Lastmod,
    Bare,
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|&b| b == b':').next().unwrap_or(name)
}

fn parse_xml<R: BufRead>(
    input: &mut R,
    url: &Url,
    decompressed: bool,
    prefix: u64,
    out: &mut Sitemap,
) -> Result<(), SitemapError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut entry: Option<Entry> = None;
    let mut field = Field::None;
    let mut n_entries = 0usize;
    let xml_err = |position: u64, message: String| SitemapError::Xml {
        url: url.to_string(),
        position: prefix + position,
        decompressed,
        message,
    };
    loop {
        buf.clear();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(quick_xml::Error::Io(e)) => {
                return Err(SitemapError::Gzip {
                    url: url.to_string(),
                    source: io::Error::new(e.kind(), e.to_string()),
                })
            }
            Err(e) => {
                let pos = reader.error_position();
                if out.entries() + out.skipped_count > 0 {
                    // Real sitemaps break off (truncated uploads); keep what was read.
                    out.truncated = Some(format!(
                        "XML error at byte {} after {} entries: {e}",
                        prefix + pos,
                        n_entries
                    ));
                    return Ok(());
                }
                return Err(xml_err(pos, e.to_string()));
            }
        };
        let pos = reader.buffer_position();
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(ev, Event::Empty(_));
                let name = local(e.name().as_ref()).to_ascii_lowercase();
                if !root_seen {
                    root_seen = true;
                    out.kind = match name.as_slice() {
                        b"urlset" => SitemapKind::UrlSet,
                        b"sitemapindex" => SitemapKind::Index,
                        b"rss" | b"feed" | b"rdf" => SitemapKind::Feed,
                        other => {
                            return Err(SitemapError::NotASitemap {
                                url: url.to_string(),
                                root: String::from_utf8_lossy(other).into_owned(),
                            })
                        }
                    };
                }
                if !is_empty {
                    depth += 1;
                }
                let entry_tag: &[u8] = match out.kind {
                    SitemapKind::UrlSet => b"url",
                    SitemapKind::Index => b"sitemap",
                    _ if name == b"item" => b"item",
                    _ => b"entry",
                };
                match &mut entry {
                    None if name == entry_tag && !is_empty => {
                        entry = Some(Entry {
                            depth,
                            start: prefix + pos,
                            ..Entry::default()
                        });
                        field = Field::Bare;
                    }
                    // Only direct children count: `<image:loc>` inside `<image:image>` is not
                    // the page's URL.
                    Some(en) if depth + usize::from(is_empty) == en.depth + 1 => {
                        match name.as_slice() {
                            b"loc" if !is_empty && out.kind != SitemapKind::Feed => {
                                en.loc = Some(String::new());
                                field = Field::Loc;
                            }
                            b"link" if out.kind == SitemapKind::Feed => {
                                let mut href = None;
                                let mut rel = None;
                                for a in e.attributes().flatten() {
                                    let v =
                                        a.unescape_value().map(Cow::into_owned).unwrap_or_default();
                                    match a.key.local_name().as_ref() {
                                        b"href" => href = Some(v),
                                        b"rel" => rel = Some(v),
                                        _ => {}
                                    }
                                }
                                match (href, rel.as_deref()) {
                                    (Some(h), None | Some("alternate")) => en.links.push(h),
                                    (Some(_), Some(_)) => {}
                                    // RSS: the link is the element's text.
                                    (None, _) if !is_empty => {
                                        en.loc = Some(String::new());
                                        field = Field::Loc;
                                    }
                                    _ => {}
                                }
                            }
                            b"lastmod" | b"updated" | b"published" | b"pubdate"
                                if !is_empty && en.lastmod.is_none() =>
                            {
                                en.lastmod = Some(String::new());
                                field = Field::Lastmod;
                            }
                            _ if !is_empty => field = Field::None,
                            _ => {}
                        }
                    }
                    Some(_) if !is_empty => field = Field::None,
                    _ => {}
                }
            }
            Event::End(_) => {
                let closing_entry = entry.as_ref().is_some_and(|en| en.depth == depth);
                depth = depth.saturating_sub(1);
                if closing_entry {
                    n_entries += 1;
                    let en = entry.take().expect("checked above");
                    field = Field::None;
                    finish_entry(en, n_entries, out);
                    if out.full() {
                        return Ok(());
                    }
                } else if let Some(en) = &entry {
                    // Back inside the entry itself: bare text counts again.
                    field = if depth == en.depth {
                        Field::Bare
                    } else {
                        Field::None
                    };
                }
            }
            Event::Text(t) => {
                let s = t.decode().unwrap_or_default();
                push_text(&mut entry, field, &s);
            }
            Event::CData(t) => {
                let s = t.decode().unwrap_or_default();
                push_text(&mut entry, field, &s);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap_or_default();
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&name)
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("&{name};")),
                };
                push_text(&mut entry, field, &resolved);
            }
            Event::Eof => {
                if !root_seen {
                    return Err(xml_err(pos, "no root element".into()));
                }
                if depth > 0 && out.truncated.is_none() {
                    out.truncated = Some(format!(
                        "document ends inside an element at byte {} after {n_entries} entries",
                        prefix + pos
                    ));
                }
                return Ok(());
            }
            _ => {}
        }
    }
}

fn push_text(entry: &mut Option<Entry>, field: Field, s: &str) {
    let Some(en) = entry else { return };
    let target = match field {
        Field::Loc => en.loc.as_mut(),
        Field::Lastmod => en.lastmod.as_mut(),
        Field::Bare => Some(&mut en.bare),
        Field::None => None,
    };
    if let Some(t) = target {
        // Bounded so a runaway text node cannot grow without limit; check_loc rejects it.
        if t.len() <= MAX_LOC_CHARS {
            t.push_str(s);
        }
    }
}

fn finish_entry(en: Entry, n: usize, out: &mut Sitemap) {
    let lastmod = en.lastmod.as_deref().and_then(parse_date);
    let mut locs: Vec<String> = match en.loc {
        Some(l) => vec![l],
        None if !en.links.is_empty() => en.links,
        None => vec![en.bare],
    };
    for raw in locs.drain(..) {
        let raw = raw.trim();
        match check_loc(raw) {
            Ok(loc) if out.kind == SitemapKind::Index => out.sitemaps.push(loc),
            Ok(loc) => out.urls.push(SitemapUrl { loc, lastmod }),
            Err(why) => out.skip(format!("entry {n} (at byte {}): {why}", en.start)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn base() -> Url {
        Url::parse("http://shop.example/sitemap.xml").unwrap()
    }

    fn locs(s: &Sitemap) -> Vec<&str> {
        s.urls.iter().map(|u| u.loc.as_str()).collect()
    }

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn urlset_with_bom_cdata_entities_and_extensions() {
        let xml = "\u{feff}<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\
            <url><loc><![CDATA[http://shop.example/a?x=1&y=2]]></loc><lastmod>2024-03-01</lastmod>\
              <image:image><image:loc>http://img.example/1.jpg</image:loc></image:image></url>\
            <url><loc> http://shop.example/b?x=1&amp;y=&#50; </loc><lastmod>2024-03-01T10:20:30+02:00</lastmod></url>\
            <url><loc>/relative</loc></url>\
            <url><loc>ftp://shop.example/c</loc></url>\
            </urlset>";
        let s = parse_sitemap(xml.as_bytes(), &base()).unwrap();
        assert_eq!(s.kind, SitemapKind::UrlSet);
        assert_eq!(
            locs(&s),
            [
                "http://shop.example/a?x=1&y=2",
                "http://shop.example/b?x=1&y=2"
            ]
        );
        assert_eq!(
            s.urls[0].lastmod.unwrap().to_rfc3339(),
            "2024-03-01T00:00:00+00:00"
        );
        assert_eq!(
            s.urls[1].lastmod.unwrap().to_rfc3339(),
            "2024-03-01T08:20:30+00:00"
        );
        assert_eq!(s.skipped_count, 2);
        assert!(s.skipped[0].contains("relative"), "{:?}", s.skipped);
        assert!(s.skipped[1].contains("ftp"), "{:?}", s.skipped);
        assert!(s.truncated.is_none());
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes_for_xml_and_text() {
        let xml = b"<sitemapindex><sitemap><loc>http://shop.example/s1.xml.gz</loc></sitemap></sitemapindex>";
        let s = parse_sitemap(&gzip(xml), &base()).unwrap();
        assert_eq!(s.kind, SitemapKind::Index);
        assert_eq!(s.sitemaps[0].as_str(), "http://shop.example/s1.xml.gz");
        let s = parse_sitemap(
            &gzip(b"http://shop.example/1\n\nhttp://shop.example/2\r\n"),
            &base(),
        )
        .unwrap();
        assert_eq!(locs(&s), ["http://shop.example/1", "http://shop.example/2"]);
        let err = parse_sitemap(b"\x1f\x8bnot gzip at all", &base()).unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }

    #[test]
    fn entry_limit_truncates_and_says_so() {
        let mut text = String::new();
        for i in 0..MAX_ENTRIES + 5 {
            text.push_str(&format!("http://shop.example/p{i}\n"));
        }
        let s = parse_sitemap(text.as_bytes(), &base()).unwrap();
        assert_eq!(s.urls.len(), MAX_ENTRIES);
        assert!(s.truncated.as_deref().unwrap().contains("50000"));
    }

    #[test]
    fn broken_xml_is_an_error_naming_url_and_byte_unless_entries_were_read() {
        // One entry was read before the document broke off: kept, marked truncated.
        let s = parse_sitemap(
            b"<urlset><url><loc>http://a.example/</loc></url><url><loc>http://b.ex",
            &base(),
        )
        .unwrap();
        assert_eq!(locs(&s), ["http://a.example/"]);
        assert!(
            s.truncated.as_deref().unwrap().contains("ends inside"),
            "{s:?}"
        );
        let s = parse_sitemap(
            b"<urlset><url><loc>http://a.example/</loc></url></x>",
            &base(),
        )
        .unwrap();
        assert_eq!(locs(&s), ["http://a.example/"]);
        let err = parse_sitemap(b"<urlset><url></url", &base()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("sitemap http://shop.example/sitemap.xml: XML error at byte"),
            "{msg}"
        );
        let err = parse_sitemap(b"<html><body>hi</body></html>", &base()).unwrap_err();
        assert!(
            err.to_string()
                .contains("not a sitemap (root element <html>)"),
            "{err}"
        );
    }

    #[test]
    fn rss_items_give_their_links() {
        let rss = b"<rss version=\"2.0\"><channel><link>http://shop.example/</link>\
            <item><title>A</title><link>http://shop.example/a</link><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate></item>\
            </channel></rss>";
        let s = parse_sitemap(rss, &base()).unwrap();
        assert_eq!(s.kind, SitemapKind::Feed);
        assert_eq!(locs(&s), ["http://shop.example/a"]);
        assert!(s.urls[0].lastmod.is_some());
    }
}
