//! What to crawl ([`Site`], one file per shop in `seeds/sites/`) and how politely
//! ([`CrawlerConfig`], the `[crawler]` table of `qsword.toml`).

use std::path::{Path, PathBuf};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::frontier::{NewUrl, UrlKind};
use qsword_extract::SiteRules;

/// One shop to crawl, as written in `seeds/sites/<name>.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Operator-facing name, e.g. `suning-sim`.
    pub name: String,
    /// Platform recorded on every [`qsword_listing::Listing`] found on this site.
    pub platform: String,
    /// Where the crawl starts. Their hosts are the site's hosts (with `hosts`): links elsewhere
    /// are not followed.
    #[serde(default)]
    pub start_urls: Vec<String>,
    /// More host names of the site, as glob patterns (`*.shop.example` is any subdomain,
    /// `shop.example` that name alone; any port and scheme): links and redirects to them are
    /// followed, each host served by its own task under its own politeness.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Regex on the URL path that marks a product page (`'/item/\d+\.html$'`). Without it every
    /// HTML page is offered to extraction.
    #[serde(default)]
    pub product_url: Option<String>,
    /// Regexes on path-and-query; when any is given, a link must match one (or `product_url`).
    #[serde(default)]
    pub include: Vec<String>,
    /// Regexes on path-and-query; a link matching any is never followed.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Link depth from the start URLs (which are depth 0); unlimited when absent.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// CSS selector rules for shops without structured data.
    #[serde(default)]
    pub rules: Option<SiteRules>,
    /// Minimum time between two requests to one host of this site (robots Crawl-delay may raise it).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Sitemaps (absolute URLs on the site's hosts) used as seeds besides `start_urls`.
    #[serde(default)]
    pub sitemaps: Vec<String>,
    /// Also seed from the `Sitemap:` lines of the hosts' robots.txt.
    #[serde(default = "yes")]
    pub sitemaps_from_robots: bool,
    /// Query parameters that only track visitors on this site, removed from URLs besides the
    /// common ones (`utm_*`, `spm`, `scm`, …).
    #[serde(default)]
    pub tracking_params: Vec<String>,
    /// A product page is visited again when its last answer is older than this (hours):
    /// daily by default. Other pages (categories, sitemaps) every run unless set.
    #[serde(default = "daily")]
    pub recrawl_product_hours: f64,
    #[serde(default)]
    pub recrawl_page_hours: f64,
    /// This site is on loopback / a private network on purpose (a test or intranet shop).
    #[serde(default)]
    pub allow_loopback: bool,
    #[serde(default)]
    pub allow_private: bool,
    /// Pages that need a browser: `true` renders every product page in headless Chromium, a
    /// regex renders the pages whose path-and-query it matches (prices that arrive by XHR).
    #[serde(default)]
    pub render: Option<Render>,
    /// Send this site's requests through a proxy (`http://…`, `socks5://…`).
    #[serde(default)]
    pub proxy: Option<String>,
    /// Accept-Language for this site, instead of `[crawler] accept_language`.
    #[serde(default)]
    pub accept_language: Option<String>,
    /// Regexes on a page's visible text that mark this site's block pages (captcha, login
    /// wall), besides the generic cues every site gets.
    #[serde(default)]
    pub block_text: Vec<String>,
}

/// Which of a site's pages are rendered in a browser.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Render {
    /// `true`: every product page (`product_url`); `false`: none.
    Products(bool),
    /// The pages whose path-and-query this regex matches.
    Matching(String),
}

