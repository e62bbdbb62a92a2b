//! The default market's pages, byte for byte: a digest of every page a crawler can reach
//! (home, category pages, sellers, product pages, robots.txt, sitemaps) of every shop, with
//! ETags and Last-Modified, taken before the real-world shapes were added. Options that are
//! off must not change a byte.

use qsword_marketsim::{Market, MarketConfig, Page};

fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3))
}

fn digest(m: &Market) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325;
    let mut add = |p: &Page| {
        h = fnv(h, &p.status.to_le_bytes());
        h = fnv(h, p.content_type.as_bytes());
        h = fnv(h, &p.body);
        h = fnv(h, format!("{:?}{:?}", p.etag, p.last_modified).as_bytes());
    };
    let truth = m.truth();
    for (k, shop) in m.shops().iter().enumerate() {
        let base = format!("http://127.0.0.{}:8080", k + 2);
        let mut paths: Vec<String> = [
            "/",
            "/robots.txt",
            "/sitemap.xml",
            "/sitemap.txt",
            "/sitemap-items.xml",
            "/sitemap-items-1.xml",
            "/sitemap-items-2.xml.gz",
            "/sitemap-categories.xml",
            "/search?q=%E6%8F%92%E5%BA%A7",
            "/cart",
            "/nope",
        ]
        .iter()
        .map(|p| p.to_string())
        .collect();
        for c in qsword_marketsim::catalogue::CATEGORIES {
            paths.push(format!("/category/{}", c.slug));
            paths.push(format!("/category/{}?page=2", c.slug));
        }
        for r in truth.iter().filter(|r| r.shop == shop.name) {
            paths.push(r.path.clone());
            if let Some(u) = &r.seller.url {
                paths.push(u.clone());
            }
        }
        for p in paths {
            let (path, query) = match p.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (p.as_str(), None),
            };
            add(&m.page(k, &base, path, query));
        }
    }
    h
}

#[test]
fn the_default_market_serves_the_same_bytes_as_before_the_shapes() {
    let m = Market::generate(&MarketConfig::default());
    let day1 = Market::generate(&MarketConfig {
        day: 1,
        ..MarketConfig::default()
    });
    // Taken from the market before the shapes (commit 168d1b6); change only with a reason.
    assert_eq!(
        (digest(&m), digest(&day1)),
        (0x38d1_6237_879a_8325, 0x18de_2b6d_b8e6_8977)
    );
}
