//! qsword-render: render product pages in headless Chromium over the DevTools protocol.
//!
//! Real shops fill in prices by XHR after the page has loaded, so the crawler renders some
//! pages. Given a URL, [`Renderer::render`] loads it in a fresh, isolated browser context and
//! returns the rendered DOM, the main document as the server sent it, and every XHR/fetch
//! answer the page got. A caller-supplied [`Gate`] decides, for the page and for **every**
//! sub-request, whether it may be made (the crawler enforces robots.txt, per-host spacing and
//! its address guard through it); images, fonts, media and stylesheets are refused without
//! asking (they never carry prices and cost bandwidth); WebSockets, workers and service
//! workers are switched off in the page (the DevTools interception would not see their traffic).
//!
//! The gate sees names, not addresses: Chromium resolves them itself, except the names pinned
//! with [`RenderConfig::host_rules`] at launch (or everything, through [`RenderConfig::proxy`]).
//!
//! It is NOT for: politeness bookkeeping, WARC writing or extraction — the crawler does those
//! with what comes back. Nothing is downloaded: it runs the system's Chromium (Debian's
//! `chromium`), one process per [`Renderer`], killed with its whole process group on
//! [`Renderer::close`] or drop.
//!
//! ```no_run
//! use std::sync::Arc;
//! use qsword_render::{AllowAll, RenderConfig, Renderer};
//! # async fn run() -> Result<(), qsword_render::RenderError> {
//! let renderer = Renderer::launch(RenderConfig::default()).await?;
//! let url = url::Url::parse("https://item.example.cn/1.html").unwrap();
//! let page = renderer.render(&url, &[], Arc::new(AllowAll)).await?;
//! println!("{} bytes of DOM, {} XHR answers", page.dom.len(), page.answers.len());
//! renderer.close().await;
//! # Ok(()) }
//! ```

mod page;
mod process;

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::Browser;
use futures::StreamExt;
use url::Url;

/// How the browser is started and how long a page may take.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    /// The executable: a path, or a name looked up on PATH. The default `chromium` also tries
    /// `chromium-browser` and `google-chrome`.
    pub chromium: PathBuf,
    /// Pages rendered at once (each in its own tab and browser context).
    pub tabs: usize,
    /// Whole-page budget; after it the DOM so far is taken and marked `timed_out`.
    pub page_timeout: Duration,
    /// Quiet time with no request in flight (after the load event) that counts as "loaded".
    pub settle: Duration,
    /// A DOM larger than this is cut (at a character boundary) and marked.
    pub max_dom_bytes: usize,
    /// Per XHR/fetch body kept (and for the raw main document).
    pub max_answer_bytes: usize,
    /// V8 heap limit per renderer (`--js-flags=--max-old-space-size=N`).
    pub memory_mb: Option<u64>,
    pub user_agent: String,
    pub accept_language: String,
    /// `--proxy-server`.
    pub proxy: Option<String>,
    /// Name → address, as `--host-resolver-rules "MAP name ip"`: the crawler's own resolve
    /// override (so the address it checked is the one connected to, and tests can use names).
    pub host_rules: Vec<(String, IpAddr)>,
    /// Chromium's profile; a fresh temporary directory (removed on close) when `None`.
    pub profile_dir: Option<PathBuf>,
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            chromium: PathBuf::from(process::DEFAULT_NAMES[0]),
            tabs: 2,
            page_timeout: Duration::from_secs(20),
            settle: Duration::from_millis(300),
            max_dom_bytes: 16 << 20,
            max_answer_bytes: 4 << 20,
            memory_mb: None,
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                         Chrome/124.0 Safari/537.36 qsword"
                .into(),
            accept_language: "zh-CN,zh;q=0.9,en;q=0.6".into(),
            proxy: None,
            host_rules: Vec::new(),
            profile_dir: None,
        }
    }
}

/// What a request is for, as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// The page itself, a redirect of it, or a frame's document.
    Document,
    Script,
    /// XHR or fetch().
    Xhr,
    /// Anything else (the DevTools resource type's name: `Ping`, `EventSource`, `Preflight`…).
    Other(String),
}

