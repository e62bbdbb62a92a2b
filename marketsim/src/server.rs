//! Serving the market over HTTP: one axum server per host — each shop on its own loopback
//! address, plus optional mirrors of every shop on more addresses — with conditional requests
//! (ETag / Last-Modified → 304), optional throttling (429/503 with `Retry-After`), optional
//! real-world shapes ([`Shapes`]) and a request log that tests use to prove politeness (no
//! Disallowed path requested, spacing per host).

use crate::error::Error;
use crate::market::{Charset, Market, PageStyle};
use crate::pages::Shape;
use crate::truth::TruthRecord;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to serve the market.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The port every host listens on (each host has its own IP); 0 = an ephemeral port per host.
    pub port: u16,
    /// Also append every request as a JSON line to this file.
    pub request_log: Option<PathBuf>,
    /// Serve every shop on this many more hosts besides its own (at most [`MAX_MIRRORS`]):
    /// mirror `j` (from 0) of shop `k` (from 0) listens on `127.1.k.(j+1)`. Mirrors serve the
    /// same pages, with links to themselves.
    pub mirrors: usize,
    /// Answer some requests with 429 or 503 instead of the page.
    pub throttle: Option<Throttle>,
    /// Serve four default shops the way real shops are awkward (all off by default).
    pub shapes: Shapes,
}

/// Real-world serving shapes, one switch per shape; each changes how one default shop serves
/// the same offers (its truth does not change). A shop the market does not have is skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shapes {
    /// `pinduo-sim`: product pages carry no price; an inline script fetches it from
    /// `/api/item/<id>/price` (JSON, `Cache-Control: no-store`) and writes it into the page.
    pub xhr_prices: bool,
    /// `suning-sim`: HTML pages without the cookie `consent=yes` answer a consent page whose
    /// meta refresh leads to `/consent?next=…`, which sets the cookie and redirects back.
    pub consent: bool,
    /// `tianmao-sim`: quick requests in a row get a 200 slider-captcha page.
    pub slider: Option<Slider>,
    /// `jingdong-sim`: virtual hosts — the apex redirects to `www.`, product pages live on
    /// `item.` (see [`ServedShop::start_url`], [`ServedShop::resolve`]).
    pub hosts: bool,
    /// With `hosts`: `jingdong-sim` also listens with TLS (a self-signed certificate for its
    /// three names, [`ServedShop::ca_pem`]) on another port of its address, and its names over
    /// http answer `301` to the same URL over https.
    pub https: bool,
}

impl Shapes {
    /// Every shape on, the slider with its default numbers.
    pub fn all() -> Self {
        Shapes {
            xhr_prices: true,
            consent: true,
            slider: Some(Slider::default()),
            hosts: true,
            https: true,
        }
    }
}

/// The slider captcha: per host, a request arriving less than `quick_ms` after the previous
/// one's arrival (robots.txt not counted) is quick; after `after` quick requests in a row the
/// next ones get the slider page (HTTP 200) until one arrives at least `quick_ms` after its
/// predecessor, which is served and resets the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slider {
    pub quick_ms: u64,
    pub after: u32,
}

impl Default for Slider {
    /// 90 ms and 25: a crawler spacing requests by the shops' 50 ms Crawl-delay trips it; one
    /// that waits 100 ms or more never does.
    fn default() -> Self {
        Slider {
            quick_ms: 90,
            after: 25,
        }
    }
}

/// Shop indices of the shapes (the default market's order).
const SLIDER_SHOP: usize = 0;
const HOSTS_SHOP: usize = 1;
const XHR_SHOP: usize = 2;
const CONSENT_SHOP: usize = 3;

/// The most mirrors per shop: the last octet of `127.1.k.(j+1)` runs 1 ..= 254.
pub const MAX_MIRRORS: usize = 254;

/// Throttling injection: every `every`-th request a host receives (counted per host, requests
/// for `/robots.txt` not counted and never throttled) is answered `status` with
/// `Retry-After: retry_after_secs`, and logged with that status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    /// 1 throttles every request, 5 every fifth.
    pub every: u32,
    pub retry_after_secs: u32,
    /// 429 Too Many Requests (the default) or 503 Service Unavailable.
    pub status: u16,
}

impl Default for Throttle {
    /// Every tenth request gets `429` with `Retry-After: 1`.
    fn default() -> Self {
        Throttle {
            every: 10,
            retry_after_secs: 1,
            status: 429,
        }
    }
}

