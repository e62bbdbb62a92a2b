//! Serving the market over HTTP: one axum server per shop, each on its own loopback address,
//! with conditional requests (ETag / Last-Modified → 304) and a request log that tests use to
//! prove politeness (no Disallowed path requested, spacing per host).

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
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to serve the market.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The port every shop listens on (each shop has its own IP); 0 = an ephemeral port per shop.
    pub port: u16,
    /// Also append every request as a JSON line to this file.
    pub request_log: Option<PathBuf>,
}

/// A shop as served: where to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedShop {
    pub name: String,
    pub style: PageStyle,
    pub charset: Charset,
    /// `http://127.0.0.2:PORT`, no trailing slash.
    pub base_url: String,
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

struct ShopState {
    market: Arc<Market>,
    shop: usize,
    base_url: String,
    host: String,
    log: Arc<RequestLog>,
}

/// The market being served; dropping it (or [`RunningMarket::shutdown`]) stops every shop.
pub struct RunningMarket {
    market: Arc<Market>,
    shops: Vec<ServedShop>,
    log: Arc<RequestLog>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

/// Starts one HTTP server per shop on its loopback address (127.0.0.2 …).
pub async fn serve(market: Arc<Market>, opts: ServeOptions) -> Result<RunningMarket, Error> {
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
        let addr = SocketAddr::new(IpAddr::V4(spec.ip), opts.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                shop: spec.name.clone(),
                addr,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| Error::Bind {
            shop: spec.name.clone(),
            addr,
            source,
        })?;
        let base_url = format!("http://{local}");
        shops.push(ServedShop {
            name: spec.name.clone(),
            style: spec.style,
            charset: spec.charset,
            base_url: base_url.clone(),
        });
        let state = Arc::new(ShopState {
            market: market.clone(),
            shop: k,
            base_url,
            host: local.to_string(),
            log: log.clone(),
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
    tracing::info!(shops = shops.len(), "marketsim serving");
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

    /// The ground truth with absolute page and seller URLs.
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
    let response = if method == Method::GET || method == Method::HEAD {
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
