//! One fixture per page style of the simulated marketplace (JSON-LD, microdata, embedded
//! state, plain HTML with site rules, the same in GBK), plus broken JSON-LD from the wild.

use super::*;
use qsword_listing::Listing;

fn url() -> Url {
    Url::parse("http://127.0.0.2:8080/item/1001.html").unwrap()
}

fn read(html: &str, rules: Option<&SiteRules>) -> Listing {
    let page = decode_html(html.as_bytes(), Some("text/html; charset=utf-8"));
    extract_listing(&page, &url(), rules).expect("a product page yields a listing")
}

fn source(l: &Listing, field: &str) -> String {
    l.extra["field_sources"][field]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

fn price(l: &Listing) -> String {
    let p = l.price.as_ref().expect("a price");
    format!("{} {}", p.amount, p.currency)
}

const JSONLD_PAGE: &str = r#"<!doctype html><html lang="zh-CN"><head><title>公牛插座</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product",
 "name": "公牛 GN-H3050 新国标插座 五孔",
 "brand": {"@type": "Brand", "name": "公牛"},
 "sku": "1001", "gtin13": "6921200000017", "mpn": "GN-H3050", "model": "GN-H3050",
 "image": ["http://127.0.0.2:8080/img/1001-1.jpg", "http://127.0.0.2:8080/img/1001-2.jpg"],
 "description": "新国标 儿童保护门",
 "category": "电工电料 > 插座",
 "offers": {"@type": "Offer", "price": "39.90", "priceCurrency": "CNY",
            "availability": "https://schema.org/InStock",
            "priceSpecification": {"@type": "UnitPriceSpecification",
              "priceType": "https://schema.org/ListPrice", "price": "59.00", "priceCurrency": "CNY"},
            "seller": {"@type": "Organization", "name": "公牛官方旗舰店",
                       "url": "http://127.0.0.2:8080/seller/17"}}}
</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
  {"@type": "ListItem", "position": 2, "name": "插座"},
  {"@type": "ListItem", "position": 1, "name": "电工电料"}]}
</script></head>
<body><nav class="breadcrumb"><a href="/">首页</a> &gt; <a href="/category/x">电工电料</a></nav>
<h1 class="tm-title">公牛 GN-H3050 新国标插座 五孔</h1>
<div class="tm-price-panel">价格 <span class="tm-price">¥39.90</span> <del class="tm-orig">¥59.00</del></div>
<div class="desc">公牛插座，型号GN-H3050。已通过3C认证。官方正品，全国联保。</div>
<div class="recommend"><h3>看了又看</h3><ul><li><a href="/item/7.html">公牛 插座 GN-B3040</a>
<span class="rec-price">¥25.90</span></li></ul></div>
<table class="specs"><tr><th>3C证书编号</th><td>2021010701234567</td></tr>
<tr><th>额定电流</th><td>10A</td></tr></table></body></html>"#;

#[test]
fn extract_jsonld_shop_page() {
    let l = read(JSONLD_PAGE, None);
    assert_eq!(l.title, "公牛 GN-H3050 新国标插座 五孔");
    assert_eq!(l.brand.as_deref(), Some("公牛"));
    assert_eq!(price(&l), "39.90 CNY");
    assert_eq!(l.gtin.as_deref(), Some("6921200000017"));
    assert_eq!(l.model.as_deref(), Some("GN-H3050"));
    assert_eq!(l.availability.as_deref(), Some("InStock"));
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "59.00");
    assert_eq!(source(&l, "list_price"), "json-ld");
    let seller = l.seller.as_ref().unwrap();
    assert_eq!(seller.name, "公牛官方旗舰店");
    assert_eq!(
        seller.url.as_deref(),
        Some("http://127.0.0.2:8080/seller/17")
    );
    // The BreadcrumbList wins over the `category` string, and is ordered by position.
    assert_eq!(l.category_path, vec!["电工电料", "插座"]);
    assert_eq!(l.images.len(), 2);
    assert_eq!(l.specs["额定电流"], "10A");
    let ccc = l.mark("CCC").expect("the spec row's certificate");
    assert_eq!(
        (ccc.number.as_deref(), ccc.source.as_deref()),
        (Some("2021010701234567"), Some("specs"))
    );
    assert_eq!(source(&l, "price"), "json-ld");
    assert_eq!(source(&l, "title"), "json-ld");
    assert_eq!(l.extra["charset"]["source"], "header");
}