/// The future a [`Gate`] returns.
pub type GateFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// The caller's decision on each request.
pub trait Gate: Send + Sync {
    /// Called before the page request and before every sub-request (redirects included);
    /// `Err(reason)` blocks it. It may wait (per-host spacing): the request waits with it.
    fn admit<'a>(&'a self, url: &'a Url, kind: ResourceKind) -> GateFuture<'a>;
}

/// A synchronous closure is a gate.
impl<F> Gate for F
where
    F: Fn(&Url, &ResourceKind) -> Result<(), String> + Send + Sync,
{
    fn admit<'a>(&'a self, url: &'a Url, kind: ResourceKind) -> GateFuture<'a> {
        let r = self(url, &kind);
        Box::pin(async move { r })
    }
}

/// Admits everything (benches, trusted fixtures).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl Gate for AllowAll {
    fn admit<'a>(&'a self, _url: &'a Url, _kind: ResourceKind) -> GateFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// A cookie to seed the tab with, or one the page ended with. An empty `domain` means the
/// page's host (a host-only cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub domain: String,
    pub path: String,
}

/// One HTTP response the page got (the main document or an XHR/fetch answer), as the server
/// sent it (content-encoding already undone by the browser).
#[derive(Debug, Clone)]
pub struct Answer {
    pub url: Url,
    pub method: String,
    pub request_headers: Vec<(String, String)>,
    /// The request's body (POST data), when it had one.
    pub request_body: Option<Vec<u8>>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The Content-Type's media type, lower-cased, without parameters.
    pub mime: Option<String>,
    /// The body was longer than the limit (or not read because its Content-Length was).
    pub truncated: bool,
}

impl Answer {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A rendered page.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub final_url: Url,
    /// The main document's HTTP status (the last one, after redirects).
    pub status: Option<u16>,
    /// The main document's raw response.
    pub document: Option<Answer>,
    /// `document.documentElement.outerHTML` after settling (or at the timeout).
    pub dom: String,
    pub dom_truncated: bool,
    /// Every XHR/fetch response, in the order they arrived.
    pub answers: Vec<Answer>,
    /// Sub-requests the gate or the type filter blocked, with why.
    pub refused: Vec<(Url, String)>,
    pub timed_out: bool,
    pub elapsed: Duration,
    /// The browser context's cookies after the page (server- and script-set).
    pub cookies: Vec<Cookie>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "Chromium not found (tried: {}); install Debian's `chromium` package \
         (apt-get install chromium) or set RenderConfig::chromium",
        tried.join(", ")
    )]
    NotFound { tried: Vec<String> },
    #[error("cannot launch Chromium: {0}")]
    Launch(String),
    #[error("DevTools protocol error on {url}: {reason}")]
    Protocol { url: String, reason: String },
    #[error("{url} refused by the gate: {reason}")]
    Refused { url: Url, reason: String },
    #[error("{url} could not be loaded: {reason}")]
    Navigation { url: Url, reason: String },
    #[error("{url}: no page could be opened within {after:?}")]
    Timeout { url: Url, after: Duration },
    #[error("the renderer is closed")]
    Closed,
}

/// Headless Chromium with a pool of `tabs`. Cheap to clone; [`render`](Self::render) may be
/// called concurrently (at most `tabs` pages load at once, the rest wait).
#[derive(Clone)]
pub struct Renderer {
    inner: Arc<Inner>,
}

struct Inner {
    browser: Arc<Browser>,
    cfg: RenderConfig,
    tabs: tokio::sync::Semaphore,
    idle: Mutex<Vec<page::Tab>>,
    handler: tokio::task::JoinHandle<()>,
    chromium: process::Chromium,
    profile: Mutex<Option<tempfile::TempDir>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.handler.abort();
        self.chromium.kill();
        // The profile goes only after the browser is dead (it writes there until then).
        self.profile.lock().unwrap().take();
    }
}

