//! Pages that need a browser, crawled with real headless Chromium (Debian's `chromium`,
//! which `scripts/test` installs) against a real HTTP shop on loopback whose prices arrive by
//! XHR. Without Chromium these tests fail, saying so: they are not skipped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use qsword_crawler::evidence::{exchange_bytes, read_record};
use qsword_crawler::{crawl, CrawlerConfig, MemoryFrontier, Render, Site};

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// A product page with no price in its HTML: a script asks the API for it, and also asks for
/// a path robots.txt disallows (which the crawler must never let out).
fn product(n: u32) -> String {
    format!(
        r#"<html><head><title>公牛插座 GN-{n}</title></head><body>
<h1>公牛插座 GN-{n} 五孔 1.8米</h1>
<div>品牌：公牛</div><div>售价：<span class="price">加载中</span></div>
<script>
fetch('/api/secret/{n}').catch(function () {{}});
fetch('/api/price/{n}').then(function (r) {{ return r.json(); }}).then(function (j) {{
  document.querySelector('.price').textContent = '¥' + j.price;
}});
</script></body></html>"#
    )
}

struct Shop {
    base: String,
    secret_hits: Arc<AtomicUsize>,
}

async fn shop() -> Shop {
    let secret_hits = Arc::new(AtomicUsize::new(0));
    let hits = secret_hits.clone();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let hits = hits.clone();
        async move {
            let p = uri.path();
            if p == "/robots.txt" {
                return "User-agent: *\nDisallow: /api/secret\n".into_response();
            }
            if p == "/" {
                return html(r#"<a href="/item/1.html">1</a><a href="/item/2.html">2</a>"#.into());
            }
            if p.starts_with("/api/secret") {
                hits.fetch_add(1, Ordering::SeqCst);
                return "{}".into_response();
            }
            if let Some(n) = p.strip_prefix("/api/price/") {
                return (
                    [(header::CONTENT_TYPE, "application/json")],
                    format!(r#"{{"price":"{n}9.00","currency":"CNY"}}"#),
                )
                    .into_response();
            }
            match p
                .strip_prefix("/item/")
                .and_then(|r| r.strip_suffix(".html"))
                .and_then(|n| n.parse().ok())
            {
                Some(n) => html(product(n)),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Shop {
        base: format!("http://{addr}"),
        secret_hits,
    }
}

/// The shop's site file: its product pages rendered.
fn xhr_site(shop: &Shop) -> Site {
    Site {
        name: "xhr".into(),
        platform: "xhr".into(),
        start_urls: vec![format!("{}/", shop.base)],
        product_url: Some(r"/item/\d+\.html$".into()),
        render: Some(Render::Products(true)),
        ..Site::default()
    }
}

fn chromium_present() {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .any(|n| which(n));
    assert!(
        found,
        "Chromium is not installed: these tests need Debian's `chromium` package (scripts/test installs it)"
    );
}

fn which(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_that_arrive_by_xhr_are_read_from_the_rendered_page_and_kept_as_evidence() {
    chromium_present();
    let shop = shop().await;
    let site = xhr_site(&shop);
    let cfg = CrawlerConfig {
        allow_loopback: true,
        default_delay_ms: 20,
        ..CrawlerConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&cfg, &[site], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    assert_eq!(report.render_unavailable, None, "{report:?}");
    assert_eq!(report.rendered, 2, "{report:?}");
    let mut got: Vec<(String, String)> = frontier
        .outcomes
        .iter()
        .filter_map(|o| o.listing.as_ref())
        .map(|(l, _)| {
            let price = l.price.as_ref().map(|p| p.amount.to_string());
            (l.url.clone(), price.unwrap_or_default())
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (format!("{}/item/1.html", shop.base), "19.00".to_string()),
            (format!("{}/item/2.html", shop.base), "29.00".to_string()),
        ],
        "{report:?}"
    );
    // robots.txt holds for the browser's own requests too.
    assert_eq!(shop.secret_hits.load(Ordering::SeqCst), 0);
    // The evidence: the DOM with the price, then the document without it and the answer.
    let (_, warc) = frontier
        .outcomes
        .iter()
        .filter_map(|o| o.listing.as_ref())
        .find(|(l, _)| l.url.ends_with("/item/1.html"))
        .unwrap();
    let dom = read_record(warc).unwrap();
    assert_eq!(dom.warc_header("WARC-Type"), Some("resource"));
    assert!(String::from_utf8_lossy(&dom.payload).contains("¥19.00"));
    let capture = String::from_utf8_lossy(
        &exchange_bytes(warc)
            .map(|b| {
                let mut out = Vec::new();
                use std::io::Read;
                flate2::read::MultiGzDecoder::new(&b[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            })
            .unwrap(),
    )
    .into_owned();
    assert!(capture.contains("WARC-Type: response"), "{capture}");
    assert!(
        capture.contains(r#"{"price":"19.00","currency":"CNY"}"#),
        "{capture}"
    );
    assert!(
        capture.contains("加载中"),
        "the document as the server sent it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_browser_the_page_is_fetched_and_the_report_says_why() {
    let shop = shop().await;
    let site = xhr_site(&shop);
    let cfg = CrawlerConfig {
        allow_loopback: true,
        default_delay_ms: 0,
        chromium: Some("/nonexistent/chromium".into()),
        ..CrawlerConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (report, frontier) = crawl(&cfg, &[site], MemoryFrontier::new(), dir.path())
        .await
        .unwrap();
    let why = report.render_unavailable.clone().unwrap_or_default();
    assert!(why.contains("/nonexistent/chromium"), "{why}");
    assert_eq!(report.rendered, 0);
    // The pages were still fetched (no price without the browser), nothing was lost.
    let fetched = frontier
        .outcomes
        .iter()
        .filter(|o| o.lease.url.path().starts_with("/item/"))
        .count();
    assert_eq!(fetched, 2, "{report:?}");
}