const MICRODATA_PAGE: &str = r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>美的 MB-FB40S 电饭煲 4L - jingdong-sim</title></head><body>
<header class="site-header"><a class="logo" href="/">jingdong-sim</a></header><main>
<div class="crumb"><a href="/">首页</a> &gt; <a href="/category/household-appliances">家用电器</a> &gt; <a href="/category/household-appliances">厨房电器</a></div>
<div class="product-intro" itemscope itemtype="https://schema.org/Product">
<img itemprop="image" src="/img/2002.jpg" alt="3C认证标志">
<h1 class="sku-name" itemprop="name">美的 MB-FB40S 电饭煲 4L</h1>
<div class="p-parameter">品牌：<span itemprop="brand">美的</span> 型号：<span itemprop="model">MB-FB40S</span><meta itemprop="sku" content="2002"><meta itemprop="gtin13" content="6901234567892"></div>
<div class="summary-price" itemprop="offers" itemscope itemtype="https://schema.org/Offer">京东价 <span class="p-price">¥<span itemprop="price" content="299.00">299.00</span></span><meta itemprop="priceCurrency" content="CNY"> <del class="jd-orig">¥399.00</del><link itemprop="availability" href="https://schema.org/OutOfStock"> 有货<div class="shop-name" itemprop="seller" itemscope itemtype="https://schema.org/Organization">店铺：<a itemprop="url" href="/seller/55"><span itemprop="name">美的京东自营</span></a></div></div>
<div class="promo"><span class="tag">促销</span>满299减30</div>
<table class="specs"><tr><th>品牌</th><td>美的</td></tr><tr><th>CCC证书编号</th><td>2019011606223344</td></tr>
<tr><th>容量</th><td>4L</td></tr></table>
<div class="detail" itemprop="description">智能预约 <b>不粘内胆</b></div>
</div>
<div class="recommend"><h3>看了又看</h3><ul><li><a href="/item/9.html">美的 电饭煲 MB-3</a> <span class="rec-price">¥199.00</span></li></ul></div>
</main></body></html>"#;

#[test]
fn extract_microdata_shop_page() {
    let l = read(MICRODATA_PAGE, None);
    assert_eq!(l.title, "美的 MB-FB40S 电饭煲 4L");
    assert_eq!(l.brand.as_deref(), Some("美的"));
    assert_eq!(l.model.as_deref(), Some("MB-FB40S"));
    assert_eq!(l.sku.as_deref(), Some("2002"));
    assert_eq!(price(&l), "299.00 CNY");
    assert_eq!(l.availability.as_deref(), Some("OutOfStock"));
    let seller = l.seller.as_ref().unwrap();
    assert_eq!(seller.name, "美的京东自营");
    assert_eq!(
        seller.url.as_deref(),
        Some("http://127.0.0.2:8080/seller/55")
    );
    assert_eq!(seller.id.as_deref(), Some("55"));
    assert_eq!(l.gtin.as_deref(), Some("6901234567892"));
    // The breadcrumb by class, without its "home" link; the list price from the <del>.
    assert_eq!(l.category_path, vec!["家用电器", "厨房电器"]);
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "399.00");
    assert_eq!(l.description.as_deref(), Some("智能预约 不粘内胆"));
    assert_eq!(
        l.mark("CCC").unwrap().number.as_deref(),
        Some("2019011606223344")
    );
    assert_eq!(l.specs["容量"], "4L");
    assert_eq!(l.images, vec!["http://127.0.0.2:8080/img/2002.jpg"]);
    assert_eq!(
        l.marks.len(),
        1,
        "the alt-text claim is subsumed by the numbered one"
    );
    assert_eq!(source(&l, "price"), "microdata");
    assert_eq!(source(&l, "specs"), "heuristics");
}

const STATE_PAGE: &str = r#"<!doctype html><html lang="zh-CN"><head><title>拼多多</title></head>
<body><div id="app"></div>
<script>window.__INITIAL_STATE__ = {"user": {"name": "guest"}, "goods": {"goodsId": "3003",
 "goodsName": "正泰 NXB-63 空气开关 2P 32A", "brandName": "正泰", "modelNo": "NXB-63",
 "minGroupPrice": "39.90", "marketPrice": "59.00", "currency": "CNY",
 "mall": {"mallName": "正泰电工专营店", "mallId": "m-88"},
 "props": [{"name": "3C证书编号", "value": "2020010307654321"}, {"name": "极数", "value": "2P"}],
 "images": ["http://127.0.0.4/img/3003.jpg"], "catPath": ["电工电料", "断路器"],
 "desc": "家用 空开 CCC认证"}};
