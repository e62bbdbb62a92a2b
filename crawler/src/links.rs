//! Links of a decoded page: every `<a href>`, resolved against `<base href>` or the page URL.

use scraper::{Html, Selector};
use url::Url;

/// Absolute http(s) links of `<a href>` elements, in document order (duplicates kept; the
/// frontier dedups on the canonical form).
pub fn extract_links(html: &str, page_url: &Url) -> Vec<Url> {
    links_in(&Html::parse_document(html), page_url)
}

/// [`extract_links`] on a parsed document.
pub fn links_in(doc: &Html, page_url: &Url) -> Vec<Url> {
    let a = Selector::parse("a[href]").expect("static selector");
    let base_sel = Selector::parse("base[href]").expect("static selector");
    let base = doc
        .select(&base_sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    doc.select(&a)
        .filter_map(|e| e.value().attr("href"))
        .filter_map(|h| base.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_links_and_skips_non_http() {
        let page = Url::parse("http://shop.example/category/toys?page=1").unwrap();
        let html = r#"<a href="/item/1.html">1</a><a href="item/2.html#x">2</a>
            <a href="mailto:a@b.c">m</a><a href="javascript:void(0)">j</a><a>none</a>
            <a href="http://other.example/">o</a>"#;
        let got: Vec<String> = extract_links(html, &page)
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "http://shop.example/item/1.html",
                "http://shop.example/category/item/2.html#x",
                "http://other.example/"
            ]
        );
    }
}
