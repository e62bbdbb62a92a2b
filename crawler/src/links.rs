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

/// Longest `<meta http-equiv="refresh">` delay followed as a redirect: a longer one is a page
/// in its own right that refreshes itself later, not a hop.
pub const META_REFRESH_MAX_S: f64 = 10.0;

/// Where a `<meta http-equiv="refresh" content="N; url=…">` sends the visitor (consent and
/// "continue" pages use it instead of an HTTP redirect); `None` without one, for a refresh of
/// the page itself, or one that waits more than [`META_REFRESH_MAX_S`].
pub fn meta_refresh(doc: &Html, page_url: &Url) -> Option<Url> {
    let sel = Selector::parse("meta[http-equiv][content]").expect("static selector");
    let content = doc
        .select(&sel)
        .find(|m| {
            m.value()
                .attr("http-equiv")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"))
        })?
        .value()
        .attr("content")?;
    let (delay, rest) = content.split_once([';', ','])?;
    let delay: f64 = delay.trim().parse().ok()?;
    if !(0.0..=META_REFRESH_MAX_S).contains(&delay) {
        return None;
    }
    let rest = rest.trim();
    let target = match rest.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("url=") => &rest[4..],
        _ => rest,
    };
    let target = target.trim().trim_matches(|c| c == '\'' || c == '"');
    let next = page_url.join(target).ok()?;
    (matches!(next.scheme(), "http" | "https") && next != *page_url).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_refresh_is_a_hop_only_when_it_is_quick_and_goes_elsewhere() {
        let page = Url::parse("http://shop.example/item/1.html").unwrap();
        let get = |h: &str| meta_refresh(&Html::parse_document(h), &page).map(|u| u.to_string());
        assert_eq!(
            get(r#"<meta http-equiv="Refresh" content="0; URL='/consent?next=%2Fitem%2F1.html'">"#),
            Some("http://shop.example/consent?next=%2Fitem%2F1.html".into())
        );
        assert_eq!(
            get(r#"<meta http-equiv="refresh" content="3,url=https://www.shop.example/">"#),
            Some("https://www.shop.example/".into())
        );
        assert_eq!(
            get(r#"<meta http-equiv="refresh" content="300; url=/a">"#),
            None
        );
        assert_eq!(get(r#"<meta http-equiv="refresh" content="5">"#), None);
        assert_eq!(
            get(r#"<meta http-equiv="refresh" content="0; url=/item/1.html">"#),
            None
        );
        assert_eq!(
            get(r#"<meta http-equiv="refresh" content="0; url=javascript:x()">"#),
            None
        );
    }

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