</script></body></html>"#;

#[test]
fn extract_embedded_state_page() {
    let l = read(STATE_PAGE, None);
    assert_eq!(l.title, "正泰 NXB-63 空气开关 2P 32A");
    assert_eq!(l.brand.as_deref(), Some("正泰"));
    assert_eq!(l.model.as_deref(), Some("NXB-63"));
    assert_eq!(l.sku.as_deref(), Some("3003"));
    assert_eq!(price(&l), "39.90 CNY");
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "59.00");
    let seller = l.seller.as_ref().unwrap();
    assert_eq!(
        (seller.name.as_str(), seller.id.as_deref()),
        ("正泰电工专营店", Some("m-88"))
    );
    assert_eq!(l.category_path, vec!["电工电料", "断路器"]);
    assert_eq!(l.specs["极数"], "2P");
    assert_eq!(l.marks.len(), 1, "{:?}", l.marks);
    assert_eq!(
        l.mark("CCC").unwrap().number.as_deref(),
        Some("2020010307654321")
    );
    assert_eq!(source(&l, "price"), "state");
}

const PLAIN_PAGE: &str = r#"<!doctype html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>苏宁</title></head><body>
<div class="crumbs"><a href="/category/appliances">家用电器</a><a href="/category/kitchen">厨房电器</a></div>
<h1 class="goods-title">飞利浦 HD9252 空气炸锅 4.1L</h1>
<span class="goods-brand">飞利浦</span> <span class="goods-model">HD9252</span>
<em class="goods-price">¥299.00</em> <del class="goods-orig">¥399.00</del>
<a class="goods-seller" href="/seller/981">飞利浦苏宁自营</a>
<div class="goods-desc">无油低脂 3C认证</div>
<table class="goods-specs"><tr><td>功率</td><td>1400W</td></tr>
<tr><td>CCC认证</td><td>2021O10701234567</td></tr></table>
<a href="/cart/add?id=4004">加入购物车</a></body></html>"#;

fn plain_rules() -> SiteRules {
    let toml = r#"
        title = "h1.goods-title"
        price = "em.goods-price"
        list_price = "del.goods-orig"
        brand = "span.goods-brand"
        model = "span.goods-model"
        seller = "a.goods-seller"
        seller_url = "a.goods-seller@href"
        category_path = "div.crumbs a"
        description = "div.goods-desc"
        specs = "table.goods-specs tr"
    "#;
    let rules: SiteRules = toml::from_str(toml).unwrap();
    rules.validate().unwrap();
    rules
}

fn check_plain(l: &Listing) {
    assert_eq!(l.title, "飞利浦 HD9252 空气炸锅 4.1L");
    assert_eq!(l.brand.as_deref(), Some("飞利浦"));
    assert_eq!(l.model.as_deref(), Some("HD9252"));
    assert_eq!(price(l), "299.00 CNY");
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "399.00");
    let seller = l.seller.as_ref().unwrap();
    assert_eq!(seller.name, "飞利浦苏宁自营");
    assert_eq!(seller.id.as_deref(), Some("981"));
    assert_eq!(
        seller.url.as_deref(),
        Some("http://127.0.0.2:8080/seller/981")
    );
    assert_eq!(l.category_path, vec!["家用电器", "厨房电器"]);
    assert_eq!(l.description.as_deref(), Some("无油低脂 3C认证"));
    assert_eq!(l.specs["功率"], "1400W");
    // The malformed number (letter O) is kept as printed, not "fixed".
    assert_eq!(
        l.mark("CCC").unwrap().number.as_deref(),
        Some("2021O10701234567")
    );
    assert_eq!(source(l, "price"), "rules");
}

#[test]
fn extract_plain_page_with_site_rules() {
    check_plain(&read(PLAIN_PAGE, Some(&plain_rules())));
}

#[test]
fn extract_gbk_page_with_charset_only_in_meta() {
    // `¥` (U+00A5) is not in GBK: the encoder writes `&#165;`, as GBK shops' tools do.
    let (bytes, _, _) = encoding_rs::GBK.encode(PLAIN_PAGE);
    let page = decode_html(&bytes, Some("text/html"));
    assert_eq!(page.charset_source, CharsetSource::Meta);
    assert_eq!(page.encoding, encoding_rs::GB18030);
    let l = extract_listing(&page, &url(), Some(&plain_rules())).unwrap();
    check_plain(&l);
    assert_eq!(l.extra["charset"]["encoding"], "gb18030");
}

