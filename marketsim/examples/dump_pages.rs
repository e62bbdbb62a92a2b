//! Prints how long generation takes and one product page of each shop, for eyeballing the page
//! styles: `cargo run -p qsword-marketsim --example dump_pages [PRODUCTS]`.
use qsword_marketsim::{Charset, Market, MarketConfig};
use std::time::Instant;

fn main() {
    let products = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
    let start = Instant::now();
    let m = Market::generate(&MarketConfig {
        products,
        ..MarketConfig::default()
    });
    eprintln!(
        "generated {} offers of {products} products in {:?}",
        m.truth().len(),
        start.elapsed()
    );
    let truth = m.truth();
    for (k, shop) in m.shops().iter().enumerate() {
        let r = truth
            .iter()
            .find(|r| r.shop == shop.name && r.fake)
            .expect("every shop has fakes");
        let page = m.page(k, "http://127.0.0.2:8080", &r.path, None);
        let text = match shop.charset {
            Charset::Utf8 => String::from_utf8(page.body).expect("UTF-8 shop"),
            Charset::Gbk => encoding_rs::GBK.decode(&page.body).0.into_owned(),
        };
        println!(
            "===== {} {} (ETag {:?})\n{text}",
            shop.name, r.path, page.etag
        );
    }
}