impl Throttle {
    fn validate(&self) -> Result<(), Error> {
        let bad = |field, reason: String| Err(Error::Config { field, reason });
        if self.every == 0 {
            return bad("Throttle.every", "is 0, must be at least 1".to_string());
        }
        if self.status != 429 && self.status != 503 {
            return bad(
                "Throttle.status",
                format!("is {}, must be 429 or 503", self.status),
            );
        }
        Ok(())
    }
}

/// A shop as served: where to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedShop {
    pub name: String,
    pub style: PageStyle,
    pub charset: Charset,
    /// `http://127.0.0.2:PORT`, no trailing slash.
    pub base_url: String,
    /// Base URLs of the shop's mirrors (`http://127.1.k.(j+1):PORT`), in mirror order.
    #[serde(default)]
    pub mirrors: Vec<String>,
    /// Where an operator would start: `base_url` + `/`, or with [`Shapes::hosts`] the apex
    /// name with the port (`http://jingdong-sim.test:PORT/`, which redirects to `www.`).
    #[serde(default)]
    pub start_url: String,
    /// The host names that belong to the shop (`*.` patterns allowed): its IP, or with
    /// [`Shapes::hosts`] `jingdong-sim.test` and `*.jingdong-sim.test`.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Name → address for names that do not resolve (`.test`); empty for IP-only shops.
    #[serde(default)]
    pub resolve: Vec<(String, IpAddr)>,
    /// With [`Shapes::https`]: the PEM file of the self-signed certificate a client must trust
    /// (in the temporary directory, removed when the market is dropped).
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// With [`Shapes::xhr_prices`], this shop's product pages show their price only after a
    /// script ran: a crawler needs a browser for them.
    #[serde(default)]
    pub needs_browser: bool,
}

/// One request the market answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// The shop's name.
    pub shop: String,
    /// `IP:PORT` the request reached (one host per shop).
    pub host: String,
    pub method: String,
    /// Path and query, as requested.
    pub path: String,
    pub status: u16,
    pub user_agent: Option<String>,
    /// Microseconds since the market started serving (an integer, so the JSONL log is exact).
    pub at_us: u64,
    /// Answered with the slider captcha ([`Shapes::slider`]) instead of what was asked.
    #[serde(default)]
    pub blocked: bool,
}

impl LoggedRequest {
    /// Milliseconds since the market started serving.
    pub fn at_ms(&self) -> f64 {
        self.at_us as f64 / 1000.0
    }
}

struct RequestLog {
    started: Instant,
    entries: Mutex<Vec<LoggedRequest>>,
    file: Option<Mutex<BufWriter<std::fs::File>>>,
}

impl RequestLog {
    fn record(&self, entry: LoggedRequest) {
        if let Some(file) = &self.file {
            let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
            // A log line lost to a full disk must not take the shop down.
            if serde_json::to_writer(&mut *f, &entry).is_ok() {
                let _ = f.write_all(b"\n").and_then(|_| f.flush());
            }
        }
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }
}

/// One served host: a shop's own address or one of its mirrors.
struct ShopState {
    market: Arc<Market>,
    shop: usize,
    base_url: String,
    host: String,
    log: Arc<RequestLog>,
    throttle: Option<Throttle>,
    /// Requests this host received, robots.txt excluded (what throttling counts).
    counted: AtomicU64,
    xhr_prices: bool,
    consent: bool,
    slider: Option<Slider>,
    /// Arrival of the previous counted request (µs) and the quick requests in a row since.
    quick: Mutex<(Option<u64>, u32)>,
    vhosts: Option<VHosts>,
}

/// The virtual hosts of [`Shapes::hosts`] on one listener.
struct VHosts {
    apex: String,
    www: String,
    item: String,
    www_base: String,
    item_base: String,
    /// With [`Shapes::https`], on the http listener: the TLS port every name redirects to.
    upgrade: Option<u16>,
}

impl VHosts {
    /// The names and bases of shop `name` served at `scheme://…:port`.
    fn new(name: &str, scheme: &str, port: u16) -> Self {
        let apex = format!("{name}.test");
        let (www, item) = (format!("www.{apex}"), format!("item.{apex}"));
        VHosts {
            www_base: format!("{scheme}://{www}:{port}"),
            item_base: format!("{scheme}://{item}:{port}"),
            apex,
            www,
            item,
            upgrade: None,
        }
    }
}