#[test]
fn extract_plain_page_without_rules_falls_back_to_heuristics() {
    let l = read(PLAIN_PAGE, None);
    assert_eq!(l.title, "飞利浦 HD9252 空气炸锅 4.1L");
    assert_eq!(price(&l), "299.00 CNY");
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "399.00");
    assert_eq!(l.category_path, vec!["家用电器", "厨房电器"]);
    assert_eq!(source(&l, "price"), "heuristics");
}

#[test]
fn extract_higher_layers_win_and_lower_ones_fill_gaps() {
    // JSON-LD has no brand; OpenGraph has a different title and a brand.
    let html = r#"<html lang="en"><head>
    <meta property="og:type" content="product"><meta property="og:title" content="OG title">
    <meta property="product:brand" content="Stanley">
    <meta property="product:price:amount" content="12.50"><meta property="product:price:currency" content="USD">
    <script type="application/ld+json">{"@type": "Product", "name": "LD title",
      "offers": {"@type": "AggregateOffer", "lowPrice": "9.99", "highPrice": "19.99", "priceCurrency": "USD"}}</script>
    </head><body><h1>H1 title</h1></body></html>"#;
    let l = read(html, None);
    assert_eq!(l.title, "LD title");
    assert_eq!(price(&l), "9.99 USD");
    assert_eq!(l.extra["price_range"]["high"], "19.99");
    assert_eq!(l.brand.as_deref(), Some("Stanley"));
    assert_eq!(source(&l, "brand"), "opengraph");
}

#[test]
fn extract_broken_jsonld_graph_and_arrays() {
    let html = "<html><script type=\"application/ld+json\">\n// generated\n[{\"@context\": \"https://schema.org\", \"@graph\": [\
      {\"@type\": \"WebPage\", \"name\": \"page\"},\
      {\"@type\": [\"Product\"], \"name\": \"Castrol EDGE 5W-30\nFully Synthetic\", \"brand\": \"Castrol\",\
       \"offers\": [{\"@type\": \"Offer\", \"price\": 45, \"priceCurrency\": \"GBP\",},],},\
    ]}]</script><body></body></html>";
    let l = read(html, None);
    assert_eq!(l.title, "Castrol EDGE 5W-30 Fully Synthetic");
    assert_eq!(l.brand.as_deref(), Some("Castrol"));
    assert_eq!(price(&l), "45 GBP");
}

#[test]
fn extract_gives_nothing_for_a_page_without_a_product() {
    let page = decode_html(
        b"<html><body><h1>About us</h1><p>We sell things.</p></body></html>",
        None,
    );
    assert!(extract_listing(&page, &url(), None).is_none());
}

#[test]
fn extract_survives_hostile_input() {
    let deep = "<div>".repeat(20_000) + "<h1>x</h1>";
    let page = decode_html(deep.as_bytes(), None);
    let _ = extract_listing(&page, &url(), None);
    let bytes: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let page = decode_html(&bytes, None);
    let _ = extract_listing(&page, &url(), None);
    let bomb = format!(
        "<script type=\"application/ld+json\">{}</script>",
        "[".repeat(50_000)
    );
    let _ = extract_listing(&decode_html(bomb.as_bytes(), None), &url(), None);
}

#[test]
fn extract_next_data_state_and_marks_in_the_description() {
    let html = r#"<html lang="zh-CN"><head><title>史丹利复合肥</title></head><body><div id="__next"></div>
    <script id="__NEXT_DATA__" type="application/json">{"props": {"pageProps": {"product": {
      "productId": "5005", "title": "史丹利 复合肥 40kg 硫酸钾型", "brand": {"name": "史丹利"},
      "salePrice": {"amount": "1.2万", "currency": "CNY"},
      "description": "肥料登记证: 鲁农肥(2019)准字1234号。生产许可证: XK13-001-00012。"}}}}</script>
    </body></html>"#;
    let l = read(html, None);
    assert_eq!(l.title, "史丹利 复合肥 40kg 硫酸钾型");
    assert_eq!(l.brand.as_deref(), Some("史丹利"));
    assert_eq!(l.sku.as_deref(), Some("5005"));
    assert_eq!(price(&l), "12000 CNY");
    assert_eq!(
        l.mark(marks::FERTILIZER).unwrap().number.as_deref(),
        Some("鲁农肥(2019)准字1234号")
    );
    assert_eq!(
        l.mark("XK").unwrap().number.as_deref(),
        Some("XK13-001-00012")
    );
    assert_eq!(source(&l, "price"), "state");
}