/// The same defaults as a site file that sets nothing but what it must.
impl Default for Site {
    fn default() -> Self {
        Site {
            name: String::new(),
            platform: String::new(),
            start_urls: Vec::new(),
            hosts: Vec::new(),
            product_url: None,
            include: Vec::new(),
            exclude: Vec::new(),
            max_depth: None,
            rules: None,
            delay_ms: None,
            sitemaps: Vec::new(),
            sitemaps_from_robots: yes(),
            tracking_params: Vec::new(),
            recrawl_product_hours: daily(),
            recrawl_page_hours: 0.0,
            allow_loopback: false,
            allow_private: false,
            render: None,
            proxy: None,
            accept_language: None,
            block_text: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

fn daily() -> f64 {
    20.0
}

/// A site file that could not be read or does not describe a valid [`Site`].
#[derive(Debug, thiserror::Error)]
pub enum SiteConfigError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Toml {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("site {site}: {field} pattern {pattern:?} is not a valid regex: {source}")]
    Regex {
        site: String,
        field: &'static str,
        pattern: String,
        source: regex::Error,
    },
    #[error("site {site}: {field} {value} is not valid: {reason}")]
    Field {
        site: String,
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("site {site}: start URL {url:?} is not an absolute http(s) URL: {reason}")]
    StartUrl {
        site: String,
        url: String,
        reason: String,
    },
}

impl Site {
    /// Reads and validates a site file; errors name the file, line and column.
    pub fn from_toml_file(path: &Path) -> Result<Site, SiteConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| SiteConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        let site: Site = toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((0, 0));
            SiteConfigError::Toml {
                path: path.to_owned(),
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        site.compile()?;
        Ok(site)
    }

    /// Compiles the site's patterns and parses its start URLs, naming the field at fault.
    pub(crate) fn compile(&self) -> Result<CompiledSite, SiteConfigError> {
        let re = |field: &'static str, p: &str| {
            Regex::new(p).map_err(|source| SiteConfigError::Regex {
                site: self.name.clone(),
                field,
                pattern: p.to_owned(),
                source,
            })
        };
        let mut start_urls = Vec::new();
        for u in &self.start_urls {
            let bad = |reason: String| SiteConfigError::StartUrl {
                site: self.name.clone(),
                url: u.clone(),
                reason,
            };
            let url = url::Url::parse(u).map_err(|e| bad(e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(bad(
                    "only http and https URLs with a host are crawled".into()
                ));
            }
            start_urls.push(url);
        }
        let hosts: Vec<String> = start_urls.iter().map(crate::canon::host_key).collect();
        let host_patterns: Vec<Regex> = self
            .hosts
            .iter()
            .map(|p| re("hosts", &host_glob(p)))
            .collect::<Result<_, _>>()?;
        let spans = |url: &url::Url| on_hosts(&hosts, &host_patterns, url);
        let mut sitemaps = Vec::new();
        for u in &self.sitemaps {
            let bad = |reason: String| SiteConfigError::Field {
                site: self.name.clone(),
                field: "sitemaps",
                value: format!("{u:?}"),
                reason,
            };
            let url = url::Url::parse(u).map_err(|e| bad(e.to_string()))?;
            if !spans(&url) {
                return Err(bad("a sitemap must be on one of the site's hosts".into()));
            }
            sitemaps.push(url);
        }
        for (field, hours) in [
            ("recrawl_product_hours", self.recrawl_product_hours),
            ("recrawl_page_hours", self.recrawl_page_hours),
        ] {
            if !(hours.is_finite() && hours >= 0.0) {
                return Err(SiteConfigError::Field {
                    site: self.name.clone(),
                    field,
                    value: hours.to_string(),
                    reason: "must be a number of hours ≥ 0".into(),
                });
            }
        }
        let render = match &self.render {
            None | Some(Render::Products(false)) => RenderWhen::Never,
            Some(Render::Products(true)) => {
                if self.product_url.is_none() {
                    return Err(SiteConfigError::Field {
                        site: self.name.clone(),
                        field: "render",
                        value: "true".into(),
                        reason: "`render = true` renders product pages: set product_url, or give render a regex".into(),
                    });
                }
                RenderWhen::Products
            }
            Some(Render::Matching(p)) => RenderWhen::Matching(re("render", p)?),
        };
        if let Some(p) = &self.proxy {
            let ok = url::Url::parse(p)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h"));
            if ok.is_none() {
                return Err(SiteConfigError::Field {
                    site: self.name.clone(),
                    field: "proxy",
                    value: format!("{p:?}"),
                    reason: "must be an http://, https:// or socks5:// URL".into(),
                });
            }
        }
        let block_text = self
            .block_text
            .iter()
            .map(|p| re("block_text", p))
            .collect::<Result<_, _>>()?;
        Ok(CompiledSite {
            render,
            block_text,
            name: self.name.clone(),
            tracking_params: self.tracking_params.clone(),
            sitemaps,
            max_depth: self.max_depth,
            product_url: self
                .product_url
                .as_deref()
                .map(|p| re("product_url", p))
                .transpose()?,
            include: self
                .include
                .iter()
                .map(|p| re("include", p))
                .collect::<Result<_, _>>()?,
            exclude: self
                .exclude
                .iter()
                .map(|p| re("exclude", p))
                .collect::<Result<_, _>>()?,
            hosts,
            host_patterns,
            start_urls,
        })
    }
}

/// A [`Site`] with its patterns compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledSite {
    pub name: String,
    pub tracking_params: Vec<String>,
    pub sitemaps: Vec<url::Url>,
    pub max_depth: Option<u32>,
    pub product_url: Option<Regex>,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    /// The host key of each start URL.
    pub hosts: Vec<String>,
    /// The site's `hosts` patterns (anchored regexes on the host name).
    pub host_patterns: Vec<Regex>,
    pub start_urls: Vec<url::Url>,
    pub render: RenderWhen,
    pub block_text: Vec<Regex>,
}

/// [`Render`] compiled.
#[derive(Debug, Clone)]
pub(crate) enum RenderWhen {
    Never,
    Products,
    Matching(Regex),
}

impl CompiledSite {
    /// The URLs every run starts from: the start URLs and the configured sitemaps.
    pub fn seeds(&self) -> Vec<NewUrl> {
        let mut seeds: Vec<NewUrl> = self
            .start_urls
            .iter()
            .map(|u| self.new_url(u, 0))
            .chain(self.sitemaps.iter().map(|u| NewUrl {
                kind: UrlKind::Sitemap,
                ..self.new_url(u, 0)
            }))
            .collect();
        seeds.dedup_by(|a, b| a.url == b.url);
        seeds
    }

