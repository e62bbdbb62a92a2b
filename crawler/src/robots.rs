//! robots.txt (RFC 9309) as qsword obeys it: parsing is `texting_robots`'; what a missing,
//! failing or unparsable robots.txt means is ours.

use url::Url;

/// What a host's robots.txt lets qsword fetch.
pub enum RobotsPolicy {
    /// No usable robots.txt (4xx, or unparsable): everything may be fetched.
    AllowAll,
    /// robots.txt could not be read (5xx, unreachable, refused): nothing may be fetched.
    DisallowAll,
    Parsed(Box<texting_robots::Robot>),
}

impl RobotsPolicy {
    /// Parses a robots.txt body for the crawler whose User-Agent is `user_agent`; rules are
    /// matched on its product token (`qsword` of `qsword/0.1 (+…)`). An unparsable file allows
    /// all, as RFC 9309 §2.2.2 prescribes for unreadable rules.
    ///
    /// A byte-order mark is honoured: UTF-16 files (which some servers produce) are read as
    /// text rather than as bytes with NULs between the letters.
    pub fn parse(user_agent: &str, body: &[u8]) -> (RobotsPolicy, Result<(), String>) {
        let body = to_utf8(body);
        match texting_robots::Robot::new(product_token(user_agent), &body) {
            Ok(r) => (RobotsPolicy::Parsed(Box::new(r)), Ok(())),
            Err(e) => (RobotsPolicy::AllowAll, Err(e.to_string())),
        }
    }

    pub fn allows(&self, url: &Url) -> bool {
        match self {
            RobotsPolicy::AllowAll => true,
            RobotsPolicy::DisallowAll => false,
            RobotsPolicy::Parsed(r) => r.allowed(url.as_str()),
        }
    }

    /// The `Sitemap:` URLs of the file, resolved against `robots_url` (relative ones occur),
    /// deduplicated, http(s) only, in file order.
    pub fn sitemaps(&self, robots_url: &Url) -> Vec<Url> {
        let RobotsPolicy::Parsed(r) = self else {
            return Vec::new();
        };
        let mut out: Vec<Url> = Vec::new();
        for s in &r.sitemaps {
            if let Ok(u) = robots_url.join(s.trim()) {
                if matches!(u.scheme(), "http" | "https") && !out.contains(&u) {
                    out.push(u);
                }
            }
        }
        out
    }

    /// The Crawl-delay for this agent, in seconds.
    pub fn crawl_delay(&self) -> Option<f32> {
        match self {
            RobotsPolicy::Parsed(r) => r.delay,
            _ => None,
        }
    }
}

/// The body as UTF-8: a UTF-8 BOM is dropped, UTF-16 (by its BOM) is transcoded.
fn to_utf8(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match encoding_rs::Encoding::for_bom(body) {
        Some((enc, bom)) if enc == encoding_rs::UTF_8 => body[bom..].into(),
        Some((enc, bom)) => {
            let (text, _) = enc.decode_without_bom_handling(&body[bom..]);
            text.into_owned().into_bytes().into()
        }
        None => body.into(),
    }
}

/// The product token robots.txt groups are matched on: the User-Agent up to its first `/`.
pub fn product_token(user_agent: &str) -> &str {
    user_agent.split('/').next().unwrap_or(user_agent).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_match_the_product_token_and_unparsable_allows_all() {
        let body =
            b"User-agent: qsword\nDisallow: /cart\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /\n";
        let (p, ok) = RobotsPolicy::parse("qsword/0.1 (+https://x.example)", body);
        assert!(ok.is_ok());
        assert!(p.allows(&Url::parse("http://s.example/item/1.html").unwrap()));
        assert!(!p.allows(&Url::parse("http://s.example/cart/add?id=1").unwrap()));
        assert_eq!(p.crawl_delay(), Some(2.0));
        let (other, _) = RobotsPolicy::parse("otherbot/1.0", body);
        assert!(!other.allows(&Url::parse("http://s.example/item/1.html").unwrap()));
    }

    #[test]
    fn utf16_with_bom_is_read_as_text_and_sitemaps_resolve() {
        let text = "User-agent: *\nDisallow: /cart\nSitemap: /sitemap.xml\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let (p, ok) = RobotsPolicy::parse("qsword/0.1", &le);
        assert!(ok.is_ok());
        assert!(!p.allows(&Url::parse("http://s.example/cart").unwrap()));
        let robots = Url::parse("https://s.example/robots.txt").unwrap();
        assert_eq!(
            p.sitemaps(&robots),
            [Url::parse("https://s.example/sitemap.xml").unwrap()]
        );
    }
}