#[test]
fn clean_drops_escape_sequences_controls_and_bidi_overrides() {
    assert_eq!(
        clean("\u{1b}[1;31mNike\u{1b}[0m  Air\u{7}\u{0}\u{9b} \u{202e}Max\u{202c}\t\n90\u{2067}\u{2069}"),
        Some("Nike Air Max 90".to_string())
    );
    assert_eq!(clean("\u{1b}[2J\u{202d}\u{85}"), None);
    // Ordinary text, Chinese included, is untouched but for whitespace folding.
    assert_eq!(
        clean("  公牛 插座\u{3000}GN-H3050 "),
        Some("公牛 插座 GN-H3050".to_string())
    );
    // End to end: a crawled title carries none of it.
    let html = "<html><script type=\"application/ld+json\">{\"@type\": \"Product\", \
        \"name\": \"\\u001b[31m\u{202e}Gucci\u{202c} bag\", \
        \"offers\": {\"price\": \"9.90\", \"priceCurrency\": \"USD\"}}</script></html>";
    assert_eq!(read(html, None).title, "Gucci bag");
}

#[test]
fn heuristics_price_follows_the_title_h1_not_a_dialog_h1() {
    // A subscription upsell box with its own <h1> comes before the product's <h1>; the price
    // the buyer pays is the one after the product's title.
    let html = r#"<html lang="de"><head><title>Gewürz Texas Chicken 230g : Amazon.de</title></head><body>
      <div class="upsell"><h1>Wählen Sie die Anzahl der Lieferungen</h1>
        <span class="subscribe-price">7,91 €</span></div>
      <h1 id="title">Gewürz Texas Chicken 230g</h1>
      <span class="price-was">9,99 €</span>
      <span class="our-price">8,33 €</span></body></html>"#;
    let l = read(html, None);
    assert_eq!(l.title, "Gewürz Texas Chicken 230g");
    assert_eq!(price(&l), "8.33 EUR");
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "9.99");
    assert_eq!(source(&l, "price"), "heuristics");
}

#[test]
fn heuristics_price_box_skips_its_struck_through_part() {
    let html = r#"<html><body><h1>Холодильник Example RC 310</h1>
      <div class="product-price"><s class="disc">144 990 ₸</s><br>
        <span class="now">131 990 ₸</span> <span>+ 1 319 bonus</span></div></body></html>"#;
    let l = read(html, None);
    assert_eq!(price(&l), "131990 KZT");
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "144990");
    // A box whose only price carries an "old" class name still shows that price.
    let html = r#"<html><body><h1>Reading lenses</h1>
      <ul><li class="price"><span class="price-old-live">40.00€</span></li>
      <li class="price-tax">Excl. VAT: <span class="price-tax-live">36.53€</span></li></ul></body></html>"#;
    assert_eq!(price(&read(html, None)), "40.00 EUR");
}

#[test]
fn opengraph_og_price_as_printed_text() {
    let html = r#"<html><head><meta property="og:type" content="product">
      <meta property="og:title" content="Plus-size bra set">
      <meta property="og:price" content="2,900원~"></head><body>
      <h1>Related deal</h1><section class="price_selling"><span>4,900원~</span></section>
      </body></html>"#;
    let page = decode_html(html.as_bytes(), Some("text/html; charset=utf-8"));
    let url = Url::parse("http://shop.example.kr/deal/3454863898").unwrap();
    let l = extract_listing(&page, &url, None).unwrap();
    assert_eq!(price(&l), "2900 KRW");
    assert_eq!(source(&l, "price"), "opengraph");
}