/// Deletes a file the market wrote (the https shape's certificate) when the market goes.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The market being served; dropping it (or [`RunningMarket::shutdown`]) stops every shop.
pub struct RunningMarket {
    market: Arc<Market>,
    shops: Vec<ServedShop>,
    log: Arc<RequestLog>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
    /// Per shop, the base URLs of product pages and of the rest when they differ from
    /// `base_url` ([`Shapes::hosts`]).
    page_bases: Vec<Option<(String, String)>>,
    _files: Vec<RemoveOnDrop>,
}

/// Starts one HTTP server per host: every shop on its loopback address (127.0.0.2 …) and on
/// its mirrors (127.1.k.(j+1)), if any.
pub async fn serve(market: Arc<Market>, opts: ServeOptions) -> Result<RunningMarket, Error> {
    if opts.mirrors > MAX_MIRRORS {
        return Err(Error::Config {
            field: "ServeOptions.mirrors",
            reason: format!("is {}, must be at most {MAX_MIRRORS}", opts.mirrors),
        });
    }
    if let Some(t) = &opts.throttle {
        t.validate()?;
    }
    if opts.shapes.https && !opts.shapes.hosts {
        return Err(Error::Config {
            field: "ServeOptions.shapes.https",
            reason: "needs shapes.hosts (the certificate is for the shop's host names)".into(),
        });
    }
    let file = match &opts.request_log {
        Some(path) => Some(Mutex::new(BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| Error::RequestLog {
                    path: path.clone(),
                    source,
                })?,
        ))),
        None => None,
    };
    let log = Arc::new(RequestLog {
        started: Instant::now(),
        entries: Mutex::new(Vec::new()),
        file,
    });
    let (stop, stopped) = watch::channel(false);
    let mut shops = Vec::new();
    let mut tasks = Vec::new();
    let mut page_bases = Vec::new();
    let mut files = Vec::new();
    let shapes = opts.shapes;
    for (k, spec) in market.shops().iter().enumerate() {
        let mut served = ServedShop {
            name: spec.name.clone(),
            style: spec.style,
            charset: spec.charset,
            base_url: String::new(),
            mirrors: Vec::new(),
            start_url: String::new(),
            hosts: vec![spec.ip.to_string()],
            resolve: Vec::new(),
            ca_pem: None,
            needs_browser: shapes.xhr_prices && k == XHR_SHOP,
        };
        let mut bases = None;
        for mirror in 0..=opts.mirrors {
            // Host 0 is the shop's own address; hosts 1.. are its mirrors.
            let ip = match mirror {
                0 => spec.ip,
                j => Ipv4Addr::new(127, 1, k as u8, j as u8),
            };
            let addr = SocketAddr::new(IpAddr::V4(ip), opts.port);
            let bind_err = |source| Error::Bind {
                shop: spec.name.clone(),
                addr,
                source,
            };
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(bind_err)?;
            let local = listener.local_addr().map_err(bind_err)?;
            let base_url = format!("http://{local}");
            // Virtual hosts on the shop's own address only: mirrors are reached by IP.
            let mut vhosts = None;
            if mirror == 0 {
                served.base_url = base_url.clone();
                served.start_url = format!("{base_url}/");
                if shapes.hosts && k == HOSTS_SHOP {
                    let port = local.port();
                    let mut v = VHosts::new(&spec.name, "http", port);
                    served.start_url = format!("http://{}:{port}/", v.apex);
                    served.hosts = vec![v.apex.clone(), format!("*.{}", v.apex)];
                    served.resolve = [&v.apex, &v.www, &v.item]
                        .into_iter()
                        .map(|name| (name.clone(), local.ip()))
                        .collect();
                    bases = Some((v.item_base.clone(), v.www_base.clone()));
                    if shapes.https {
                        let tls = serve_tls(&market, k, &log, &opts, stopped.clone()).await?;
                        v.upgrade = Some(tls.port);
                        bases = Some(tls.bases);
                        served.ca_pem = Some(tls.ca_pem.0.display().to_string());
                        files.push(tls.ca_pem);
                        tasks.push(tls.task);
                    }
                    vhosts = Some(v);
                }
            } else {
                served.mirrors.push(base_url.clone());
            }
            let state = Arc::new(ShopState {
                market: market.clone(),
                shop: k,
                base_url,
                host: local.to_string(),
                log: log.clone(),
                throttle: opts.throttle,
                counted: AtomicU64::new(0),
                xhr_prices: shapes.xhr_prices && k == XHR_SHOP,
                consent: shapes.consent && k == CONSENT_SHOP,
                slider: shapes.slider.filter(|_| k == SLIDER_SHOP),
                quick: Mutex::new((None, 0)),
                vhosts,
            });
            let app = Router::new().fallback(answer).with_state(state);
            let mut stopped = stopped.clone();
            tasks.push(tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        // Ends on `true` or when the sender is dropped with the RunningMarket.
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .await
            }));
        }
        shops.push(served);
        page_bases.push(bases);
    }
    tracing::info!(
        shops = shops.len(),
        hosts = tasks.len(),
        throttle = ?opts.throttle,
        shapes = ?opts.shapes,
        "marketsim serving"
    );
    Ok(RunningMarket {
        market,
        shops,
        log,
        stop,
        tasks,
        page_bases,
        _files: files,
    })
}

