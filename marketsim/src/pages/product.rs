//! Product pages in the four styles of the page contract (JSON-LD, microdata, embedded state,
//! plain HTML), each with the noise of a real page: navigation, promotions, a struck-through
//! price, recommended products with their own prices.

use super::{attr, chrome, day_start, esc, fnv1a, script_json, yuan, Shape, BASE, ITEM, SITE};
use crate::market::{item_path, Market, Offer, PageStyle};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};
use std::fmt::Write;

/// Renders the page of a live offer; returns the text (with [`BASE`] markers) and its
/// Last-Modified time.
pub(super) fn render(m: &Market, o: &Offer, shape: Shape) -> (String, DateTime<Utc>) {
    let recs = recommended(m, o);
    let changed = recs
        .iter()
        .map(|r| r.modified_day)
        .chain([o.modified_day])
        .max()
        .unwrap_or(0);
    let last_modified = day_start(changed) + Duration::seconds((o.item_id % 7200) as i64);
    let view = View::new(m, o, shape);
    let (head, main) = match m.shops[o.shop].style {
        PageStyle::JsonLd => json_ld(&view, &recs),
        PageStyle::Microdata => microdata(&view, &recs),
        PageStyle::EmbeddedState if shape.xhr_price => embedded_state_xhr(&view),
        PageStyle::EmbeddedState => embedded_state(&view, &recs),
        PageStyle::PlainHtml => plain(&view, &recs),
    };
    (chrome(m, o.shop, &o.title, &head, &main), last_modified)
}

/// What every style shows, prepared once.
struct View<'a> {
    o: &'a Offer,
    yuan: &'static str,
    price: String,
    list_price: Option<String>,
    seller_name: &'a str,
    seller_id: u64,
    crumbs: Vec<String>,
    slug: &'static str,
    specs: Vec<(String, String)>,
    image: String,
    url: String,
    description: String,
    /// What product links start with (see [`Shape`]).
    item: &'static str,
    /// What seller links start with: empty, or the [`SITE`] marker when this page is on the
    /// product host, whose other paths only redirect.
    site: &'static str,
}

impl<'a> View<'a> {
    fn new(m: &'a Market, o: &'a Offer, shape: Shape) -> Self {
        let p = &m.products[o.product];
        let seller = &m.sellers[o.shop].all[o.seller];
        let mut specs = vec![
            ("品牌".to_string(), o.brand.clone()),
            ("型号".to_string(), o.model.clone()),
        ];
        specs.extend(
            p.template
                .specs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        specs.extend(
            o.marks
                .iter()
                .filter(|mk| mk.in_specs)
                .map(|mk| (mk.label.to_string(), mk.number.clone())),
        );
        specs.push(("产地".to_string(), "中国大陆".to_string()));
        View {
            o,
            yuan: yuan(m, o.shop),
            price: o.price.to_string(),
            list_price: o.list_price.map(|l| l.to_string()),
            seller_name: &seller.name,
            seller_id: seller.id,
            crumbs: m.category_path(p),
            slug: p.category.slug,
            specs,
            image: format!("{BASE}/img/{}_1.jpg", o.item_id),
            url: match shape.item_base {
                Some(_) => format!("{ITEM}{}", item_path(o.item_id)),
                None => format!("{BASE}{}", item_path(o.item_id)),
            },
            description: m.description(o),
            item: shape.item_prefix(),
            site: if shape.item_base.is_some() { SITE } else { "" },
        }
    }

    fn seller_url(&self) -> String {
        match self.site {
            "" => format!("{BASE}/seller/{}", self.seller_id),
            site => format!("{site}/seller/{}", self.seller_id),
        }
    }

    fn spec_rows(&self, th: bool) -> String {
        let mut s = String::new();
        for (k, v) in &self.specs {
            if th {
                let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
            } else {
                let _ = write!(s, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
            }
        }
        s
    }

    fn promo(&self) -> String {
        format!(
            "<div class=\"promo\"><span class=\"tag\">促销</span>{} <span class=\"tag\">服务</span>由 {} 发货并提供售后服务</div>",
            esc(self.o.promo),
            esc(self.seller_name)
        )
    }

    fn cart(&self) -> String {
        format!(
            "<div class=\"actions\"><a class=\"add-cart\" href=\"/cart/add?id={id}\">加入购物车</a> \
             <a class=\"buy-now\" href=\"/cart/buy?id={id}\">立即购买</a> <a href=\"/account/favorites?add={id}\">收藏</a></div>",
            id = self.o.item_id
        )
    }

    fn recommend_html(&self, recs: &[&Offer]) -> String {
        let mut s = String::from("<div class=\"recommend\"><h3>看了又看</h3><ul>");
        for r in recs {
            let _ = write!(
                s,
                "<li><a href=\"{}{}\">{}</a> <span class=\"rec-price\">{}{}</span></li>",
                self.item,
                item_path(r.item_id),
                esc(&r.title),
                self.yuan,
                r.price
            );
        }
        s.push_str("</ul></div>");
        s
    }

    fn category_url(&self) -> String {
        format!("/category/{}", self.slug)
    }
}

/// Up to four other live offers of the same category in the same shop, chosen by the item id.
fn recommended<'a>(m: &'a Market, o: &Offer) -> Vec<&'a Offer> {
    let cat = crate::catalogue::CATEGORIES
        .iter()
        .position(|c| c.slug == m.products[o.product].category.slug);
    let Some(list) = cat.map(|c| &m.live[o.shop][c]) else {
        return Vec::new();
    };
    if list.is_empty() {
        return Vec::new();
    }
    let start = (fnv1a(&o.item_id.to_le_bytes()) % list.len() as u64) as usize;
    (0..list.len())
        .map(|k| &m.offers[list[(start + k) % list.len()]])
        .filter(|r| r.item_id != o.item_id)
        .take(4)
        .collect()
}