#[test]
fn stale_json_ld_price_loses_to_the_price_shown_and_in_meta_tags() {
    // JSON-LD still carries the auction's starting bid; the meta tags and the page show the
    // current bid.
    let page = |ld: &str, meta: &str| {
        format!(
            r#"<html><head><script type="application/ld+json">{{"@type": "Product",
              "name": "Pillows, pair", "offers": {{"price": {ld}, "priceCurrency": "USD"}}}}</script>
              <meta property="product:price:amount" content="{meta}">
              <meta property="product:price:currency" content="USD"></head><body>
              <h1>Pillows, pair</h1><div>Estimate $300 - $500</div>
              <span class="price">$200</span><span class="print">Starting price $150</span>
              </body></html>"#
        )
    };
    let l = read(&page("150", "200"), None);
    assert_eq!(price(&l), "200 USD");
    assert_eq!(source(&l, "price"), "opengraph");
    // Confirmed by another layer, or shown on the page, the JSON-LD price stands.
    let l = read(&page("150", "150"), None);
    assert_eq!(price(&l), "150 USD");
    assert_eq!(source(&l, "price"), "json-ld");
    // Shown on the page (a member price after the regular one), it stands too.
    let html = r#"<html><head><script type="application/ld+json">{"@type": "Product",
      "name": "Lamp", "offers": {"price": "79", "priceCurrency": "USD"}}</script>
      <meta property="product:price:amount" content="99">
      <meta property="product:price:currency" content="USD"></head><body>
      <h1>Lamp</h1><span class="price">$99</span><span class="member-price">$79</span>
      </body></html>"#;
    let l = read(html, None);
    assert_eq!(price(&l), "79 USD");
    assert_eq!(source(&l, "price"), "json-ld");
}

#[test]
fn heuristics_brand_from_a_byline_by_the_title() {
    let page = |byline: &str| {
        format!(
            r#"<html><body><h1>Spice rub 230g</h1><a id="bylineInfo" href="/stores/x">{byline}</a>
              <div class="brand-carousel">Nike Adidas Puma</div>
              <span class="price">8,33 €</span></body></html>"#
        )
    };
    // A store link names a store (a seller's as often as a brand's): not read.
    assert_eq!(read(&page("Visit the Gothamite Store"), None).brand, None);
    assert_eq!(
        read(&page("Marque : D&amp;STBKI"), None).brand.as_deref(),
        Some("D&STBKI")
    );
    // Bare text in a "brand" element (logos, carousels) is no brand.
    assert_eq!(read(&page("Shop now"), None).brand, None);
    // A spec row naming the brand outranks the byline.
    let html = r#"<html><body><h1>Spice rub</h1><a id="bylineInfo">Brand: Acme Outlet</a>
      <span class="price">8,33 €</span>
      <table class="specs"><tr><th>Brand</th><td>Acme</td></tr></table></body></html>"#;
    let l = read(html, None);
    assert_eq!(l.brand.as_deref(), Some("Acme"));
    assert_eq!(source(&l, "brand"), "specs");
}

#[test]
fn opengraph_sale_price_is_paid_and_regular_price_is_list() {
    let html = r#"<html><head><meta property="og:type" content="product">
      <meta property="og:title" content="Garden hose 20 m">
      <meta property="product:price:amount" content="36.49">
      <meta property="product:sale_price:amount" content="32.00">
      <meta property="product:price:currency" content="PLN"></head><body></body></html>"#;
    let l = read(html, None);
    assert_eq!(price(&l), "32.00 PLN");
    assert_eq!(l.list_price.as_ref().unwrap().amount.to_string(), "36.49");
    assert_eq!(source(&l, "price"), "opengraph");
}

/// A page with no structured data: brand, MPN and GTIN from its rows, wherever the shop puts
/// them; out of stock from the statement by the title.
#[test]
fn fields_from_rows_and_stock_statement_english() {
    let html = r#"<html lang="en"><body>
      <nav class="main-nav"><ul><li>Brand: Nike</li><li><a>Brands</a></li></ul></nav>
      <h1>Cordless drill 18V</h1><span class="price">$89.00</span>
      <div id="stock-status"><span>Currently unavailable.</span> We don't know when it is back.</div>
      <div class="product-details"><table>
        <tr><td>Brand</td><td>Acme Tools</td></tr>
        <tr><td>Manufacturer part number</td><td>AT-18V-2</td></tr>
        <tr><td>EAN</td><td>4006381333931</td></tr></table></div>
      <div class="related-products"><div class="tile">Drill bits <span>Sold out</span></div></div>
      </body></html>"#;
    let l = read(html, None);
    assert_eq!(l.brand.as_deref(), Some("Acme Tools"));
    assert_eq!(source(&l, "brand"), "rows");
    assert_eq!(l.mpn.as_deref(), Some("AT-18V-2"));
    assert_eq!(l.gtin.as_deref(), Some("4006381333931"));
    assert_eq!(l.availability.as_deref(), Some("OutOfStock"));
    assert_eq!(source(&l, "availability"), "text");
}

