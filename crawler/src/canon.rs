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
/// already does both), no fragment, tracking parameters (`utm_*`, `spm`, `scm`, …) removed and
/// the remaining query parameters sorted by name, then value.
///
/// ```
/// let u = url::Url::parse("HTTP://Shop.Example:80/item/1.html?b=2&utm_source=x&a=1#reviews").unwrap();
/// assert_eq!(qsword_crawler::canonicalize(&u).as_str(), "http://shop.example/item/1.html?a=1&b=2");
/// ```
pub fn canonicalize(url: &Url) -> Url {
    canonicalize_with(url, &[])
}

/// [`canonicalize`], also removing a site's own tracking parameters `extra`.
pub fn canonicalize_with(url: &Url, extra: &[String]) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    if u.query().is_some() {
        let mut pairs: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k, extra))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        if pairs.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    u
}

/// The politeness key of a URL: `scheme://host:port` (robots.txt and the delay apply per key).
pub fn host_key(url: &Url) -> String {
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
        let a = c("http://SHOP.example:80/item/7.html?sku=2&color=red#top");
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
}
