//! Pages loaded in headless Chromium (`render` in a site file) under the same rules as a
//! fetch: the [`PageGate`] admits the page and every sub-request it makes only when the
//! address guard allows the address, the request is for the page's own host (scripts may
//! come from elsewhere: they carry no page of the shop), robots.txt of that host allows it,
//! and the host's delay has passed since the last request to it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use qsword_render::{Gate, GateFuture, ResourceKind};
use tokio::time::Instant;
use url::Url;

use crate::canon::host_key;
use crate::robots::RobotsPolicy;
use crate::safety::AddressPolicy;

/// The crawler's rules for one page in the browser.
pub(crate) struct PageGate {
    pub policy: AddressPolicy,
    pub resolve: BTreeMap<String, IpAddr>,
    /// The page's politeness key and its robots.txt.
    pub host: String,
    pub robots: Arc<RobotsPolicy>,
    pub delay: Duration,
    /// When the last request to the page's host was let through.
    pub last: tokio::sync::Mutex<Option<Instant>>,
    /// Requests let through to the page's host (for the host's report).
    pub admitted: AtomicU64,
}

impl PageGate {
    async fn check(&self, url: &Url, kind: ResourceKind) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{} URLs are not loaded", url.scheme()));
        }
        self.policy.check_url_with(url, &self.resolve).await?;
        let same_host = host_key(url) == self.host;
        if !same_host {
            if kind == ResourceKind::Script {
                // A script library from a CDN: no page of the shop, no politeness owed here.
                return Ok(());
            }
            // Another host's robots.txt is not known to this visit: its pages and answers
            // wait for that host's own turn.
            return Err(format!(
                "{} is not the page's host (its robots.txt and pace are its own)",
                url.host_str().unwrap_or("")
            ));
        }
        if !self.robots.allows(url) {
            return Err("disallowed by robots.txt".into());
        }
        let mut last = self.last.lock().await;
        if let Some(t) = *last {
            tokio::time::sleep_until(t + self.delay).await;
        }
        *last = Some(Instant::now());
        self.admitted.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl Gate for PageGate {
    fn admit<'a>(&'a self, url: &'a Url, kind: ResourceKind) -> GateFuture<'a> {
        Box::pin(self.check(url, kind))
    }
}