#[test]
fn fields_from_rows_and_stock_statement_chinese() {
    let html = r#"<html lang="zh-CN"><body><h1>美的 电饭煲 MB-FB40S 4L</h1>
      <div class="price">¥299.00</div><div class="stock">已售罄</div>
      <ul class="parameter"><li>品牌：美的</li><li>型号：MB-FB40S</li><li>条形码：6901234567892</li></ul>
      </body></html>"#;
    let l = read(html, None);
    assert_eq!(l.brand.as_deref(), Some("美的"));
    // The model number, shaped like a code, is the maker's part number.
    assert_eq!(l.mpn.as_deref(), Some("MB-FB40S"));
    assert_eq!(l.gtin.as_deref(), Some("6901234567892"));
    assert_eq!(l.availability.as_deref(), Some("OutOfStock"));
    let preorder = read(
        r#"<html lang="zh-CN"><body><h1>游戏机 新款</h1><div class="price">¥2999.00</div>
          <button class="buy-btn">预售</button></body></html>"#,
        None,
    );
    assert_eq!(preorder.availability.as_deref(), Some("PreOrder"));
}

/// What says "sold out" or "缺货" about something else — one size, a related item, a hidden
/// template — leaves an in-stock page in stock; a "Brand" menu names no brand.
#[test]
fn stock_words_elsewhere_and_brand_menus_are_not_the_product() {
    let english = r#"<html lang="en"><body>
      <ul class="menu"><li>Brand: Adidas</li></ul>
      <h1>Linen shirt</h1><span class="price">$49.00</span>
      <div class="size-picker"><button>S</button><button disabled>M<span>Sold out</span></button></div>
      <select><option>L</option><option>XL - Sold out</option></select>
      <div class="sold-out-msg" style="display:none">Sold out</div>
      <template><p>Out of stock</p></template>
      <button class="add-to-cart">Add to cart</button></body></html>"#;
    let l = read(english, None);
    assert_eq!(l.availability, None);
    assert_eq!(l.brand, None);
    let chinese = r#"<html lang="zh-CN"><body><h1>电热水壶 1.7升</h1><div class="price">¥99.00</div>
      <button class="buy-btn">立即购买</button>
      <div class="recommend-list"><div class="item">电热水壶 1.5升 <span class="stock">缺货</span></div></div>
      <script>var tip = "暂时无货";</script></body></html>"#;
    assert_eq!(read(chinese, None).availability, None);
}

/// Structured data: one variant sold out is not the product sold out; a free-text value is
/// normalised or dropped; a brand that is a page title is no brand.
#[test]
fn structured_availability_and_brand_are_checked() {
    let variants = r#"<html><body><h1>Boots</h1><script type="application/ld+json">
      [{"@type": "Product", "name": "Boots", "sku": "B-35",
        "offers": {"@type": "Offer", "price": "69.95", "priceCurrency": "EUR",
                   "availability": "http://schema.org/OutOfStock"}},
       {"@type": "Product", "name": "Boots", "sku": "B-36",
        "offers": {"@type": "Offer", "price": "69.95", "priceCurrency": "EUR",
                   "availability": "http://schema.org/InStock"}}]</script></body></html>"#;
    assert_eq!(
        read(variants, None).availability.as_deref(),
        Some("InStock")
    );
    let page = |availability: &str, brand: &str| {
        format!(
            r#"<html><body><script type="application/ld+json">
              {{"@type": "Product", "name": "Pizza voucher", "brand": {{"@type": "Brand", "name": "{brand}"}},
               "offers": {{"@type": "Offer", "price": "210", "priceCurrency": "TWD",
                          "availability": "{availability}"}}}}</script></body></html>"#
        )
    };
    let l = read(&page("Sold Out", "Pizza Place | Deals Site"), None);
    assert_eq!(l.availability.as_deref(), Some("OutOfStock"));
    assert_eq!(l.brand, None);
    let l = read(&page("ask the seller", "Pizza Place"), None);
    assert_eq!(l.availability, None);
    assert_eq!(l.brand.as_deref(), Some("Pizza Place"));
}