fn json_ld(v: &View, recs: &[&Offer]) -> (String, String) {
    let o = v.o;
    let mut offer = Map::new();
    offer.insert("@type".into(), json!("Offer"));
    offer.insert("url".into(), json!(v.url));
    offer.insert("price".into(), json!(v.price));
    offer.insert("priceCurrency".into(), json!("CNY"));
    offer.insert("availability".into(), json!("https://schema.org/InStock"));
    if let Some(lp) = &v.list_price {
        offer.insert(
            "priceSpecification".into(),
            json!({"@type": "UnitPriceSpecification", "priceType": "https://schema.org/ListPrice",
                   "price": lp, "priceCurrency": "CNY"}),
        );
    }
    offer.insert(
        "seller".into(),
        json!({"@type": "Organization", "name": v.seller_name, "url": v.seller_url()}),
    );
    let mut product = Map::new();
    product.insert("@context".into(), json!("https://schema.org"));
    product.insert("@type".into(), json!("Product"));
    product.insert("name".into(), json!(o.title));
    product.insert("url".into(), json!(v.url));
    product.insert("sku".into(), json!(o.item_id.to_string()));
    if let Some(g) = &o.gtin {
        product.insert("gtin13".into(), json!(g));
    }
    product.insert("mpn".into(), json!(o.model));
    product.insert("model".into(), json!(o.model));
    product.insert("brand".into(), json!({"@type": "Brand", "name": o.brand}));
    product.insert("image".into(), json!([v.image]));
    product.insert("description".into(), json!(v.description));
    product.insert("category".into(), json!(v.crumbs.join(" > ")));
    product.insert("offers".into(), Value::Object(offer));
    let crumbs: Vec<Value> = v
        .crumbs
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"@type": "ListItem", "position": i + 1, "name": name,
                   "item": format!("{BASE}{}", v.category_url())})
        })
        .collect();
    let breadcrumbs = json!({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": crumbs});
    let head = format!(
        "<script type=\"application/ld+json\">{}</script>\n<script type=\"application/ld+json\">{}</script>\n",
        script_json(&Value::Object(product)),
        script_json(&breadcrumbs)
    );
    let del = v
        .list_price
        .as_ref()
        .map(|l| format!(" <del class=\"tm-orig\">{}{l}</del>", v.yuan))
        .unwrap_or_default();
    let main = format!(
        "<nav class=\"breadcrumb\"><a href=\"/\">首页</a> &gt; {crumbs}</nav>\n\
         <div class=\"tm-detail\"><img src=\"{img}\" alt=\"{alt}\">\n<h1 class=\"tm-title\">{title}</h1>\n\
         <div class=\"tm-price-panel\">价格 <span class=\"tm-price\">{y}{price}</span>{del}</div>\n{promo}\n\
         <div class=\"tm-shop\">店铺：<a href=\"{site}/seller/{sid}\">{seller}</a></div>\n{cart}\n\
         <h2>规格参数</h2><table class=\"specs\">{specs}</table>\n<div class=\"desc\">{desc}</div></div>\n{recs}",
        crumbs = v.crumbs.iter().map(|c| format!("<a href=\"{}\">{}</a>", v.category_url(), esc(c))).collect::<Vec<_>>().join(" &gt; "),
        img = v.image,
        alt = attr(&o.title),
        title = esc(&o.title),
        y = v.yuan,
        price = v.price,
        promo = v.promo(),
        sid = v.seller_id,
        site = v.site,
        seller = esc(v.seller_name),
        cart = v.cart(),
        specs = v.spec_rows(true),
        desc = esc(&v.description),
        recs = v.recommend_html(recs),
    );
    (head, main)
}

fn microdata(v: &View, recs: &[&Offer]) -> (String, String) {
    let o = v.o;
    let del = v
        .list_price
        .as_ref()
        .map(|l| format!(" <del class=\"jd-orig\">{}{l}</del>", v.yuan))
        .unwrap_or_default();
    let gtin = o
        .gtin
        .as_ref()
        .map(|g| format!("<meta itemprop=\"gtin13\" content=\"{g}\">"))
        .unwrap_or_default();
    let main = format!(
        "<div class=\"crumb\"><a href=\"/\">首页</a> &gt; {crumbs}</div>\n\
         <div class=\"product-intro\" itemscope itemtype=\"https://schema.org/Product\">\n\
         <img itemprop=\"image\" src=\"{img}\" alt=\"{alt}\">\n\
         <h1 class=\"sku-name\" itemprop=\"name\">{title}</h1>\n\
         <div class=\"p-parameter\">品牌：<span itemprop=\"brand\">{brand}</span> 型号：<span itemprop=\"model\">{model}</span>\
         <meta itemprop=\"sku\" content=\"{id}\">{gtin}</div>\n\
         <div class=\"summary-price\" itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">\
         京东价 <span class=\"p-price\">{y}<span itemprop=\"price\" content=\"{price}\">{price}</span></span>\
         <meta itemprop=\"priceCurrency\" content=\"CNY\">{del}\
         <link itemprop=\"availability\" href=\"https://schema.org/InStock\"> 有货\
         <div class=\"shop-name\" itemprop=\"seller\" itemscope itemtype=\"https://schema.org/Organization\">\
         店铺：<a itemprop=\"url\" href=\"{site}/seller/{sid}\"><span itemprop=\"name\">{seller}</span></a></div></div>\n\
         {promo}\n{cart}\n<table class=\"specs\">{specs}</table>\n\
         <div class=\"detail\" itemprop=\"description\">{desc}</div>\n</div>\n{recs}",
        crumbs = v.crumbs.iter().map(|c| format!("<a href=\"{}\">{}</a>", v.category_url(), esc(c))).collect::<Vec<_>>().join(" &gt; "),
        img = v.image,
        alt = attr(&o.title),
        title = esc(&o.title),
        brand = esc(&o.brand),
        model = esc(&o.model),
        id = o.item_id,
        y = v.yuan,
        price = v.price,
        sid = v.seller_id,
        site = v.site,
        seller = esc(v.seller_name),
        promo = v.promo(),
        cart = v.cart(),
        specs = v.spec_rows(true),
        desc = esc(&v.description),
        recs = v.recommend_html(recs),
    );
    (String::new(), main)
}

fn embedded_state(v: &View, recs: &[&Offer]) -> (String, String) {
    let o = v.o;
    let goods = state_goods(v, true);
    let recommend: Vec<Value> = recs
        .iter()
        .map(|r| json!({"goodsId": r.item_id.to_string(), "goodsName": r.title, "minGroupPrice": r.price.to_string(),
                        "link": item_path(r.item_id)}))
        .collect();
    let state =
        json!({"goods": Value::Object(goods), "recommend": recommend, "user": {"isLogin": false}});
    let main = format!(
        "<div id=\"app\"><noscript>请开启JavaScript以浏览商品详情</noscript>\
         <a class=\"add-cart\" href=\"/cart/add?id={}\">拼单购买</a></div>\n\
         <script>window.__INITIAL_STATE__ = {};</script>",
        o.item_id,
        script_json(&state)
    );
    (String::new(), main)
}

/// The embedded state's `goods` object; `priced` adds the price and list price (the XHR shop's
/// state has neither). Key order is the page's: the pages are byte-for-byte the same each run.
fn state_goods(v: &View, priced: bool) -> Map<String, Value> {
    let o = v.o;
    let mut goods = Map::new();
    goods.insert("goodsId".into(), json!(o.item_id.to_string()));
    goods.insert("goodsName".into(), json!(o.title));
    goods.insert("brandName".into(), json!(o.brand));
    goods.insert("modelNo".into(), json!(o.model));
    if priced {
        goods.insert("minGroupPrice".into(), json!(v.price));
        if let Some(lp) = &v.list_price {
            goods.insert("marketPrice".into(), json!(lp));
        }
    }
    goods.insert("currency".into(), json!("CNY"));
    goods.insert(
        "mall".into(),
        json!({"mallName": v.seller_name, "mallId": v.seller_id.to_string(), "mallUrl": format!("{}/seller/{}", v.site, v.seller_id)}),
    );
    let props: Vec<Value> = v
        .specs
        .iter()
        .map(|(k, val)| json!({"name": k, "value": val}))
        .collect();
    goods.insert("props".into(), json!(props));
    goods.insert("images".into(), json!([v.image]));
    goods.insert("catPath".into(), json!(v.crumbs));
    goods.insert("desc".into(), json!(v.description));
    goods.insert("promotion".into(), json!(o.promo));
    goods
}

/// The embedded-state page of a shop that sends prices by XHR: the state has no price (nor
/// list price, nor the recommendations' prices, which could equal the offer's), and an inline
/// script renders the title from the state (as single-page shops do) and fetches
/// `/api/item/<id>/price` and writes it into the page. Without a browser a crawler sees no
/// price; with one the rendered DOM shows it exactly.
fn embedded_state_xhr(v: &View) -> (String, String) {
    let o = v.o;
    let mut goods = state_goods(v, false);
    goods.insert(
        "priceApi".into(),
        json!(format!("/api/item/{}/price", o.item_id)),
    );
    let state = json!({"goods": Value::Object(goods), "user": {"isLogin": false}});
    // The sign is written by the script, so the HTML holds no "¥" + digits either.
    let main = format!(
        "<div id=\"app\"><noscript>请开启JavaScript以浏览商品详情</noscript>\
         <div class=\"goods-price\">拼单价 <span class=\"price\" id=\"goods-price\"></span> \
         <del class=\"list-price\" id=\"goods-list-price\"></del></div>\
         <a class=\"add-cart\" href=\"/cart/add?id={id}\">拼单购买</a></div>\n\
         <script>window.__INITIAL_STATE__ = {state};</script>\n\
         <script>(function(){{var g=window.__INITIAL_STATE__.goods,h=document.createElement('h1');\
         h.className='goods-title';h.textContent=g.goodsName;document.getElementById('app').prepend(h)}})();\
         fetch('/api/item/{id}/price').then(function(r){{return r.json()}}).then(function(p){{\
         document.getElementById('goods-price').textContent='{y}'+p.price;\
         if(p.list_price){{document.getElementById('goods-list-price').textContent='{y}'+p.list_price}}}});</script>",
        id = o.item_id,
        state = script_json(&state),
        y = v.yuan,
    );
    (String::new(), main)
}

fn plain(v: &View, recs: &[&Offer]) -> (String, String) {
    let o = v.o;
    let del = v
        .list_price
        .as_ref()
        .map(|l| format!(" <del class=\"goods-orig\">{}{l}</del>", v.yuan))
        .unwrap_or_default();
    let main = format!(
        "<div class=\"path\"><a href=\"/\">首页</a> &gt; <div class=\"crumbs\">{crumbs}</div></div>\n\
         <div class=\"goods-main\"><img src=\"{img}\" alt=\"{alt}\">\n<h1 class=\"goods-title\">{title}</h1>\n\
         <div class=\"goods-meta\">品牌：<span class=\"goods-brand\">{brand}</span> 型号：<span class=\"goods-model\">{model}</span></div>\n\
         <div class=\"goods-price-line\">价格 <em class=\"goods-price\">{y}{price}</em>{del}</div>\n{promo}\n\
         <div class=\"goods-shop\">店铺：<a class=\"goods-seller\" href=\"{site}/seller/{sid}\">{seller}</a></div>\n{cart}\n\
         <table class=\"goods-specs\">{specs}</table>\n<div class=\"goods-desc\">{desc}</div></div>\n{recs}",
        crumbs = v.crumbs.iter().map(|c| format!("<a href=\"{}\">{}</a>", v.category_url(), esc(c))).collect::<String>(),
        img = v.image,
        alt = attr(&o.title),
        title = esc(&o.title),
        brand = esc(&o.brand),
        model = esc(&o.model),
        y = v.yuan,
        price = v.price,
        promo = v.promo(),
        sid = v.seller_id,
        site = v.site,
        seller = esc(v.seller_name),
        cart = v.cart(),
        specs = v.spec_rows(false),
        desc = esc(&v.description),
        recs = v.recommend_html(recs),
    );
    (String::new(), main)
}
