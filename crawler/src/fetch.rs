//! One HTTP exchange, as received: no automatic redirects (each hop is checked for address
//! safety and politeness by the caller), no automatic decompression (the WARC keeps the bytes
//! the server sent; [`decode_content_encoding`] undoes gzip/deflate/br for parsing), a body
//! limit enforced while streaming, and the retry policy for transient failures.

use std::io::{self, Read};
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, ACCEPT_ENCODING, ACCEPT_LANGUAGE, COOKIE, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, RETRY_AFTER, TRANSFER_ENCODING, USER_AGENT,
};
use reqwest::{StatusCode, Version};
use url::Url;

use crate::config::CrawlerConfig;
use crate::safety::{resolver, AddressPolicy};

/// A response as it came off the wire.
pub(crate) struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub ip: Option<IpAddr>,
    pub date: DateTime<Utc>,
    /// From sending the request to the last byte of the body.
    pub elapsed: std::time::Duration,
    pub request_head: Vec<u8>,
    pub response_head: Vec<u8>,
    /// Body as sent (still content-encoded), at most `max_body_bytes`.
    pub body: Vec<u8>,
    pub truncated: bool,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The extra certificate authorities of `[crawler] ca_certs`, each file named on error.
pub(crate) fn load_roots(
    files: &[std::path::PathBuf],
) -> Result<Vec<reqwest::Certificate>, String> {
    let mut roots = Vec::new();
    for f in files {
        let pem = std::fs::read(f).map_err(|e| format!("ca_certs: {}: {e}", f.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("ca_certs: {}: not PEM certificates: {e}", f.display()))?;
        if certs.is_empty() {
            return Err(format!("ca_certs: {}: no certificate in it", f.display()));
        }
        roots.extend(certs);
    }
    Ok(roots)
}

/// A request that produced no response.
pub(crate) struct FetchFailure {
    pub message: String,
    /// Worth retrying (connect errors and timeouts).
    pub transient: bool,
}

/// What a request carries of the site's session.
pub(crate) struct Session<'a> {
    pub accept_language: &'a str,
    /// The `Cookie` header from the site's jar.
    pub cookie: Option<&'a str>,
}

pub(crate) struct Fetcher {
    client: reqwest::Client,
    user_agent: String,
    max_body_bytes: u64,
}

const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const ACCEPT_ENCODINGS: &str = "gzip, deflate, br";

impl Fetcher {
    /// A client for one address policy and proxy (`None`: direct). HTTP/2 is used where the
    /// server offers it over TLS (ALPN), as browsers do.
    pub fn new(
        cfg: &CrawlerConfig,
        policy: AddressPolicy,
        proxy: Option<&str>,
        roots: &[reqwest::Certificate],
    ) -> reqwest::Result<Fetcher> {
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .no_brotli()
            .no_deflate();
        builder = match proxy {
            Some(p) => builder.proxy(reqwest::Proxy::all(p)?),
            None => builder.no_proxy(),
        };
        for c in roots {
            builder = builder.add_root_certificate(c.clone());
        }
        // Overridden names go straight to their address, which `check_url_with` has judged.
        for (name, ip) in &cfg.resolve {
            builder = builder.resolve(name, std::net::SocketAddr::new(*ip, 0));
        }
        let client = builder
            .connect_timeout(timeout)
            .read_timeout(timeout)
            // Applies from sending to the end of the body.
            .timeout(Duration::from_millis(cfg.total_timeout_ms))
            .dns_resolver(resolver(policy))
            .build()?;
        Ok(Fetcher {
            client,
            user_agent: cfg.user_agent_header(),
            max_body_bytes: cfg.max_body_bytes,
        })
    }