    /// The canonical form of a URL on this site (its own tracking parameters removed too).
    pub fn canonical(&self, url: &url::Url) -> url::Url {
        crate::canon::canonicalize_with(url, &self.tracking_params)
    }

    /// A URL of this site for the frontier, canonical, with its kind.
    pub fn new_url(&self, url: &url::Url, depth: u32) -> NewUrl {
        let url = self.canonical(url);
        NewUrl {
            host: crate::canon::host_key(&url),
            site: self.name.clone(),
            kind: if self.is_product(&url) {
                UrlKind::Product
            } else {
                UrlKind::Page
            },
            depth,
            url,
            lastmod: None,
        }
    }

    /// Whether this page is loaded in a browser rather than fetched.
    pub fn renders(&self, url: &url::Url) -> bool {
        match &self.render {
            RenderWhen::Never => false,
            RenderWhen::Products => self.is_product(url),
            RenderWhen::Matching(re) => re.is_match(&path_and_query(url)),
        }
    }

    pub fn is_product(&self, url: &url::Url) -> bool {
        self.product_url
            .as_ref()
            .is_some_and(|re| re.is_match(url.path()))
    }

    /// Whether `url` is on one of the site's hosts: a start URL's, or one its `hosts` name.
    pub fn spans(&self, url: &url::Url) -> bool {
        on_hosts(&self.hosts, &self.host_patterns, url)
    }

    /// Whether a link found on this site may be followed (host, include and exclude rules).
    pub fn follows(&self, url: &url::Url) -> bool {
        if !self.spans(url) {
            return false;
        }
        let pq = path_and_query(url);
        if self.exclude.iter().any(|re| re.is_match(&pq)) {
            return false;
        }
        self.include.is_empty()
            || self.is_product(url)
            || self.include.iter().any(|re| re.is_match(&pq))
    }
}

fn path_and_query(url: &url::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{}", url.path(), q),
        None => url.path().to_owned(),
    }
}

