//! What crawlers read first: robots.txt and the sitemaps, in the three forms real shops use.
//!
//! A shop's live product URLs (in category, then item-id order) are dealt into
//! `P = max(3, ⌈n / sitemap_max_urls⌉)` contiguous parts of nearly equal size:
//! parts 1 … P−2 are `/sitemap-items-{i}.xml`, part P−1 is gzip-compressed as
//! `/sitemap-items-{P−1}.xml.gz`, and part P is the plain-text `/sitemap.txt`. Every live
//! product is in exactly one part, so a crawler that skips a form misses products. The index
//! `/sitemap.xml` lists the XML parts and `/sitemap-categories.xml`; robots.txt names the index
//! and the text sitemap. `/sitemap-items.xml`, the old single list of every product, is still
//! served for old links but listed nowhere.

use super::{day_start, esc};
use crate::catalogue::CATEGORIES;
use crate::market::{item_path, Market};
use std::fmt::Write;
use std::io::Write as _;
use std::ops::Range;

pub(super) fn robots(m: &Market, base_url: &str) -> String {
    let mut s = String::from("# robots.txt for the simulated shop\nUser-agent: *\n");
    for path in crate::DISALLOWED_PATHS {
        let _ = writeln!(s, "Disallow: {path}");
    }
    let _ = write!(
        s,
        "Crawl-delay: {}\n\nSitemap: {base_url}/sitemap.xml\nSitemap: {base_url}/sitemap.txt\n",
        m.cfg.crawl_delay
    );
    s
}

/// The parts a shop's live product URLs are dealt into (see the module doc), as index ranges
/// into the shop's live list.
fn parts(m: &Market, shop: usize) -> Vec<Range<usize>> {
    let n = m.live_count(shop);
    let p = n.div_ceil(m.cfg.sitemap_max_urls).max(3);
    (0..p).map(|i| i * n / p..(i + 1) * n / p).collect()
}

/// One of a shop's product sitemaps.
pub(super) enum ItemSitemap {
    Xml(String),
    Gzip(Vec<u8>),
}

/// `/sitemap-items-{name}` (`name` = `3.xml` or `4.xml.gz`), if the shop has that part in that
/// form. Here and below `base_url` is where product pages live.
pub(super) fn sitemap_part(
    m: &Market,
    shop: usize,
    base_url: &str,
    name: &str,
) -> Option<ItemSitemap> {
    let parts = parts(m, shop);
    let gz_part = parts.len() - 1; // 1-based number of the gzipped part
    let (number, gz) = match name.strip_suffix(".xml.gz") {
        Some(n) => (n, true),
        None => (name.strip_suffix(".xml")?, false),
    };
    // Canonical numbers only: `01.xml` would be a second URL of the same file.
    let k: usize = number
        .parse()
        .ok()
        .filter(|k: &usize| k.to_string() == number)?;
    if k == 0 || k > gz_part || (k == gz_part) != gz {
        return None;
    }
    let xml = urlset(item_entries(m, shop, base_url, parts[k - 1].clone()));
    Some(if gz {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(xml.as_bytes())
            .and_then(|_| enc.finish())
            .map(ItemSitemap::Gzip)
            .expect("gzip into memory cannot fail")
    } else {
        ItemSitemap::Xml(xml)
    })
}

/// `/sitemap.txt`: the last part, one absolute URL per line.
pub(super) fn sitemap_text(m: &Market, shop: usize, base_url: &str) -> String {
    let last = parts(m, shop).pop().expect("at least three parts");
    let mut s = String::new();
    for (url, _) in item_entries(m, shop, base_url, last) {
        s.push_str(&url);
        s.push('\n');
    }
    s
}

pub(super) fn sitemap_index(m: &Market, shop: usize, base_url: &str) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let gz_part = parts(m, shop).len() - 1;
    let children = (1..gz_part)
        .map(|k| format!("sitemap-items-{k}.xml"))
        .chain([
            format!("sitemap-items-{gz_part}.xml.gz"),
            "sitemap-categories.xml".to_string(),
        ]);
    for child in children {
        let _ = writeln!(
            s,
            "  <sitemap><loc>{}/{child}</loc></sitemap>",
            esc(base_url)
        );
    }
    s.push_str("</sitemapindex>\n");
    s
}

fn urlset(entries: impl Iterator<Item = (String, Option<String>)>) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, lastmod) in entries {
        let _ = write!(s, "  <url><loc>{}</loc>", esc(&loc));
        if let Some(d) = lastmod {
            let _ = write!(s, "<lastmod>{d}</lastmod>");
        }
        s.push_str("</url>\n");
    }
    s.push_str("</urlset>\n");
    s
}

/// Product URLs with their last-modified dates, for positions `range` of the shop's live list.
fn item_entries<'a>(
    m: &'a Market,
    shop: usize,
    base_url: &'a str,
    range: Range<usize>,
) -> impl Iterator<Item = (String, Option<String>)> + 'a {
    m.live[shop]
        .iter()
        .flatten()
        .skip(range.start)
        .take(range.len())
        .map(move |&i| {
            let o = &m.offers[i];
            let lastmod = day_start(o.modified_day).format("%Y-%m-%d").to_string();
            (format!("{base_url}{}", item_path(o.item_id)), Some(lastmod))
        })
}

/// The old single list of every live product (listed nowhere; kept for old links).
pub(super) fn sitemap_items(m: &Market, shop: usize, base_url: &str) -> String {
    urlset(item_entries(m, shop, base_url, 0..m.live_count(shop)))
}

pub(super) fn sitemap_categories(m: &Market, shop: usize, base_url: &str) -> String {
    urlset(
        CATEGORIES
            .iter()
            .enumerate()
            .filter(|(c, _)| !m.live[shop][*c].is_empty())
            .map(|(_, cat)| (format!("{base_url}/category/{}", cat.slug), None)),
    )
}
