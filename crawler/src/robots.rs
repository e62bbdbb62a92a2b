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
    pub fn parse(user_agent: &str, body: &[u8]) -> (RobotsPolicy, Result<(), String>) {
        match texting_robots::Robot::new(product_token(user_agent), body) {
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

    /// The Crawl-delay for this agent, in seconds.
    pub fn crawl_delay(&self) -> Option<f32> {
        match self {
            RobotsPolicy::Parsed(r) => r.delay,
            _ => None,
        }
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
}