/// Page styles of common shop software, none of them from the benchmark: the stock message
/// and attribute table of a WooCommerce-like page, the disabled buy button of a Shopify-like
/// one, the stock box and attribute table of a Magento-like one.
#[test]
fn fields_on_common_shop_software_layouts() {
    let woo = r#"<html lang="en"><body><div class="product">
      <div class="summary entry-summary"><h1 class="product_title">Ceramic mug 350 ml</h1>
      <p class="price"><span class="amount">£12.00</span></p>
      <p class="stock out-of-stock">Out of stock</p></div>
      <table class="woocommerce-product-attributes shop_attributes">
        <tr><th>Brand</th><td><p>Hearth &amp; Co</p></td></tr>
        <tr><th>EAN</th><td><p>5012345678900</p></td></tr></table>
      <section class="related products"><ul><li>Teapot <span class="amount">£30.00</span>
        <span class="badge">Sold out</span></li></ul></section></div></body></html>"#;
    let l = read(woo, None);
    assert_eq!(l.availability.as_deref(), Some("OutOfStock"));
    assert_eq!(l.brand.as_deref(), Some("Hearth & Co"));
    assert_eq!(l.gtin.as_deref(), Some("5012345678900"));
    let shopify = |button: &str| {
        format!(
            r#"<html lang="en"><body><h1>Wool beanie</h1><span class="price">$25.00</span>
              <fieldset class="variant-picker"><input type="radio" id="s"><label for="s">S</label>
              <label class="disabled">M <span>Sold out</span></label></fieldset>
              <button type="submit" name="add" class="product-form__submit">{button}</button>
              </body></html>"#
        )
    };
    assert_eq!(
        read(&shopify("<span>Sold out</span>"), None)
            .availability
            .as_deref(),
        Some("OutOfStock")
    );
    assert_eq!(
        read(&shopify("<span>Add to cart</span>"), None).availability,
        None
    );
    let magento = r#"<html lang="de"><body><div class="product-info-main">
      <h1 class="page-title"><span>Wasserkocher 1,7 l</span></h1>
      <span class="price">39,99 €</span>
      <div class="product-info-stock-sku"><div class="stock unavailable"><span>Nicht verfügbar</span></div></div>
      </div><table id="product-attribute-specs-table"><tr><th class="col label">Hersteller</th>
      <td class="col data">Kessel AG</td></tr><tr><th>Herstellernummer</th><td>WK-17-S</td></tr></table>
      </body></html>"#;
    let l = read(magento, None);
    assert_eq!(l.availability.as_deref(), Some("OutOfStock"));
    assert_eq!(l.brand.as_deref(), Some("Kessel AG"));
    assert_eq!(l.mpn.as_deref(), Some("WK-17-S"));
    let taobao = r#"<html lang="zh-CN"><body><h1>蓝牙耳机 无线 降噪</h1>
      <div class="tb-price">¥199.00</div><div class="tb-off-sale">此宝贝已下架</div>
      <ul class="attributes-list"><li>品牌:&nbsp;某声</li><li>型号:&nbsp;X7-PRO</li></ul>
      </body></html>"#;
    let l = read(taobao, None);
    assert_eq!(l.availability.as_deref(), Some("OutOfStock"));
    assert_eq!(l.brand.as_deref(), Some("某声"));
    assert_eq!(l.mpn.as_deref(), Some("X7-PRO"));
}

/// A shop that sends the price by XHR: its state names the product but carries no price; the
/// rendered page shows the price. The state still gives title, brand and id, and the visible
/// price is read from the page.
#[test]
fn a_state_without_a_price_and_a_price_written_by_script() {
    let html = r#"<html><head><title>插座 - 某商城</title></head><body><h1>公牛 GN-H3 插座</h1>
<div class="goods-price">拼单价 <span class="price" id="goods-price">¥59.90</span></div>
<script>window.__INITIAL_STATE__ = {"goods": {"goodsId": "3003", "goodsName": "公牛 GN-H3 插座",
"brandName": "公牛", "modelNo": "GN-H3", "currency": "CNY"}};</script>
</body></html>"#;
    let l = read(html, None);
    assert_eq!(l.title, "公牛 GN-H3 插座");
    assert_eq!(l.brand.as_deref(), Some("公牛"));
    assert_eq!(price(&l), "59.90 CNY");
    // A name alone (a user, a shop) is not a product.
    let not = r#"<html><body><script>window.__INITIAL_STATE__ = {"user": {"name": "guest", "id": "7"}};</script></body></html>"#;
    let page = decode_html(not.as_bytes(), Some("text/html; charset=utf-8"));
    assert!(extract_listing(&page, &url(), None).is_none());
}
