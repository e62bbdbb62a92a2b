//! Hostile pages through `decode_html` + `extract_listing`: huge pages, deep nesting, invalid
//! bytes, JSON bombs. Each must come back (a listing or `None`) without a panic, a stack
//! overflow or a hang; where a real product sits before the junk, it must still be found.
//! Time is not asserted (speed is `qsword bench extract`), but every test is meant to finish
//! in seconds in a debug build: one that does not reveals a missing bound.

use qsword_extract::{decode_html, extract_listing, SiteRules, MAX_HTML_BYTES};
use qsword_listing::Listing;
use url::Url;

fn url() -> Url {
    Url::parse("https://shop.example/item/1001.html").unwrap()
}

fn extract(body: &[u8], content_type: Option<&str>) -> Option<Listing> {
    let page = decode_html(body, content_type);
    extract_listing(&page, &url(), None)
}

fn utf8(body: &str) -> Option<Listing> {
    extract(body.as_bytes(), Some("text/html; charset=utf-8"))
}

/// A genuine JSON-LD product, placed before the hostile part of each page.
const PRODUCT: &str = r#"<script type="application/ld+json">
{"@type": "Product", "name": "公牛 插座 GN-H3050", "brand": "公牛",
 "offers": {"@type": "Offer", "price": "39.90", "priceCurrency": "CNY"}}</script>"#;

fn head(extra: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>公牛 插座</title>{PRODUCT}{extra}</head><body><h1>公牛 插座 GN-H3050</h1>"
    )
}

fn assert_true_product(listing: Option<Listing>) {
    let l = listing.expect("the genuine product before the junk is found");
    assert_eq!(l.title, "公牛 插座 GN-H3050");
    assert_eq!(l.price.unwrap().to_string(), "¥39.90");
}

#[test]
fn twenty_megabytes_of_product_blocks_are_cut_and_read() {
    let block = "<div class=\"item\"><h2>相关商品 推荐</h2><span class=\"price\">¥12.50</span>\
                 <a href=\"/item/2.html\">看看</a></div>\n";
    let mut page = head("");
    while page.len() < 20 * 1024 * 1024 {
        page.push_str(block);
    }
    assert!(page.len() > MAX_HTML_BYTES);
    assert_true_product(utf8(&page));
}

#[test]
fn twenty_megabytes_of_unclosed_divs() {
    let mut page = head("");
    page.push_str(&"<div class=\"price\">".repeat(20 * 1024 * 1024 / 19));
    assert_true_product(utf8(&page));
}

#[test]
fn hundred_thousand_deep_nesting() {
    for tag in ["div", "span", "table", "a", "b", "li", "p"] {
        let depth = 100_000;
        let mut page = head("");
        page.push_str(&format!("<{tag} class=\"price breadcrumb spec\">").repeat(depth));
        page.push_str("¥9.99 CCC 2020010901234567");
        page.push_str(&format!("</{tag}>").repeat(depth));
        assert_true_product(utf8(&page));
    }
}

#[test]
fn deep_nesting_without_structured_data_still_returns() {
    // Only heuristics to go on; the <h1> and price sit at the bottom of 100 000 levels.
    let depth = 100_000;
    let mut page = String::from("<html><body>");
    page.push_str(&"<div class=\"price\">".repeat(depth));
    page.push_str("<h1>深层 商品</h1><span class=\"price\">¥19.90</span>");
    page.push_str(&"</div>".repeat(depth));
    let _ = utf8(&page);
    // The same under site rules with descendant selectors (ancestor walks on a deep tree).
    let rules = SiteRules {
        title: Some("div h1".into()),
        price: Some("div div span.price".into()),
        specs: Some("div table tr".into()),
        ..SiteRules::default()
    };
    let decoded = decode_html(page.as_bytes(), None);
    let _ = extract_listing(&decoded, &url(), Some(&rules));
}

#[test]
fn invalid_bytes_and_nuls() {
    let mut body = head("").into_bytes();
    for i in 0..200_000u32 {
        body.extend_from_slice(&[0xff, 0xfe, 0x00, 0x81, 0x30, (i % 256) as u8, 0xc3, b'<']);
    }
    assert_true_product(extract(&body, Some("text/html; charset=utf-8")));
    // The same bytes with no declaration at all, and declared GBK.
    let _ = extract(&body[60..], None);
    let _ = extract(&body, Some("text/html; charset=gbk"));
    // NULs inside the JSON-LD and the title.
    let page = head("").replace("GN-H3050", "GN-\0H3050\0");
    let l = utf8(&page).expect("NULs do not hide the product");
    assert!(!l.title.contains('\0'));
}

#[test]
fn meta_charset_that_lies() {
    // Declared GBK in meta, bytes are UTF-8: decoding stays total; the price is ASCII.
    let page = head("").replace("charset=\"utf-8\"", "charset=\"gbk\"");
    let l = extract(page.as_bytes(), None).expect("the product survives mojibake");
    assert_eq!(l.price.unwrap().to_string(), "¥39.90");
    // Declared UTF-16 (a lie on an ASCII-compatible page), and an unknown label.
    for label in ["utf-16", "x-no-such-charset", "utf-7"] {
        let page = head("").replace("charset=\"utf-8\"", &format!("charset=\"{label}\""));
        assert_true_product(extract(page.as_bytes(), None));
    }
    // GBK bytes labelled UTF-8 in the header: U+FFFD everywhere, still no panic.
    let text = head("");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let _ = extract(&gbk, Some("text/html; charset=utf-8"));
}

fn ld(json: &str) -> String {
    format!("<script type=\"application/ld+json\">{json}</script>")
}