/// A `hosts` glob as an anchored regex: `*` is any run of characters, the rest literal
/// (host names are compared lower-case, as URLs hold them).
fn host_glob(pattern: &str) -> String {
    let parts: Vec<String> = pattern
        .trim()
        .to_ascii_lowercase()
        .split('*')
        .map(regex::escape)
        .collect();
    format!("^{}$", parts.join(".*"))
}

/// An http(s) URL on one of `hosts` (host keys) or a host name `patterns` match.
fn on_hosts(hosts: &[String], patterns: &[Regex], url: &url::Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && (hosts.contains(&crate::canon::host_key(url))
            || url
                .host_str()
                .is_some_and(|h| patterns.iter().any(|re| re.is_match(h))))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// How the crawler behaves on every site: identity, politeness, limits and address safety.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlerConfig {
    /// Product token and version sent as the User-Agent (robots.txt groups are matched on the
    /// token before `/`).
    pub user_agent: String,
    /// Where a shop's operator can reach us; sent in the User-Agent (`qsword/0.1 (+CONTACT)`).
    pub contact: String,
    /// Requests in flight at once over all hosts (each host still gets one at a time).
    pub concurrency: usize,
    /// Pages fetched per run at most (robots.txt fetches not counted).
    pub max_pages: u64,
    /// Seconds a run may take: no visit starts after that, and what is queued waits for the
    /// next run (so a night's crawl ends before the day's traffic). No limit when absent.
    pub max_run_s: Option<f64>,
    /// Delay between two requests to one host when the site sets none.
    pub default_delay_ms: u64,
    /// Longest robots.txt Crawl-delay the run honours; a host asking for more is parked (its URLs
    /// kept for a later run), never crawled faster than it asked.
    pub max_crawl_delay_ms: u64,
    /// Connect timeout, and longest wait for the next bytes of a response, of one request.
    pub timeout_ms: u64,
    /// Longest time one request may take in all, body included: a server trickling a byte
    /// at a time stays under `timeout_ms` forever but not under this.
    pub total_timeout_ms: u64,
    /// Largest body read (compressed, and again after decompression); larger ones are cut and reported.
    pub max_body_bytes: u64,
    /// Redirect hops followed per URL.
    pub max_redirects: u32,
    /// Extra attempts for transient failures (connect errors, 5xx, 429).
    pub retries: u32,
    /// First retry backoff; doubled each attempt, with jitter.
    pub retry_backoff_ms: u64,
    /// Longest 429/503 Retry-After honoured before the retry is given up on.
    pub max_retry_after_ms: u64,
    /// Allow loopback targets (127.0.0.0/8, ::1): the demo and tests crawl a local marketplace.
    pub allow_loopback: bool,
    /// Allow private, link-local and carrier-grade NAT targets (10/8, 172.16/12, 192.168/16,
    /// 100.64/10, 198.18/15, fc00::/7, fec0::/10, 64:ff9b:1::/48, 169.254/16, fe80::/10), also
    /// when carried inside IPv6 (`::ffff:10.0.0.1`, NAT64, 6to4).
    pub allow_private: bool,
    /// Consecutive failed visits (no usable answer) after which a host is parked for the rest
    /// of the run: its URLs stay queued for the next run, and the run report says why.
    pub park_after_failures: u32,
    /// How long a fetched robots.txt is trusted before it is fetched again (RFC 9309: ≤ 24 h).
    pub robots_ttl_s: u64,
    /// Ceiling of the adaptive per-host delay (raised on slow answers, 429 and 503).
    pub max_adaptive_delay_ms: u64,
    /// WARC files are rotated past this size.
    pub warc_max_file_bytes: u64,
    /// URLs leased from the frontier per host at a time (all are released if the host is parked).
    pub lease_batch: usize,
    /// Accept-Language sent to every site that sets none (Chinese shops answer in Chinese).
    pub accept_language: String,
    /// Host names resolved to these addresses instead of by DNS (like curl's `--resolve`):
    /// an intranet shop, a test marketplace. The address rules still apply to them.
    pub resolve: std::collections::BTreeMap<String, std::net::IpAddr>,
    /// Blocked visits (captcha, slider, login wall) after which a host is parked for the run;
    /// before that each one doubles the host's delay and the page is tried again later.
    pub park_after_blocks: u32,
    /// The headless browser for sites with `render`: a path, or a name looked up on PATH
    /// (`chromium`, then `chromium-browser`, `google-chrome` when unset).
    pub chromium: Option<std::path::PathBuf>,
    /// Browser tabs rendering at once.
    pub render_tabs: usize,
    /// Longest time one rendered page may take, sub-requests included.
    pub render_timeout_ms: u64,
    /// Quiet time (no request in flight after the load event) that counts as rendered: long
    /// enough for a shop's price request to start after its scripts ran.
    pub render_settle_ms: u64,
    /// JavaScript heap limit of a rendered page, MiB (a hostile page cannot take the machine).
    pub render_memory_mb: u64,
    /// PEM files of certificate authorities trusted besides the built-in ones (a shop on an
    /// intranet, a test marketplace); relative paths are read from the working directory.
    pub ca_certs: Vec<std::path::PathBuf>,
}