impl Renderer {
    /// Starts Chromium. Fails with [`RenderError::NotFound`] naming every path tried.
    pub async fn launch(cfg: RenderConfig) -> Result<Renderer, RenderError> {
        let exe = process::find(&cfg.chromium)?;
        let (profile_tmp, profile_dir) = match &cfg.profile_dir {
            Some(p) => (None, p.clone()),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("qsword-render-")
                    .tempdir()
                    .map_err(|e| RenderError::Launch(format!("temporary profile: {e}")))?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let (chromium, ws) = process::Chromium::spawn(&exe, args(&cfg, &profile_dir)).await?;
        let handler_cfg = HandlerConfig {
            ignore_https_errors: false,
            // Commands must outlive a page's budget (a paused navigation answers late).
            request_timeout: cfg.page_timeout + Duration::from_secs(10),
            ..HandlerConfig::default()
        };
        let (browser, mut handler) = Browser::connect_with_config(ws, handler_cfg)
            .await
            .map_err(|e| RenderError::Launch(format!("DevTools connection: {e}")))?;
        // The handler stream drives the whole connection: it is polled on its own task, never
        // from the tasks that await commands (or they would wait for themselves).
        let handler = tokio::spawn(async move {
            while let Some(r) = handler.next().await {
                if let Err(e) = r {
                    tracing::debug!("chromium handler: {e}");
                }
            }
        });
        let tabs = tokio::sync::Semaphore::new(cfg.tabs.max(1));
        Ok(Renderer {
            inner: Arc::new(Inner {
                browser: Arc::new(browser),
                cfg,
                tabs,
                idle: Mutex::new(Vec::new()),
                handler,
                chromium,
                profile: Mutex::new(profile_tmp),
            }),
        })
    }

    /// Loads `url` with `cookies` in a tab of its own (a clean browser context: no cookies,
    /// storage or cache from other renders), every request through `gate`.
    ///
    /// The gate is asked for the page before a tab is free (so a render refused by robots.txt
    /// never waits for one); the page's own request is then not asked about again, its
    /// redirects are. Errors name the URL; a page that does not settle within
    /// `page_timeout` is not an error but `timed_out` with the DOM so far.
    pub async fn render(
        &self,
        url: &Url,
        cookies: &[Cookie],
        gate: Arc<dyn Gate>,
    ) -> Result<Rendered, RenderError> {
        let i = &self.inner;
        page::render(&i.browser, &i.cfg, &i.tabs, &i.idle, url, cookies, gate).await
    }

    /// The browser's process id (its process group id too).
    pub fn pid(&self) -> u32 {
        self.inner.chromium.pid()
    }

    /// Kills Chromium and its children and removes the temporary profile. Clones still held
    /// elsewhere fail from then on.
    pub async fn close(self) {
        self.inner.tabs.close();
        let inner = self.inner.clone();
        drop(self);
        let _ = tokio::task::spawn_blocking(move || {
            inner.chromium.kill();
            inner.profile.lock().unwrap().take();
        })
        .await;
    }
}

fn args(cfg: &RenderConfig, profile: &std::path::Path) -> Vec<String> {
    let mut a: Vec<String> = [
        "--headless=new",
        // CI runs as root in containers, where the sandbox cannot start.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--disable-component-update",
        "--disable-default-apps",
        "--mute-audio",
        "--password-store=basic",
        "--disable-features=Translate,MediaRouter,OptimizationHints",
        "--remote-debugging-port=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.push(format!("--user-data-dir={}", profile.display()));
    if let Some(mb) = cfg.memory_mb {
        a.push(format!("--js-flags=--max-old-space-size={mb}"));
    }
    if let Some(p) = &cfg.proxy {
        a.push(format!("--proxy-server={p}"));
    }
    if !cfg.host_rules.is_empty() {
        let rules: Vec<String> = cfg
            .host_rules
            .iter()
            .map(|(name, ip)| match ip {
                IpAddr::V4(v4) => format!("MAP {name} {v4}"),
                IpAddr::V6(v6) => format!("MAP {name} [{v6}]"),
            })
            .collect();
        a.push(format!("--host-resolver-rules={}", rules.join(", ")));
    }
    a.push("about:blank".into());
    a
}