/// The https shape's listener, started.
struct TlsListener {
    port: u16,
    /// Product pages' and other pages' base URLs over https.
    bases: (String, String),
    ca_pem: RemoveOnDrop,
    task: JoinHandle<std::io::Result<()>>,
}

/// Serves shop `k` with TLS on an ephemeral port of its address, under its three names, with a
/// fresh self-signed certificate written to the temporary directory.
async fn serve_tls(
    market: &Arc<Market>,
    k: usize,
    log: &Arc<RequestLog>,
    opts: &ServeOptions,
    mut stopped: watch::Receiver<bool>,
) -> Result<TlsListener, Error> {
    let spec = &market.shops()[k];
    let tls_err = |reason: String| Error::Tls {
        shop: spec.name.clone(),
        reason,
    };
    let addr = SocketAddr::new(IpAddr::V4(spec.ip), 0);
    let bind_err = |source| Error::Bind {
        shop: spec.name.clone(),
        addr,
        source,
    };
    let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let v = VHosts::new(&spec.name, "https", local.port());
    let cert =
        rcgen::generate_simple_self_signed(vec![v.apex.clone(), v.www.clone(), v.item.clone()])
            .map_err(|e| tls_err(e.to_string()))?;
    let pem = cert.cert.pem();
    // Pid and port: unique among the markets of every process on this machine.
    let path = std::env::temp_dir().join(format!(
        "qsword-marketsim-{}-{}-ca.pem",
        std::process::id(),
        local.port()
    ));
    std::fs::write(&path, &pem).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let ca_pem = RemoveOnDrop(path);
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(
        pem.into_bytes(),
        cert.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .map_err(|e| tls_err(e.to_string()))?;
    let bases = (v.item_base.clone(), v.www_base.clone());
    let state = Arc::new(ShopState {
        market: market.clone(),
        shop: k,
        base_url: format!("https://{local}"),
        host: local.to_string(),
        log: log.clone(),
        throttle: opts.throttle,
        counted: AtomicU64::new(0),
        xhr_prices: false,
        consent: false,
        slider: None,
        quick: Mutex::new((None, 0)),
        vhosts: Some(v),
    });
    let app = Router::new().fallback(answer).with_state(state);
    let server = axum_server::from_tcp_rustls(listener, config).map_err(bind_err)?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        let _ = stopped.wait_for(|stop| *stop).await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    });
    let task = tokio::spawn(server.handle(handle).serve(app.into_make_service()));
    Ok(TlsListener {
        port: local.port(),
        bases,
        ca_pem,
        task,
    })
}

impl RunningMarket {
    pub fn shops(&self) -> Vec<ServedShop> {
        self.shops.clone()
    }

    /// The base URL of every served host: each shop's own, then its mirrors, shop by shop.
    pub fn all_base_urls(&self) -> Vec<String> {
        self.shops
            .iter()
            .flat_map(|s| std::iter::once(s.base_url.clone()).chain(s.mirrors.iter().cloned()))
            .collect()
    }