#[test]
fn json_ld_nested_a_million_deep() {
    let n = 1_000_000;
    let arrays = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let objects = format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    let unclosed = "[{\"@graph\":".repeat(n / 10);
    for bomb in [&arrays, &objects, &unclosed] {
        assert_true_product(utf8(&head(&ld(bomb))));
    }
    // Just within serde_json's recursion limit, each level a typed node.
    let typed = format!(
        "{}{}",
        "{\"@type\": \"Thing\", \"x\": [".repeat(120),
        "]}".repeat(120)
    );
    assert_true_product(utf8(&head(&ld(&typed))));
}

#[test]
fn json_ld_that_needs_repair_nested_deep() {
    // Trailing commas and comments force the lenient path on the deep text.
    let n = 200_000;
    let deep = format!("{}1,{} // note", "[".repeat(n), "],".repeat(n));
    assert_true_product(utf8(&head(&ld(&deep))));
    // Comment wrappers repeated: `<!--` a million times.
    let wrappers = format!("{}{{\"a\": 1}}", "<!--".repeat(1_000_000));
    assert_true_product(utf8(&head(&ld(&wrappers))));
    let wrappers = "<!--".repeat(2_000_000);
    assert_true_product(utf8(&head(&ld(&wrappers))));
}

#[test]
fn json_ld_huge_string_numbers_and_prices() {
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let big_string = format!("{{\"@type\": \"Product\", \"description\": \"{ten_mb}\"}}");
    assert_true_product(utf8(&head(&ld(&big_string))));
    // Unparseable (quotes unbalanced) and large: the repair pass runs on it.
    let broken = format!(
        "{{\"@type\": \"Product\", 'description': \"{}",
        "y".repeat(7_000_000)
    );
    assert_true_product(utf8(&head(&ld(&broken))));

    let nines = "9".repeat(10_000);
    let product = format!(
        "{{\"@type\": \"Product\", \"name\": \"巨价\", \"offers\": [\
         {{\"price\": 1e400, \"priceCurrency\": \"CNY\"}},\
         {{\"price\": \"{nines}\", \"priceCurrency\": \"CNY\"}},\
         {{\"price\": {nines}, \"priceCurrency\": \"CNY\"}},\
         {{\"price\": \"-1e308\", \"priceCurrency\": \"CNY\"}},\
         {{\"price\": \"¥{nines}.{nines}\", \"priceCurrency\": \"XXX\"}}]}}"
    );
    let page = format!(
        "<html lang=\"zh-CN\"><head>{}</head><body><h1>巨价</h1></body></html>",
        ld(&product)
    );
    if let Some(l) = utf8(&page) {
        assert_eq!(l.title, "巨价");
    }
}

#[test]
fn json_ld_hundred_thousand_graph_items() {
    let item = r#"{"@type": "Product", "name": "别的商品", "offers": {"price": "1.00", "priceCurrency": "CNY"}}"#;
    let graph = format!(
        "{{\"@context\": \"https://schema.org\", \"@graph\": [{}]}}",
        vec![item; 100_000].join(",")
    );
    // The page's own product is the one named like its <h1>, wherever it sits.
    assert_true_product(utf8(&head(&ld(&graph))));
    // A hundred thousand separate JSON-LD scripts.
    let scripts = ld(item).repeat(100_000);
    assert_true_product(utf8(&head(&scripts)));
}

fn state(json: &str) -> String {
    format!("<script>window.__INITIAL_STATE__ = {json};</script>")
}

#[test]
fn embedded_state_bombs() {
    let n = 1_000_000;
    let deep = format!("{}{}", "{\"a\":[".repeat(n / 2), "]}".repeat(n / 2));
    let unclosed = "{\"a\":[".repeat(n);
    let nines = "9".repeat(10_000);
    let huge_price = format!("{{\"goodsName\": \"巨价\", \"price\": \"{nines}\", \"x\": 1e400}}");
    let big_string = format!(
        "{{\"goodsName\": \"x\", \"desc\": \"{}\"}}",
        "z".repeat(10_000_000)
    );
    let many = format!(
        "[{}]",
        vec![r#"{"goodsName": "别的", "price": 1}"#; 100_000].join(",")
    );
    // Many assignments, each opening an object that never closes.
    let assignments = "<script>".to_string() + &"var a = {".repeat(200_000) + "</script>";
    for bomb in [&deep, &unclosed, &huge_price, &big_string, &many] {
        assert_true_product(utf8(&head(&state(bomb))));
        let next =
            format!("<script id=\"__NEXT_DATA__\" type=\"application/json\">{bomb}</script>");
        assert_true_product(utf8(&head(&next)));
    }
    assert_true_product(utf8(&head(&assignments)));
}

#[test]
fn a_page_full_of_prices() {
    let mut page = head("");
    for i in 0..100_000 {
        page.push_str(&format!(
            "<span class=\"price\">¥{}.{:02}</span><del>¥{}</del>",
            i,
            i % 100,
            i + 1
        ));
    }
    assert_true_product(utf8(&page));
    // With no structured data the heuristics must pick one and stop.
    let bare = page.replace(PRODUCT, "");
    let l = utf8(&bare).expect("heuristics find a price");
    assert_eq!(l.title, "公牛 插座 GN-H3050");
    assert!(l.price.is_some());
}

#[test]
fn huge_text_and_attributes() {
    // A 12 MB text node full of mark-like tokens, and a 5 MB attribute.
    let mut page = head("");
    page.push_str("<p>");
    page.push_str(&"CCC 认证 2020010901234567 ¥ 3C ".repeat(400_000));
    page.push_str("</p>");
    page.push_str(&format!("<img alt=\"{}\">", "CCC".repeat(1_700_000)));
    assert_true_product(utf8(&page));
}
