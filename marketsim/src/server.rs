//! Serving the market over HTTP: one axum server per host — each shop on its own loopback
//! address, plus optional mirrors of every shop on more addresses — with conditional requests
//! (ETag / Last-Modified → 304), optional throttling (429/503 with `Retry-After`) and a request
//! log that tests use to prove politeness (no Disallowed path requested, spacing per host).

use crate::error::Error;
use crate::market::{Charset, Market, PageStyle};
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
}

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
}

/// The market being served; dropping it (or [`RunningMarket::shutdown`]) stops every shop.
pub struct RunningMarket {
    market: Arc<Market>,
    shops: Vec<ServedShop>,
    log: Arc<RequestLog>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
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
    for (k, spec) in market.shops().iter().enumerate() {
        let mut served = ServedShop {
            name: spec.name.clone(),
            style: spec.style,
            charset: spec.charset,
            base_url: String::new(),
            mirrors: Vec::new(),
        };
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
            if mirror == 0 {
                served.base_url = base_url.clone();
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
    }
    tracing::info!(
        shops = shops.len(),
        hosts = tasks.len(),
        throttle = ?opts.throttle,
        "marketsim serving"
    );
    Ok(RunningMarket {
        market,
        shops,
        log,
        stop,
        tasks,
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
    /// mirrors: a mirror's page is the same offer under `mirror + path`).
    pub fn truth_with_urls(&self) -> Vec<TruthRecord> {
        let mut truth = self.market.truth();
        for r in &mut truth {
            if let Some(base) = self.base_url(&r.shop) {
                r.url = Some(format!("{base}{}", r.path));
                r.seller.url = r.seller.url.take().map(|p| format!("{base}{p}"));
            }
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
    let throttled = s.throttle.filter(|t| {
        uri.path() != "/robots.txt"
            && (s.counted.fetch_add(1, Ordering::Relaxed) + 1) % u64::from(t.every) == 0
    });
    let response = if let Some(t) = throttled {
        throttle_response(t)
    } else if method == Method::GET || method == Method::HEAD {
        let page = s.market.page(s.shop, &s.base_url, uri.path(), uri.query());
        respond(page, &headers)
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
        path: uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| uri.path().to_string()),
        status: response.status().as_u16(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        at_us,
    });
    response
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