    /// The base URL of shop `name`, e.g. `http://127.0.0.5:41234`.
    pub fn base_url(&self, name: &str) -> Option<&str> {
        self.shops
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.base_url.as_str())
    }

    pub fn market(&self) -> &Arc<Market> {
        &self.market
    }

    /// The ground truth with absolute page and seller URLs on each shop's own host (not its
    /// mirrors: a mirror's page is the same offer under `mirror + path`); with
    /// [`Shapes::hosts`], the URLs the shop links to (`item.` for pages, `www.` for sellers).
    pub fn truth_with_urls(&self) -> Vec<TruthRecord> {
        let mut truth = self.market.truth();
        for r in &mut truth {
            let Some(k) = self.shops.iter().position(|s| s.name == r.shop) else {
                continue;
            };
            let base = self.shops[k].base_url.as_str();
            let (page_base, seller_base) = match &self.page_bases[k] {
                Some((item, www)) => (item.as_str(), www.as_str()),
                None => (base, base),
            };
            r.url = Some(format!("{page_base}{}", r.path));
            r.seller.url = r.seller.url.take().map(|p| format!("{seller_base}{p}"));
        }
        truth
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops every shop and waits for open connections to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

const HTTP_DATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

async fn answer(
    State(s): State<Arc<ShopState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    // Stamped on arrival, before rendering: the log measures the spacing a crawler's requests
    // reach the shop with, which a slow page render must not shrink.
    let at_us = s.log.started.elapsed().as_micros() as u64;
    let counted = uri.path() != "/robots.txt";
    let throttled = s.throttle.filter(|t| {
        counted && (s.counted.fetch_add(1, Ordering::Relaxed) + 1) % u64::from(t.every) == 0
    });
    // Every counted arrival moves the slider's count, whatever it is answered.
    let slide = counted && s.slider_trips(at_us);
    let blocked = slide && throttled.is_none();
    let response = if let Some(t) = throttled {
        throttle_response(t)
    } else if blocked {
        slider_page()
    } else if method == Method::GET || method == Method::HEAD {
        s.get(&uri, &headers)
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response()
    };
    s.log.record(LoggedRequest {
        shop: s.market.shops()[s.shop].name.clone(),
        host: s.host.clone(),
        method: method.to_string(),
        path: path_and_query(&uri).to_string(),
        status: response.status().as_u16(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        at_us,
        blocked,
    });
    response
}

fn path_and_query(uri: &Uri) -> &str {
    uri.path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| uri.path())
}

impl ShopState {
    /// Counts an arrival for the slider; whether it is to be answered with the slider page.
    fn slider_trips(&self, at_us: u64) -> bool {
        let Some(slider) = self.slider else {
            return false;
        };
        let mut q = self.quick.lock().unwrap_or_else(|e| e.into_inner());
        let quick =
            q.0.is_some_and(|prev| at_us.saturating_sub(prev) < slider.quick_ms * 1000);
        q.0 = Some(at_us);
        q.1 = if quick { q.1.saturating_add(1) } else { 0 };
        q.1 > slider.after
    }

    /// A GET or HEAD, through the shapes this host has.
    fn get(&self, uri: &Uri, headers: &HeaderMap) -> Response {
        let (path, query) = (uri.path(), uri.query());
        let mut shape = Shape {
            xhr_price: self.xhr_prices,
            ..Shape::default()
        };
        let mut base_url = self.base_url.as_str();
        if let Some(v) = &self.vhosts {
            // HTTP/2 (what a client negotiates over TLS) names the host in `:authority`, which
            // reaches the handler in the URI, not as a Host header.
            let host = uri
                .authority()
                .map(|a| a.host())
                .or_else(|| {
                    let h = headers.get(header::HOST)?.to_str().ok()?;
                    Some(h.rsplit_once(':').map_or(h, |(name, _)| name))
                })
                .unwrap_or("")
                .to_ascii_lowercase();
            let pq = path_and_query(uri);
            let is_item = path.starts_with("/item/");
            let named = host == v.apex || host == v.www || host == v.item;
            if let Some(tls_port) = v.upgrade.filter(|_| named) {
                return moved(&format!("https://{host}:{tls_port}{pq}"));
            }
            if host == v.apex {
                return moved(&format!("{}{pq}", v.www_base));
            }
            if host == v.www {
                if is_item {
                    return moved(&format!("{}{pq}", v.item_base));
                }
                base_url = &v.www_base;
            } else if host == v.item {
                if is_item {
                    base_url = &v.item_base;
                } else if path == "/robots.txt" {
                    // Its own robots.txt, naming the sitemaps on www.
                    base_url = &v.www_base;
                } else {
                    return moved(&format!("{}{pq}", v.www_base));
                }
            }
            // An unknown Host (the raw IP) is served as without the shape.
            if host == v.www || host == v.item {
                shape.item_base = Some(&v.item_base);
                shape.site_base = Some(&v.www_base);
            }
        }
        if self.consent {
            if path == "/consent" {
                return consent_redirect(query);
            }
            let exempt = path == "/robots.txt" || path.starts_with("/sitemap");
            if !exempt && !has_consent(headers) {
                return consent_page(path_and_query(uri));
            }
        }
        if self.xhr_prices {
            if let Some(id) = path
                .strip_prefix("/api/item/")
                .and_then(|p| p.strip_suffix("/price"))
            {
                return self.price_api(id);
            }
        }
        let page = self
            .market
            .page_with(self.shop, base_url, path, query, shape);
        respond(page, headers)
    }

    /// `/api/item/<id>/price`: the offer's exact decimal strings, never cached.
    fn price_api(&self, id: &str) -> Response {
        let offer = id
            .parse()
            .ok()
            .and_then(|id| self.market.offer(self.shop, id));
        let (status, body) = match offer {
            Some(o) if o.gone.is_none() => (
                StatusCode::OK,
                serde_json::json!({
                    "price": o.price.to_string(),
                    "list_price": o.list_price.map(|l| l.to_string()),
                    "currency": "CNY",
                }),
            ),
            Some(o) => (
                StatusCode::from_u16(o.gone.unwrap_or(404)).unwrap_or(StatusCode::NOT_FOUND),
                serde_json::json!({"error": "gone"}),
            ),
            None => (
                StatusCode::NOT_FOUND,
                serde_json::json!({"error": "not found"}),
            ),
        };
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body.to_string(),
        )
            .into_response()
    }
}