    /// One GET, body read up to the limit; conditional when validators (ETag, Last-Modified
    /// of the last answer) are given.
    pub async fn get(
        &self,
        url: &Url,
        validators: (Option<&str>, Option<&str>),
        session: &Session<'_>,
    ) -> Result<RawResponse, FetchFailure> {
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_owned(),
        };
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let mut request_head = format!(
            "GET {target} HTTP/1.1\r\nhost: {host}\r\nuser-agent: {}\r\naccept: {ACCEPT_HTML}\r\naccept-encoding: {ACCEPT_ENCODINGS}\r\n",
            self.user_agent
        );
        let mut req = self
            .client
            .get(url.clone())
            .header(USER_AGENT, &self.user_agent)
            .header(ACCEPT, ACCEPT_HTML)
            .header(ACCEPT_ENCODING, ACCEPT_ENCODINGS);
        // Validators come from an earlier response of this server; a value (validator, cookie,
        // language) that is not a valid header value is not sent.
        for (name, value) in [
            (ACCEPT_LANGUAGE, Some(session.accept_language)),
            (COOKIE, session.cookie),
            (IF_NONE_MATCH, validators.0),
            (IF_MODIFIED_SINCE, validators.1),
        ] {
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
                request_head.push_str(&format!(
                    "{}: {}\r\n",
                    name.as_str(),
                    v.to_str().unwrap_or("")
                ));
                req = req.header(name, v);
            }
        }
        request_head.push_str("\r\n");
        let request_head = request_head.into_bytes();
        let fail = |e: reqwest::Error| FetchFailure {
            transient: e.is_connect() || e.is_timeout(),
            message: format!("{url}: {}", error_chain(&e)),
        };
        let date = Utc::now();
        let started = std::time::Instant::now();
        let mut resp = req.send().await.map_err(fail)?;
        let status = resp.status();
        let version = match resp.version() {
            Version::HTTP_09 => "HTTP/0.9",
            Version::HTTP_10 => "HTTP/1.0",
            Version::HTTP_2 => "HTTP/2",
            Version::HTTP_3 => "HTTP/3",
            _ => "HTTP/1.1",
        };
        let mut response_head = format!(
            "{version} {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .into_bytes();
        for (k, v) in resp.headers() {
            // The body is recorded de-chunked: a WARC reader that saw `transfer-encoding:
            // chunked` would de-chunk it again. Renamed as warcprox and wget do.
            // (`content-encoding` stays: the body is recorded still encoded.)
            let name = if k == TRANSFER_ENCODING {
                "X-Crawler-Transfer-Encoding"
            } else {
                k.as_str()
            };
            response_head.extend_from_slice(name.as_bytes());
            response_head.extend_from_slice(b": ");
            response_head.extend_from_slice(v.as_bytes());
            response_head.extend_from_slice(b"\r\n");
        }
        response_head.extend_from_slice(b"\r\n");
        let headers = resp.headers().clone();
        let ip = resp.remote_addr().map(|a| a.ip());
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = resp.chunk().await.map_err(fail)? {
            let room = self.max_body_bytes.saturating_sub(body.len() as u64) as usize;
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            headers,
            ip,
            date,
            elapsed: started.elapsed(),
            request_head,
            response_head,
            body,
            truncated,
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// Undoes a `Content-Encoding` (gzip, x-gzip, deflate, br, identity), reading at most `limit`
/// decoded bytes (a small gzip bomb must not exhaust memory); returns the bytes and whether
/// they were cut at the limit.
pub fn decode_content_encoding(
    encoding: Option<&str>,
    body: &[u8],
    limit: u64,
) -> io::Result<(Vec<u8>, bool)> {
    let enc = encoding.unwrap_or("identity").trim().to_ascii_lowercase();
    let reader: Box<dyn Read + '_> = match enc.as_str() {
        "" | "identity" => Box::new(body),
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        // "deflate" is zlib-wrapped by the RFC; some servers send it raw.
        "deflate" if body.first().is_some_and(|b| b & 0x0f == 8) => {
            Box::new(flate2::read::ZlibDecoder::new(body))
        }
        "deflate" => Box::new(flate2::read::DeflateDecoder::new(body)),
        "br" => Box::new(brotli_decompressor::Decompressor::new(body, 4096)),
        other => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("unsupported Content-Encoding {other:?}"),
            ))
        }
    };
    let mut out = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    let cut = out.len() as u64 > limit;
    if cut {
        out.truncate(limit as usize);
    }
    Ok((out, cut))
}

/// Whether an answer is worth asking again: 5xx and 429.
pub(crate) fn is_transient_status(s: StatusCode) -> bool {
    s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS
}

/// How long to wait before retry number `attempt` (0-based): exponential backoff with up to
/// 50% jitter, or the server's Retry-After when it asks for longer.
pub(crate) fn retry_delay(
    cfg: &CrawlerConfig,
    attempt: u32,
    retry_after: Option<&str>,
) -> Duration {
    let base = cfg.retry_backoff_ms.saturating_mul(1 << attempt.min(16));
    let jitter = rand::thread_rng().gen_range(0..=base / 2);
    let backoff = Duration::from_millis(base + jitter);
    retry_after
        .and_then(parse_retry_after)
        .map_or(backoff, |ra| ra.max(backoff))
}

/// `Retry-After`: delay-seconds or an HTTP-date.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?;
    Some(
        (when.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or_default(),
    )
}

pub(crate) fn retry_after_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_is_undone_and_bombs_are_cut() {
        let page = "<html>".to_owned() + &"x".repeat(100_000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(page.as_bytes()).unwrap();
        let packed = gz.finish().unwrap();
        let (out, cut) = decode_content_encoding(Some("gzip"), &packed, 1 << 20).unwrap();
        assert_eq!(out, page.as_bytes());
        assert!(!cut);
        let (out, cut) = decode_content_encoding(Some("gzip"), &packed, 1000).unwrap();
        assert_eq!(out.len(), 1000);
        assert!(cut);
    }

    #[test]
    fn retry_after_is_honoured_when_longer_than_backoff() {
        let cfg = CrawlerConfig {
            retry_backoff_ms: 10,
            ..Default::default()
        };
        assert!(retry_delay(&cfg, 0, Some("3")) >= Duration::from_secs(3));
        let d = retry_delay(&cfg, 2, None);
        assert!(
            d >= Duration::from_millis(40) && d <= Duration::from_millis(60),
            "{d:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
    }
}