impl CrawlerConfig {
    /// The User-Agent header: names qsword and how to reach its operator.
    pub fn user_agent_header(&self) -> String {
        format!("{} (+{})", self.user_agent, self.contact)
    }
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        CrawlerConfig {
            user_agent: concat!("qsword/", env!("CARGO_PKG_VERSION")).into(),
            contact: "https://github.com/qsword/qsword".into(),
            concurrency: 16,
            max_pages: 100_000,
            max_run_s: None,
            default_delay_ms: 1_000,
            max_crawl_delay_ms: 10_000,
            timeout_ms: 30_000,
            total_timeout_ms: 60_000,
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            retries: 2,
            retry_backoff_ms: 500,
            max_retry_after_ms: 60_000,
            allow_loopback: false,
            allow_private: false,
            park_after_failures: 10,
            robots_ttl_s: 24 * 3600,
            max_adaptive_delay_ms: 60_000,
            warc_max_file_bytes: 1 << 30,
            lease_batch: 16,
            accept_language: "zh-CN,zh;q=0.9,en;q=0.6".into(),
            resolve: Default::default(),
            park_after_blocks: 4,
            chromium: None,
            render_tabs: 2,
            render_timeout_ms: 20_000,
            render_settle_ms: 300,
            render_memory_mb: 512,
            ca_certs: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_globs_name_the_sites_other_hosts() {
        let site = Site {
            name: "s".into(),
            start_urls: vec!["https://www.shop.example/".into()],
            hosts: vec!["*.shop.example".into(), "Shop.example".into()],
            ..Site::default()
        }
        .compile()
        .unwrap();
        let on = |u: &str| site.spans(&url::Url::parse(u).unwrap());
        assert!(on("https://www.shop.example/a"));
        assert!(
            on("http://img.cdn.shop.example:8080/a"),
            "any port, any depth"
        );
        assert!(on("https://shop.example/"));
        assert!(!on("https://evilshop.example/"));
        assert!(!on("https://shop.example.evil/"));
        assert!(!on("ftp://www.shop.example/"));
        // Without `hosts`, the start URLs' hosts alone, as before.
        let plain = Site {
            hosts: Vec::new(),
            ..Site {
                name: "s".into(),
                start_urls: vec!["https://www.shop.example/".into()],
                ..Site::default()
            }
        }
        .compile()
        .unwrap();
        assert!(plain.spans(&url::Url::parse("https://www.shop.example/x").unwrap()));
        assert!(!plain.spans(&url::Url::parse("https://m.shop.example/x").unwrap()));
    }
}
