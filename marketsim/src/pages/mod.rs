//! Rendering the shops' pages. [`Market::page`] is a pure function of the market, the shop,
//! the shop's base URL and the request path: the HTTP server only adds conditional requests
//! and logging, and tests can render pages without a network.

mod browse;
mod crawl;
mod product;

use crate::market::{Charset, Market};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::fmt::Write;

/// A rendered response.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub status: u16,
    /// The `Content-Type` header (GBK shops send plain `text/html`: the charset is only in a meta tag).
    pub content_type: &'static str,
    /// The body, already encoded in the shop's charset.
    pub body: Vec<u8>,
    /// Strong validator of product pages: a hash of the page, independent of the port served on.
    pub etag: Option<String>,
    /// When the product page last changed (day of the change + a fixed per-item time).
    pub last_modified: Option<DateTime<Utc>>,
}

/// A rendered product page with the price it shows ([`Market::product_pages`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPage {
    /// `http://127.0.0.(k+2):8080/item/….html`, the shop's address when served on port 8080.
    pub url: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub style: crate::market::PageStyle,
    pub charset: Charset,
    /// The price the buyer pays, and the struck-through one shown, if any.
    pub price: qsword_listing::Price,
    pub list_price: Option<qsword_listing::Price>,
}

/// Replaced by the shop's base URL after hashing, so that ETags survive a change of port
/// (today's server and tomorrow's may listen on different ephemeral ports).
const BASE: &str = "@@BASE@@";

/// Replaced by the product host's base URL after hashing, when product pages live on another
/// host ([`Shape::item_base`]); never written otherwise, so default pages keep their bytes.
const ITEM: &str = "@@ITEM@@";

/// Replaced by [`Shape::site_base`] after hashing: seller links of product pages served on the
/// product host, which does not serve seller pages itself.
const SITE: &str = "@@SITE@@";

/// How a shop serves its pages when a real-world shape is on (`ServeOptions::shapes`); the
/// default is the plain shop of [`Market::page`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shape<'a> {
    /// Product pages carry no price; an inline script fetches `/api/item/<id>/price`.
    pub xhr_price: bool,
    /// Product pages live on this base URL (another host): every product link is absolute.
    pub item_base: Option<&'a str>,
    /// With `item_base`: the base URL of the shop's other pages (seller links of product pages
    /// point there); the served base URL if `None`.
    pub site_base: Option<&'a str>,
}

impl Shape<'_> {
    /// What product links start with in page text: the [`ITEM`] marker or nothing (relative).
    fn item_prefix(&self) -> &'static str {
        if self.item_base.is_some() {
            ITEM
        } else {
            ""
        }
    }
}

impl Market {
    /// Every live product page of every shop, rendered as served on port 8080, with its true
    /// price: training and test material for extractors without a server.
    pub fn product_pages(&self) -> Vec<ProductPage> {
        let base = |k: usize| format!("http://127.0.0.{}:8080", k + 2);
        let mut out = Vec::new();
        for record in self.truth_iter() {
            let Some(k) = self.shops().iter().position(|s| s.name == record.shop) else {
                continue;
            };
            let page = self.page(k, &base(k), &record.path, None);
            if page.status != 200 {
                continue;
            }
            let shop = &self.shops()[k];
            out.push(ProductPage {
                url: format!("{}{}", base(k), record.path),
                content_type: page.content_type,
                body: page.body,
                style: shop.style,
                charset: shop.charset,
                price: record.price,
                list_price: record.list_price,
            });
        }
        out
    }

    /// Renders `path` (with an optional raw `query`) of shop `shop` as served at `base_url`
    /// (e.g. `http://127.0.0.2:8080`, no trailing slash).
    pub fn page(&self, shop: usize, base_url: &str, path: &str, query: Option<&str>) -> Page {
        self.page_with(shop, base_url, path, query, Shape::default())
    }

