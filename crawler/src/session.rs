//! Sessions like a browser's: one cookie jar per site (RFC 6265 matching by the `cookie_store`
//! crate), so a consent or session cookie a shop sets is sent back on its next pages, across
//! the site's hosts where the cookie's domain allows. The caller persists a jar between runs
//! ([`Jars::export`], [`Jars::import`]); only persistent, unexpired cookies are kept.

use std::sync::Mutex;

use cookie_store::CookieStore;
use url::Url;

/// The cookie jars of the sites of one crawl, by site index.
pub(crate) struct Jars(Vec<Mutex<CookieStore>>);

impl Jars {
    pub fn new(sites: usize) -> Jars {
        Jars(
            (0..sites)
                .map(|_| Mutex::new(CookieStore::default()))
                .collect(),
        )
    }

    fn jar(&self, site: usize) -> std::sync::MutexGuard<'_, CookieStore> {
        self.0[site].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `Cookie` header value for a request to `url`, if the jar has any for it.
    pub fn header(&self, site: usize, url: &Url) -> Option<String> {
        let jar = self.jar(site);
        let v: Vec<String> = jar
            .get_request_values(url)
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        (!v.is_empty()).then(|| v.join("; "))
    }

    /// Learns the `Set-Cookie` headers of a response from `url` (malformed ones are skipped:
    /// a shop's broken cookie must not fail the visit).
    pub fn learn<'a>(&self, site: usize, url: &Url, set_cookies: impl Iterator<Item = &'a str>) {
        let mut jar = self.jar(site);
        for c in set_cookies {
            if let Err(e) = jar.parse(c, url) {
                tracing::debug!(%url, "ignored a Set-Cookie: {e}");
            }
        }
    }

    /// Cookies set by a page's scripts in a browser (name, value, domain, path).
    pub fn learn_pairs(
        &self,
        site: usize,
        url: &Url,
        cookies: &[(String, String, String, String)],
    ) {
        let mut jar = self.jar(site);
        for (name, value, domain, path) in cookies {
            let mut line = format!("{name}={value}; Path={path}");
            if !domain.is_empty() && domain.trim_start_matches('.') != url.host_str().unwrap_or("")
            {
                line.push_str(&format!("; Domain={domain}"));
            }
            if let Err(e) = jar.parse(&line, url) {
                tracing::debug!(%url, "ignored a browser cookie {name}: {e}");
            }
        }
    }

    /// The site's persistent cookies as JSON, for the store.
    pub fn export(&self, site: usize) -> Result<String, String> {
        let mut out = Vec::new();
        cookie_store::serde::json::save(&self.jar(site), &mut out).map_err(|e| e.to_string())?;
        String::from_utf8(out).map_err(|e| e.to_string())
    }

    /// Loads a jar saved by [`Jars::export`] (expired cookies are dropped).
    pub fn import(&self, site: usize, json: &str) -> Result<(), String> {
        let store = cookie_store::serde::json::load(json.as_bytes()).map_err(|e| e.to_string())?;
        *self.jar(site) = store;
        Ok(())
    }

    /// The (name, value, domain, path) of every cookie for `url`, to seed a browser tab.
    pub fn pairs(&self, site: usize, url: &Url) -> Vec<(String, String, String, String)> {
        self.jar(site)
            .matches(url)
            .into_iter()
            .map(|c| {
                let domain = match &c.domain {
                    cookie_store::CookieDomain::HostOnly(d)
                    | cookie_store::CookieDomain::Suffix(d) => d.clone(),
                    _ => url.host_str().unwrap_or("").to_owned(),
                };
                (
                    c.name().to_owned(),
                    c.value().to_owned(),
                    domain,
                    String::from(c.path.clone()),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_set_on_one_page_goes_back_with_the_next_and_survives_a_restart() {
        let jars = Jars::new(2);
        let u = Url::parse("http://www.shop.example/consent?next=/item/1.html").unwrap();
        jars.learn(
            0,
            &u,
            [
                "consent=yes; Path=/; Max-Age=3600",
                "sid=abc; Path=/; Domain=shop.example",
                "bad cookie ;;=",
            ]
            .into_iter(),
        );
        let item = Url::parse("http://item.shop.example/item/1.html").unwrap();
        let same = Url::parse("http://www.shop.example/c/1").unwrap();
        let mut h = jars.header(0, &same).unwrap();
        assert!(h.contains("consent=yes") && h.contains("sid=abc"), "{h}");
        // Domain=shop.example reaches the item host; the host-only consent cookie does not.
        assert_eq!(jars.header(0, &item).as_deref(), Some("sid=abc"));
        // Another site's jar is separate.
        assert_eq!(jars.header(1, &same), None);
        // Persistent cookies survive export/import; the session cookie (no Max-Age) does not.
        let saved = jars.export(0).unwrap();
        let again = Jars::new(1);
        again.import(0, &saved).unwrap();
        h = again.header(0, &same).unwrap();
        assert_eq!(h, "consent=yes");
    }
}

#[cfg(test)]
mod ip_tests {
    use super::*;

    #[test]
    fn a_cookie_of_a_host_named_by_address_survives_a_restart() {
        let jars = Jars::new(1);
        let u = Url::parse("http://127.0.0.5:34581/consent?next=/").unwrap();
        jars.learn(0, &u, ["consent=yes; Path=/; Max-Age=31536000"].into_iter());
        let saved = jars.export(0).unwrap();
        let again = Jars::new(1);
        again.import(0, &saved).unwrap();
        let page = Url::parse("http://127.0.0.5:34581/item/1.html").unwrap();
        assert_eq!(
            again.header(0, &page).as_deref(),
            Some("consent=yes"),
            "{saved}"
        );
    }
}
