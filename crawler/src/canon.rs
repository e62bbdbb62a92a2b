//! URL canonicalisation: one spelling per page, so the frontier fetches each page once.

use url::Url;

/// Query parameters that only track the visitor and never change the page.
pub const TRACKING_PARAMS: &[&str] = &[
    "spm",
    "scm",
    "gclid",
    "fbclid",
    "msclkid",
    "yclid",
    "_hsenc",
    "_hsmi",
    "mc_cid",
    "mc_eid",
    "pvid",
    "trackId",
    "share_token",
];

fn is_tracking(name: &str, extra: &[String]) -> bool {
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name) || extra.iter().any(|e| e == name)
}

/// The canonical form of a URL: lower-case host and no default port (the `url` crate's parser
/// already does both), no fragment, and tracking parameters (`utm_*`, `spm`, `scm`, …)
/// removed. The rest of the query is kept as the site wrote it — order and percent-encoding
/// untouched — because robots.txt rules match the spelling the site links, signed URLs depend
/// on the order, and GBK-encoded values (`?q=%C4%CC`) are not UTF-8 and must not be decoded.
///
/// ```
/// let u = url::Url::parse("HTTP://Shop.Example:80/item/1.html?b=2&utm_source=x&a=1#reviews").unwrap();
/// assert_eq!(qsword_crawler::canonicalize(&u).as_str(), "http://shop.example/item/1.html?b=2&a=1");
/// ```
pub fn canonicalize(url: &Url) -> Url {
    canonicalize_with(url, &[])
}

/// [`canonicalize`], also removing a site's own tracking parameters `extra`.
pub fn canonicalize_with(url: &Url, extra: &[String]) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    if let Some(query) = url.query() {
        // Raw `&`-separated pieces: only the name is decoded, and only to compare it.
        let kept: Vec<&str> = query
            .split('&')
            .filter(|piece| {
                let name = url::form_urlencoded::parse(piece.as_bytes())
                    .next()
                    .map(|(k, _)| k);
                !name.is_some_and(|k| is_tracking(&k, extra))
            })
            .collect();
        let kept = kept.join("&");
        u.set_query((!kept.is_empty()).then_some(kept.as_str()));
    }
    u
}

/// The politeness key of a URL: its host name, with the port only when it is not the
/// scheme's default, so `http://x` and `https://x` share one slot (one request in flight,
/// one delay). robots.txt is per [`origin`].
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    // The parser drops a default port, so `port()` is only ever another one.
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// `scheme://host:port`: what one robots.txt covers (RFC 9309).
pub fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        canonicalize(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn spellings_of_one_page_share_a_canonical_form() {
        let a = c("http://SHOP.example:80/item/7.html?color=red&sku=2#top");
        let b = c("http://shop.example/item/7.html?color=red&utm_medium=mail&sku=2&spm=a1.b2");
        let d = c("http://shop.example/item/7.html?scm=1007&color=red&sku=2&utm_source=wx");
        assert_eq!(a, "http://shop.example/item/7.html?color=red&sku=2");
        assert_eq!(a, b);
        assert_eq!(a, d);
    }

    #[test]
    fn only_tracking_query_is_dropped_entirely_and_https_default_port_goes() {
        assert_eq!(
            c("https://Shop.example:443/a?utm_source=x"),
            "https://shop.example/a"
        );
        assert_eq!(
            c("http://shop.example:8080/a"),
            "http://shop.example:8080/a"
        );
        // Different pages stay different.
        assert_ne!(
            c("http://s.example/c?page=1"),
            c("http://s.example/c?page=2")
        );
    }

    #[test]
    fn http_and_https_of_one_name_share_a_host_key_not_an_origin() {
        let k = |s: &str| host_key(&Url::parse(s).unwrap());
        let o = |s: &str| origin(&Url::parse(s).unwrap());
        assert_eq!(k("http://Shop.example/a"), "shop.example");
        assert_eq!(k("https://shop.example:443/b"), "shop.example");
        assert_eq!(k("http://shop.example:8080/"), "shop.example:8080");
        assert_eq!(k("https://[::1]:8443/"), "[::1]:8443");
        assert_eq!(o("http://shop.example/a"), "http://shop.example:80");
        assert_ne!(o("http://shop.example/"), o("https://shop.example/"));
    }

    #[test]
    fn gbk_queries_keep_their_bytes_and_stay_apart() {
        // 奶 and 粉 in GBK: not UTF-8, so decoding would turn both into U+FFFD.
        let milk = c("http://s.example/search?q=%C4%CC&spm=1");
        let powder = c("http://s.example/search?q=%B7%DB");
        assert_eq!(milk, "http://s.example/search?q=%C4%CC");
        assert_eq!(powder, "http://s.example/search?q=%B7%DB");
        assert_ne!(milk, powder);
    }

    #[test]
    fn the_sites_order_and_spelling_are_kept() {
        // A signed URL: the signature covers the parameters in this order.
        assert_eq!(
            c("http://s.example/p?b=2&a=1&utm_source=x&sig=Zz%2B9"),
            "http://s.example/p?b=2&a=1&sig=Zz%2B9"
        );
        // Tracking names are recognised decoded; the rest stays as written.
        assert_eq!(
            c("http://s.example/p?%73pm=1&x=a+b&y=%41"),
            "http://s.example/p?x=a+b&y=%41"
        );
    }
}