    /// [`Market::page`] as served with a real-world shape.
    pub(crate) fn page_with(
        &self,
        shop: usize,
        base_url: &str,
        path: &str,
        query: Option<&str>,
        shape: Shape,
    ) -> Page {
        let item = shape.item_prefix();
        let item_base = shape.item_base.unwrap_or(base_url);
        let site_base = shape.site_base.unwrap_or(base_url);
        let params: Vec<(String, String)> = query
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let html = |status: u16, text: String| {
            self.html_page(
                shop,
                base_url,
                (item_base, site_base),
                status,
                text,
                None,
                None,
            )
        };
        if path == "/" {
            return html(200, browse::home(self, shop, item));
        }
        if path == "/robots.txt" {
            return text_page("text/plain; charset=utf-8", crawl::robots(self, base_url));
        }
        if path == "/sitemap.xml" {
            return text_page(
                "application/xml",
                crawl::sitemap_index(self, shop, base_url),
            );
        }
        if path == "/sitemap.txt" {
            return text_page(
                "text/plain; charset=utf-8",
                crawl::sitemap_text(self, shop, item_base),
            );
        }
        if let Some(name) = path.strip_prefix("/sitemap-items-") {
            return match crawl::sitemap_part(self, shop, item_base, name) {
                Some(crawl::ItemSitemap::Xml(xml)) => text_page("application/xml", xml),
                Some(crawl::ItemSitemap::Gzip(bytes)) => Page {
                    status: 200,
                    content_type: "application/gzip",
                    body: bytes,
                    etag: None,
                    last_modified: None,
                },
                None => html(404, browse::not_found(self, shop)),
            };
        }
        if path == "/sitemap-items.xml" {
            return text_page(
                "application/xml",
                crawl::sitemap_items(self, shop, item_base),
            );
        }
        if path == "/sitemap-categories.xml" {
            return text_page(
                "application/xml",
                crawl::sitemap_categories(self, shop, base_url),
            );
        }
        if let Some(id) = path
            .strip_prefix("/item/")
            .and_then(|f| f.strip_suffix(".html"))
        {
            return match id.parse::<u64>().ok().and_then(|id| self.offer(shop, id)) {
                Some(offer) if offer.gone.is_none() => {
                    let (text, last_modified) = product::render(self, offer, shape);
                    self.html_page(
                        shop,
                        base_url,
                        (item_base, site_base),
                        200,
                        text,
                        Some(()),
                        Some(last_modified),
                    )
                }
                Some(offer) => {
                    let status = offer.gone.expect("gone offer");
                    html(status, browse::gone(self, shop, status))
                }
                None => html(404, browse::not_found(self, shop)),
            };
        }
        if let Some(slug) = path.strip_prefix("/category/") {
            let page_no = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            return match browse::category(self, shop, slug, page_no, item) {
                Some(text) => html(200, text),
                None => html(404, browse::not_found(self, shop)),
            };
        }
        if path == "/search" {
            return html(
                200,
                browse::search(self, shop, param("q").unwrap_or(""), item),
            );
        }
        if let Some(id) = path.strip_prefix("/seller/") {
            return match id
                .parse()
                .ok()
                .and_then(|id| browse::seller(self, shop, id, item))
            {
                Some(text) => html(200, text),
                None => html(404, browse::not_found(self, shop)),
            };
        }
        if path.starts_with("/cart") || path.starts_with("/account") {
            // Served, but robots.txt forbids them: a polite crawler never asks.
            return html(200, browse::members_only(self, shop));
        }
        html(404, browse::not_found(self, shop))
    }

    /// Wraps body text in the shop's page chrome and encodes it in the shop's charset.
    #[allow(clippy::too_many_arguments)]
    fn html_page(
        &self,
        shop: usize,
        base_url: &str,
        (item_base, site_base): (&str, &str),
        status: u16,
        text: String,
        validate: Option<()>,
        last_modified: Option<DateTime<Utc>>,
    ) -> Page {
        let etag = validate.map(|_| format!("\"{:016x}\"", fnv1a(text.as_bytes())));
        let mut text = text.replace(BASE, base_url);
        // Markers appear only with a shape: default pages skip the copies.
        if text.contains(ITEM) || text.contains(SITE) {
            text = text.replace(ITEM, item_base).replace(SITE, site_base);
        }
        let (body, content_type) = match self.shops[shop].charset {
            Charset::Utf8 => (text.into_bytes(), "text/html; charset=utf-8"),
            Charset::Gbk => {
                let (bytes, _, _) = encoding_rs::GBK.encode(&text);
                (bytes.into_owned(), "text/html")
            }
        };
        Page {
            status,
            content_type,
            body,
            etag,
            last_modified,
        }
    }
}

fn text_page(content_type: &'static str, text: String) -> Page {
    Page {
        status: 200,
        content_type,
        body: text.into_bytes(),
        etag: None,
        last_modified: None,
    }
}

/// 64-bit FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The day-0 night the market's clock starts at.
pub(crate) fn day_start(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0)
        .single()
        .expect("valid date")
        + Duration::days(day as i64)
}

pub(crate) fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

pub(crate) fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

/// JSON for a `<script>` element: `<` escaped so no title can close the script early.
pub(crate) fn script_json(v: &serde_json::Value) -> String {
    serde_json::to_string(v)
        .expect("JSON values serialise")
        .replace('<', "\\u003c")
}

/// The currency sign the shop prints: GBK pages use the full-width ￥ (the half-width ¥ is not
/// in GBK).
pub(crate) fn yuan(m: &Market, shop: usize) -> &'static str {
    match m.shops[shop].charset {
        Charset::Utf8 => "¥",
        Charset::Gbk => "￥",
    }
}

/// The page skeleton every shop shares: head, header with navigation and search, footer.
pub(crate) fn chrome(m: &Market, shop: usize, title: &str, head_extra: &str, main: &str) -> String {
    let spec = &m.shops[shop];
    let meta = match spec.charset {
        Charset::Utf8 => "<meta charset=\"utf-8\">".to_string(),
        Charset::Gbk => {
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">".to_string()
        }
    };
    let mut nav = String::new();
    for c in crate::catalogue::CATEGORIES {
        let _ = write!(nav, "<a href=\"/category/{}\">{}</a>", c.slug, esc(c.zh));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n{meta}\n<title>{title} - {shop}</title>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n{head_extra}</head>\n<body>\n\
         <header class=\"site-header\"><a class=\"logo\" href=\"/\">{shop}</a>\
         <form class=\"search\" action=\"/search\" method=\"get\"><input name=\"q\" placeholder=\"搜索商品\"><button>搜索</button></form>\
         <a href=\"/account/login\">请登录</a> <a href=\"/account/register\">免费注册</a> <a href=\"/cart\">购物车</a>\
         <nav class=\"cats\">{nav}</nav></header>\n<main>\n{main}\n</main>\n\
         <footer class=\"site-footer\"><a href=\"/\">首页</a> | <a href=\"/account/help\">帮助中心</a> | \
         <a href=\"/account/about\">关于我们</a> | <a href=\"/sitemap.xml\">网站地图</a>\
         <p>正品保障 · 七天无理由退换 · 全国联保</p><p>© 2026 {shop} 沪ICP备12345678号</p></footer>\n</body>\n</html>\n",
        title = esc(title),
        shop = esc(&spec.name),
    )
}
