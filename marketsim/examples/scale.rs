//! Measures what a benchmark-sized market costs: generation time, the memory the market holds
//! (resident set growth) and the peak (VmHWM), and the time to render a sample of pages.
//! `cargo run -p qsword-marketsim --example scale [PRODUCTS] [SHOPS]` (defaults 13 500 and 8:
//! about 200 000 product pages).
use qsword_marketsim::{Market, MarketConfig};
use std::time::Instant;

/// A field of /proc/self/status in MiB (Linux only; 0 elsewhere).
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let products = args.next().and_then(|a| a.parse().ok()).unwrap_or(13_500);
    let shops = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let before = status_mib("VmRSS:");
    let start = Instant::now();
    let m = Market::generate(&MarketConfig {
        products,
        shops,
        ..MarketConfig::default()
    });
    let took = start.elapsed();
    let held = status_mib("VmRSS:") - before;
    let offers = m.offer_count();
    println!(
        "generated {offers} offers ({products} products, {shops} shops) in {took:.2?}; \
         the market holds {held:.1} MiB ({:.0} B/offer), peak VmHWM {:.1} MiB",
        held * 1024.0 * 1024.0 / offers as f64,
        status_mib("VmHWM:")
    );
    // Page rendering must not grow with the market: time a sample of each kind.
    let base = "http://127.0.0.2:8080";
    let first = m.truth_iter().next().expect("a product");
    let shop0 = m.shops().iter().position(|s| s.name == first.shop).unwrap();
    let seller = first.seller.url.clone().unwrap();
    for (label, path, query) in [
        ("home", "/".to_string(), None),
        ("category p1", "/category/steel".to_string(), None),
        (
            "category p50",
            "/category/steel".to_string(),
            Some("page=50"),
        ),
        ("seller", seller, None),
        ("sitemap index", "/sitemap.xml".to_string(), None),
        ("sitemap 1", "/sitemap-items-1.xml".to_string(), None),
        ("sitemap 2 gz", "/sitemap-items-2.xml.gz".to_string(), None),
        ("sitemap txt", "/sitemap.txt".to_string(), None),
    ] {
        let start = Instant::now();
        let page = m.page(shop0, base, &path, query);
        println!(
            "  {label:<14} {} {:>9} B in {:.2?}",
            page.status,
            page.body.len(),
            start.elapsed()
        );
    }
    let truth_start = Instant::now();
    let items: Vec<_> = m
        .truth_iter()
        .filter(|r| r.shop == first.shop)
        .take(1000)
        .map(|r| r.path)
        .collect();
    let render = Instant::now();
    for p in &items {
        let _ = m.page(shop0, base, p, None);
    }
    println!(
        "  {} product pages in {:.2?} ({:.2?} to find them)",
        items.len(),
        render.elapsed(),
        render - truth_start
    );
}
