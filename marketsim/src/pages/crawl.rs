//! What crawlers read first: robots.txt and the sitemaps (an index pointing at child sitemaps).

use super::{day_start, esc};
use crate::catalogue::CATEGORIES;
use crate::market::{item_path, Market};
use std::fmt::Write;

pub(super) fn robots(m: &Market, base_url: &str) -> String {
    let mut s = String::from("# robots.txt for the simulated shop\nUser-agent: *\n");
    for path in crate::DISALLOWED_PATHS {
        let _ = writeln!(s, "Disallow: {path}");
    }
    let _ = write!(
        s,
        "Crawl-delay: {}\n\nSitemap: {base_url}/sitemap.xml\n",
        m.cfg.crawl_delay
    );
    s
}

pub(super) fn sitemap_index(base_url: &str) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for child in ["sitemap-items.xml", "sitemap-categories.xml"] {
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

pub(super) fn sitemap_items(m: &Market, shop: usize, base_url: &str) -> String {
    urlset(m.live[shop].iter().flatten().map(|&i| {
        let o = &m.offers[i];
        let lastmod = day_start(o.modified_day).format("%Y-%m-%d").to_string();
        (format!("{base_url}{}", item_path(o.item_id)), Some(lastmod))
    }))
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
