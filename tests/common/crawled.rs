//! A web console over a *crawled* store, for the evidence and browser tests: the simulated
//! marketplace plus one hostile shop (a product page whose title and description carry XSS
//! payloads, and whose HTML runs scripts if anything lets it) are crawled, scored and indexed
//! into a temp dir, a staff account is added, and `qsword serve --addr 127.0.0.1:0` runs.

use super::console::{add_user, serve, Server};
use super::{ok, qsword, write_config};
use qsword_marketsim::{Market, MarketConfig, RunningMarket, ServeOptions};
use std::sync::Arc;

/// The investigator's account (password [`super::console::PASSWORD`]).
pub const USER: &str = "zhang";
/// An investigator the browser test reads the API as while [`USER`] works in the browser (a
/// login ends the account's other sessions, so the two cannot share an account).
#[allow(dead_code)] // only the browser test reads beside the browser
pub const READER: &str = "wang";

/// The payloads below, if they ran, would set `window.__xss`, the document title to `PWNED`
/// and add an element `#pwned`: the tests check for each.
///
/// The hostile listing's title: script tags, an event handler, a `javascript:` link and
/// broken markup, around a Chinese product name the tests search for.
pub const XSS_TITLE: &str = "安全插座 <script>window.__xss=1;document.title='PWNED'</script>\
     <img src=x onerror=\"window.__xss=2;document.title='PWNED'\"> \"><b>broken \
     <a href=\"javascript:window.__xss=3\">点我</a>";

/// Its description: more of the same, and markup that never closes.
pub const XSS_DESCRIPTION: &str = "高仿 <svg onload=\"window.__xss=4\"></svg>\
     <iframe src=\"javascript:parent.__xss=5\"></iframe><div class=\"x\" title=\"unclosed";

/// What a script in the captured page does if it runs.
const PAGE_SCRIPT: &str = "<script>window.__xss=6;document.title='PWNED';\
     document.body.insertAdjacentHTML('beforeend','<p id=\"pwned\">PWNED</p>');</script>";

/// The hostile shop's product page: the payloads in JSON-LD (escaped as JSON-LD must be, so
/// the crawler reads them back as text) and raw in the HTML, where a browser would run them
/// (the broken markup last: its unclosed attribute would swallow a script after it).
fn hostile_product_page() -> String {
    let ld = serde_json::json!({
        "@context": "https://schema.org", "@type": "Product",
        "name": XSS_TITLE, "description": XSS_DESCRIPTION, "sku": "666",
        "brand": {"@type": "Brand", "name": "公牛"},
        "offers": {"@type": "Offer", "price": "9.90", "priceCurrency": "CNY",
                   "availability": "https://schema.org/InStock",
                   "seller": {"@type": "Organization", "name": "黑店 <script>window.__xss=7</script>"}},
    });
    let ld = serde_json::to_string(&ld).unwrap().replace('<', "\\u003c");
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>captured hostile page</title>\
         <script type=\"application/ld+json\">{ld}</script></head>\
         <body><h1 id=\"captured-title\">{XSS_TITLE}</h1>{PAGE_SCRIPT}\
         <img src=\"x\" onerror=\"document.title='PWNED'\">\
         <a id=\"js-link\" href=\"javascript:document.title='PWNED'\">click</a>\
         <div class=\"desc\">{XSS_DESCRIPTION}</div></body></html>"
    )
}

/// A one-page shop on loopback serving the hostile product page; its base URL.
async fn serve_hostile_shop() -> String {
    use axum::routing::get;
    let page = hostile_product_page();
    let app = axum::Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route(
            "/",
            get(|| async {
                axum::response::Html(
                    "<html><body><a href=\"/item/666.html\">item</a></body></html>",
                )
            }),
        )
        .route(
            "/item/666.html",
            get(move || {
                let page = page.clone();
                async move { axum::response::Html(page) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// The running console and what it was built from. Dropping it stops the server, the shops
/// and removes the data.
pub struct CrawledConsole {
    pub base: String,
    /// The hostile product page's URL (as the store keeps it).
    pub hostile_url: String,
    _server: Server,
    _market: RunningMarket,
    pub dir: tempfile::TempDir,
    /// The shops' runtime (their tasks run on its workers), shut down on drop.
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for CrawledConsole {
    fn drop(&mut self) {
        // Also allowed from inside an async test, unlike dropping the runtime.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Crawls the simulated marketplace (seed 23, `products` products) and the hostile shop,
/// scores and indexes the store, adds [`USER`], and serves the console.
pub fn crawled_console(products: usize) -> CrawledConsole {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let market = Arc::new(Market::generate(&MarketConfig {
        seed: 23,
        products,
        ..Default::default()
    }));
    // On a thread of its own: the caller may be an async test, where blocking on another
    // runtime is refused.
    let (running, hostile_base) = std::thread::scope(|s| {
        s.spawn(|| {
            rt.block_on(async {
                let running = qsword_marketsim::serve(market, ServeOptions::default())
                    .await
                    .expect("the simulated marketplace starts on 127.0.0.2–6");
                (running, serve_hostile_shop().await)
            })
        })
        .join()
        .unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), &running);
    std::fs::write(
        dir.path().join("sites/hostile-sim.toml"),
        format!(
            "name = \"hostile-sim\"\nplatform = \"hostile-sim\"\nstart_urls = [\"{hostile_base}/\"]\nproduct_url = '/item/\\d+\\.html$'\n"
        ),
    )
    .unwrap();
    ok(qsword(dir.path(), &["crawl"]));
    ok(qsword(dir.path(), &["detect"]));
    ok(qsword(dir.path(), &["index"]));
    add_user(dir.path(), USER, "investigator");
    add_user(dir.path(), READER, "investigator");
    let server = serve(dir.path());
    CrawledConsole {
        base: server.base.clone(),
        hostile_url: format!("{hostile_base}/item/666.html"),
        _server: server,
        _market: running,
        dir,
        rt: Some(rt),
    }
}