fn moved(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(loc) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, loc)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn has_consent(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == "consent=yes")
}

/// The consent wall: 200, no product data, a meta refresh (and a link) to `/consent`.
fn consent_page(next: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let to = format!("/consent?next={next}");
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>隐私政策</title>\n<meta http-equiv=\"refresh\" content=\"0; url={to}\">\n</head>\n<body>\n\
         <div class=\"consent\"><h1>请先同意隐私政策</h1><p>请先同意隐私政策及Cookie使用条款后继续浏览本站。</p>\
         <a class=\"agree\" href=\"{to}\">同意并继续</a></div>\n</body>\n</html>\n"
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `/consent?next=…`: sets the cookie and sends the browser back — to a path of this site
/// only (`/x`, not `//host/x`), so the page cannot be used as an open redirect.
fn consent_redirect(query: Option<&str>) -> Response {
    let next = query
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .and_then(|n| HeaderValue::from_str(&n).ok())
        .unwrap_or(HeaderValue::from_static("/"));
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, next),
            (
                header::SET_COOKIE,
                HeaderValue::from_static("consent=yes; Path=/; Max-Age=31536000"),
            ),
        ],
    )
        .into_response()
}

/// The slider captcha: 200 like a real shop's, no product data.
fn slider_page() -> Response {
    let body = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>安全验证</title>\n</head>\n<body>\n<div class=\"nc_wrapper\"><h1>安全验证</h1>\
         <p>请拖动下方滑块完成验证</p><div class=\"slider\"><span class=\"nc_iconfont btn_slide\">&gt;&gt;</span>\
         <span class=\"nc-lang-cnt\">请按住滑块，拖动到最右边</span></div></div>\n</body>\n</html>\n";
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn throttle_response(t: Throttle) -> Response {
    let status = StatusCode::from_u16(t.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let text = if t.status == 503 {
        "服务繁忙，请稍后再试 (service unavailable, retry later)\n"
    } else {
        "请求过于频繁，请稍后再试 (too many requests, slow down)\n"
    };
    (
        status,
        [
            (header::RETRY_AFTER, t.retry_after_secs.to_string()),
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
        ],
        text,
    )
        .into_response()
}

fn respond(page: crate::pages::Page, req: &HeaderMap) -> Response {
    let mut validators = HeaderMap::new();
    if let Some(etag) = &page.etag {
        validators.insert(
            header::ETAG,
            HeaderValue::from_str(etag).expect("hex ETag is a valid header"),
        );
    }
    if let Some(lm) = page.last_modified {
        let date = lm.format(HTTP_DATE).to_string();
        validators.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&date).expect("HTTP date is ASCII"),
        );
    }
    if page.status == 200 && not_modified(&page, req) {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, validators, page.body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(page.content_type),
    );
    response
}

/// RFC 9110 §13.1: If-None-Match wins over If-Modified-Since when both are sent.
fn not_modified(page: &crate::pages::Page, req: &HeaderMap) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let Some(etag) = &page.etag else { return false };
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag);
    }
    let (Some(ims), Some(lm)) = (
        req.get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok()),
        page.last_modified,
    ) else {
        return false;
    };
    DateTime::parse_from_rfc2822(ims).is_ok_and(|ims| lm <= ims.with_timezone(&Utc))
}
