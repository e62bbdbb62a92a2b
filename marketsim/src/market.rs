//! Generating the market: shops, sellers, products and their offers (genuine, hard negatives
//! and counterfeits), and the day-by-day changes. Everything is a pure function of the
//! [`MarketConfig`]: the same config always gives the same market.

use crate::catalogue::{self, Brand, Category, MarkRule, Template};
use crate::counterfeit;
use crate::truth::TruthRecord;
use qsword_listing::{Currency, Decimal, Listing, Mark, Price, Seller};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// What market to generate. Missing fields deserialize to their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MarketConfig {
    pub seed: u64,
    /// Day 0 is the first night; every later day changes prices, adds and delists offers.
    pub day: u32,
    /// Catalogue products (each offered in several shops).
    pub products: usize,
    /// Average offers per product across all shops.
    pub offers_per_product: usize,
    /// `Crawl-delay` announced in robots.txt, in seconds.
    pub crawl_delay: f64,
    /// How many shops: 5 (the default) up to [`MAX_SHOPS`]; shops 6–8 are `kaola-sim`,
    /// `vip-sim` and `dangdang-sim` on 127.0.0.7–9.
    pub shops: usize,
    /// Most URLs one sitemap file lists (the sitemaps.org limit is 50 000); a shop's product
    /// URLs are split over as many files as this needs.
    pub sitemap_max_urls: usize,
}

/// The sitemaps.org limit on URLs per sitemap file.
pub const SITEMAP_MAX_URLS: usize = 50_000;
/// The most shops a market can have.
pub const MAX_SHOPS: usize = 8;
/// The shops of the default market.
pub const DEFAULT_SHOPS: usize = 5;

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            seed: 42,
            day: 0,
            products: 40,
            offers_per_product: 15,
            crawl_delay: 0.05,
            shops: DEFAULT_SHOPS,
            sitemap_max_urls: SITEMAP_MAX_URLS,
        }
    }
}

impl MarketConfig {
    /// Checks the fields [`Market::generate`] cannot work with; the error names the field.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |field, reason: String| Err(crate::Error::Config { field, reason });
        if !(DEFAULT_SHOPS..=MAX_SHOPS).contains(&self.shops) {
            return bad(
                "MarketConfig.shops",
                format!(
                    "is {}, must be {DEFAULT_SHOPS}..={MAX_SHOPS} (shops 6-8 are kaola-sim, vip-sim, dangdang-sim)",
                    self.shops
                ),
            );
        }
        if self.sitemap_max_urls == 0 || self.sitemap_max_urls > SITEMAP_MAX_URLS {
            return bad(
                "MarketConfig.sitemap_max_urls",
                format!(
                    "is {}, must be 1..={SITEMAP_MAX_URLS} (the sitemaps.org limit)",
                    self.sitemap_max_urls
                ),
            );
        }
        if !self.crawl_delay.is_finite() || self.crawl_delay < 0.0 {
            return bad(
                "MarketConfig.crawl_delay",
                format!(
                    "is {}, must be a non-negative number of seconds",
                    self.crawl_delay
                ),
            );
        }
        Ok(())
    }
}

/// How a shop marks up its product pages (see the page contract in the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageStyle {
    /// schema.org JSON-LD `Product` in a script tag.
    JsonLd,
    /// schema.org microdata attributes on the visible HTML.
    Microdata,
    /// `window.__INITIAL_STATE__ = {…}` and almost nothing visible.
    EmbeddedState,
    /// Plain HTML that needs CSS-selector site rules.
    PlainHtml,
}

/// The encoding of a shop's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Charset {
    Utf8,
    /// GBK, declared only in a `<meta http-equiv>` tag.
    Gbk,
}

/// One shop of the market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopSpec {
    /// Name and platform, e.g. `tianmao-sim`.
    pub name: String,
    pub style: PageStyle,
    pub charset: Charset,
    /// Loopback address the shop binds (127.0.0.2 …), so each shop is its own host.
    pub ip: Ipv4Addr,
}

/// The first `n` shops (shop k on 127.0.0.(k+2)): five with one page style each, then three
/// more reusing the JSON-LD, microdata and embedded-state styles.
fn shop_specs(n: usize) -> Vec<ShopSpec> {
    let s = |name: &str, style, charset, k: u8| ShopSpec {
        name: name.to_string(),
        style,
        charset,
        ip: Ipv4Addr::new(127, 0, 0, k + 2),
    };
    vec![
        s("tianmao-sim", PageStyle::JsonLd, Charset::Utf8, 0),
        s("jingdong-sim", PageStyle::Microdata, Charset::Utf8, 1),
        s("pinduo-sim", PageStyle::EmbeddedState, Charset::Utf8, 2),
        s("suning-sim", PageStyle::PlainHtml, Charset::Utf8, 3),
        s("gbk-mall-sim", PageStyle::PlainHtml, Charset::Gbk, 4),
        s("kaola-sim", PageStyle::JsonLd, Charset::Utf8, 5),
        s("vip-sim", PageStyle::Microdata, Charset::Utf8, 6),
        s("dangdang-sim", PageStyle::EmbeddedState, Charset::Utf8, 7),
    ]
    .into_iter()
    .take(n)
    .collect()
}

/// First item id of each shop; ids then grow by random steps so they look like real ones.
const ITEM_ID_BASE: [u64; MAX_SHOPS] = [
    600_012_000_000,
    100_034_000_000,
    300_500_000_000,
    10_200_000_000,
    880_000,
    5_004_100_000,
    2_600_700_000_000,
    29_300_000,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SellerKind {
    Official,
    Authorised,
    Ordinary,
}

impl SellerKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SellerKind::Official => "official",
            SellerKind::Authorised => "authorised",
            SellerKind::Ordinary => "ordinary",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SellerSpec {
    pub id: u64,
    pub name: String,
    pub kind: SellerKind,
}

/// A shop's sellers: one official store and two dealers per brand, ordinary sellers, and a
/// few counterfeit shops that look ordinary. Real fakes cluster around a few sellers who sell
/// little else (the real bench's fakes come from such sellers), so most fakes here do too.
#[derive(Debug, Clone)]
pub(crate) struct ShopSellers {
    pub all: Vec<SellerSpec>,
    official: HashMap<&'static str, usize>,
    authorised: HashMap<&'static str, [usize; 2]>,
    ordinary: Vec<usize>,
    counterfeit: Vec<usize>,
}

/// Counterfeit shops per simulated shop, and the share of fakes they sell (the rest come from
/// ordinary sellers, one bad batch each).
const COUNTERFEIT_SELLERS: usize = 3;
const FAKES_FROM_COUNTERFEIT_SELLERS: f64 = 0.8;

/// A catalogue product: a template, possibly with a derived model number and price.
#[derive(Debug, Clone)]
pub(crate) struct Product {
    pub key: String,
    pub template: &'static Template,
    pub brand: &'static Brand,
    pub category: &'static Category,
    pub model: String,
    pub price: Decimal,
    /// The genuine certificate/licence number (CCC, fertilizer registration, XK).
    pub mark_number: Option<String>,
    pub gtin: Option<String>,
}

/// A certification mark as a page shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShownMark {
    pub scheme: &'static str,
    /// The spec-table row label (`3C证书编号`, `肥料登记证号`, …).
    pub label: &'static str,
    pub number: String,
    pub in_specs: bool,
    pub in_text: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub shop: usize,
    pub item_id: u64,
    pub product: usize,
    pub seller: usize,
    pub title: String,
    pub brand: String,
    /// English name of the protected brand a fake imitates.
    pub imitates: Option<&'static str>,
    pub model: String,
    pub gtin: Option<String>,
    pub price: Decimal,
    pub list_price: Option<Decimal>,
    pub marks: Vec<ShownMark>,
    pub fake_kinds: Vec<&'static str>,
    pub hard_negative: Option<&'static str>,
    /// Rendered on demand ([`Market::description`]): the text is the biggest part of an offer.
    pub description: Description,
    pub promo: &'static str,
    pub modified_day: u32,
    /// 404 or 410 once delisted.
    pub gone: Option<u16>,
}

/// What an offer's description says; [`Market::description`] writes it out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Description {
    /// Written from the product and the offer, with a cue word (some fakes) or one of two
    /// stock phrases.
    Standard {
        cue: Option<&'static str>,
        phrase: u8,
    },
    /// A compatible part's disclaimer, naming its maker.
    Compatible(&'static Brand),
}

/// A fully generated market, deterministic from its [`MarketConfig`].
#[derive(Debug, Clone)]
pub struct Market {
    pub(crate) cfg: MarketConfig,
    pub(crate) shops: Vec<ShopSpec>,
    pub(crate) sellers: Vec<ShopSellers>,
    pub(crate) products: Vec<Product>,
    pub(crate) offers: Vec<Offer>,
    /// (shop, item id) → offer.
    pub(crate) by_item: HashMap<(usize, u64), usize>,
    /// Live offers per shop and category (index into `CATEGORIES`), by item id.
    pub(crate) live: Vec<Vec<Vec<usize>>>,
    /// Live offers per shop and seller (index into `ShopSellers::all`), in `live` order, so a
    /// seller page costs what it shows, not the size of the shop.
    pub(crate) live_by_seller: Vec<Vec<Vec<usize>>>,
}

const PROMOS: &[&str] = &[
    "满299减30",
    "领券立减20元",
    "以旧换新 至高补贴100元",
    "会员专享 积分翻倍",
    "12期免息",
    "下单赠运费险",
];
const DEALER_NAMES: &[&str] = &[
    "鑫盛",
    "华贸",
    "恒通",
    "瑞丰",
    "宏达",
    "金桥",
    "永盛",
    "利达",
    "博远",
    "新世纪",
];
const SELLER_PREFIXES: &[&str] = &[
    "鑫达",
    "优品",
    "乐购",
    "惠民",
    "金牛",
    "好运来",
    "万家",
    "诚信",
    "百汇",
    "顺发",
    "聚宝",
    "佳和",
    "兴隆",
    "天天",
    "福满",
    "星辰",
    "源丰",
    "众诚",
];
const SELLER_SUFFIXES: &[&str] = &[
    "数码专营店",
    "家居百货店",
    "五金电料店",
    "母婴用品店",
    "农资商行",
    "汽配城",
    "日用百货",
    "电器商城",
    "建材经营部",
];

impl Market {
    /// Generates the market for `cfg` (day 0, then each day's changes up to `cfg.day`).
    ///
    /// # Panics
    /// If `cfg` is invalid ([`MarketConfig::validate`] says why, naming the field).
    pub fn generate(cfg: &MarketConfig) -> Market {
        if let Err(e) = cfg.validate() {
            panic!("invalid market config: {e}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let shops = shop_specs(cfg.shops);
        let sellers = (0..shops.len()).map(|_| make_sellers(&mut rng)).collect();
        let templates = catalogue::interleaved();
        let products = (0..cfg.products)
            .map(|i| {
                make_product(
                    i,
                    templates[i % templates.len()],
                    i / templates.len(),
                    &mut rng,
                )
            })
            .collect::<Vec<_>>();
        let mut market = Market {
            cfg: cfg.clone(),
            shops,
            sellers,
            products,
            offers: Vec::with_capacity(cfg.products * (cfg.offers_per_product + 1)),
            by_item: HashMap::new(),
            live: Vec::new(),
            live_by_seller: Vec::new(),
        };
        let mut next_id = ITEM_ID_BASE;
        let spread = (cfg.offers_per_product / 5).max(1) as i64;
        for p in 0..market.products.len() {
            let n =
                (cfg.offers_per_product as i64 + rng.gen_range(-spread..=spread)).max(3) as usize;
            for j in 0..n {
                let offer = market.make_offer(p, j == 0, 0, &mut next_id, &mut rng);
                market.offers.push(offer);
            }
        }
        for day in 1..=cfg.day {
            market.apply_day(day, &mut next_id);
        }
        market.build_index();
        market
    }

    pub fn config(&self) -> &MarketConfig {
        &self.cfg
    }

    pub fn shops(&self) -> &[ShopSpec] {
        &self.shops
    }

    /// How many product pages the market has (live and delisted), without building the truth.
    pub fn offer_count(&self) -> usize {
        self.offers.len()
    }

    /// The live (not delisted) product pages of shop `shop`.
    pub fn live_count(&self, shop: usize) -> usize {
        self.live[shop].iter().map(Vec::len).sum()
    }

    /// The truth about every product page of every shop, delisted ones included; `url` is
    /// `None` until the market is served.
    pub fn truth(&self) -> Vec<TruthRecord> {
        self.truth_iter().collect()
    }

    /// [`Market::truth`] one record at a time, for markets too big to hold the truth twice.
    pub fn truth_iter(&self) -> impl Iterator<Item = TruthRecord> + '_ {
        self.offers.iter().map(|o| self.truth_record(o))
    }

    /// Every product page as a listing with its description and its truth, one at a time
    /// ([`TruthRecord::listing`] plus the description the page shows).
    pub fn listings(&self) -> impl Iterator<Item = (TruthRecord, Listing)> + '_ {
        self.offers.iter().map(|o| {
            let truth = self.truth_record(o);
            let mut listing = truth.listing();
            listing.description = Some(self.description(o));
            (truth, listing)
        })
    }

    pub(crate) fn truth_record(&self, o: &Offer) -> TruthRecord {
        let p = &self.products[o.product];
        let seller = &self.sellers[o.shop].all[o.seller];
        let cny = |amount: Decimal| Price {
            amount,
            currency: Currency::CNY,
        };
        TruthRecord {
            shop: self.shops[o.shop].name.clone(),
            path: item_path(o.item_id),
            url: None,
            item_id: o.item_id.to_string(),
            product: p.key.clone(),
            title: o.title.clone(),
            brand: o.brand.clone(),
            imitates: o.imitates.map(str::to_string),
            model: o.model.clone(),
            gtin: o.gtin.clone(),
            category: p.category.slug.to_string(),
            category_path: self.category_path(p),
            price: cny(o.price),
            list_price: o.list_price.map(cny),
            reference_price: cny(p.price),
            marks: o
                .marks
                .iter()
                .map(|m| Mark {
                    scheme: m.scheme.to_string(),
                    number: Some(m.number.clone()),
                    source: Some(if m.in_specs { "specs" } else { "text" }.to_string()),
                })
                .collect(),
            seller: Seller {
                name: seller.name.clone(),
                id: Some(seller.id.to_string()),
                url: Some(format!("/seller/{}", seller.id)),
            },
            seller_kind: seller.kind.as_str().to_string(),
            fake: !o.fake_kinds.is_empty(),
            fake_kinds: o.fake_kinds.iter().map(|k| k.to_string()).collect(),
            hard_negative: o.hard_negative.map(str::to_string),
            delisted: o.gone.is_some(),
            gone_status: o.gone,
            modified_day: o.modified_day,
        }
    }

    pub(crate) fn category_path(&self, p: &Product) -> Vec<String> {
        vec![p.category.zh.to_string(), p.template.sub.to_string()]
    }

    fn make_offer(
        &self,
        p: usize,
        official: bool,
        day: u32,
        next_id: &mut [u64; MAX_SHOPS],
        rng: &mut ChaCha8Rng,
    ) -> Offer {
        let product = &self.products[p];
        let t = product.template;
        let brand = product.brand;
        let shop = rng.gen_range(0..self.shops.len());
        next_id[shop] += rng.gen_range(1..=997);
        let item_id = next_id[shop];
        let sellers = &self.sellers[shop];
        // Third-party replacements exist for filters and chargers, not for power banks.
        let compat_ok = t.category == "auto-filters" || t.sub == "充电器";
        let roll: f64 = rng.gen();
        let role = if official {
            Role::Genuine
        } else if roll < 0.16 {
            Role::Fake
        } else if roll < 0.23 {
            Role::Discount
        } else if roll < 0.28 {
            Role::Clearance
        } else if compat_ok && roll < 0.36 {
            Role::Compatible
        } else {
            Role::Genuine
        };
        let reference = to_f64(product.price);
        let english = role != Role::Compatible && rng.gen_bool(0.12);
        let display = |rng: &mut ChaCha8Rng| -> String {
            if english {
                return brand.en.to_string();
            }
            match rng.gen_range(0..3) {
                0 => brand.zh.to_string(),
                1 => brand.en.to_string(),
                _ => format!("{}（{}）", brand.zh, brand.en),
            }
        };
        let mut offer = Offer {
            shop,
            item_id,
            product: p,
            seller: 0,
            title: String::new(),
            brand: String::new(),
            imitates: None,
            model: product.model.clone(),
            gtin: product.gtin.clone(),
            price: Decimal::ZERO,
            list_price: None,
            marks: Vec::new(),
            fake_kinds: Vec::new(),
            hard_negative: None,
            description: Description::Standard {
                cue: None,
                phrase: 0,
            },
            promo: PROMOS.choose(rng).expect("non-empty"),
            modified_day: day,
            gone: None,
        };
        let marks_of = |rng: &mut ChaCha8Rng| genuine_marks(product, rng);
        let pick_ordinary =
            |rng: &mut ChaCha8Rng| *sellers.ordinary.choose(rng).expect("non-empty");
        let pick_legit = |rng: &mut ChaCha8Rng, ordinary_ok: bool| {
            let r: f64 = rng.gen();
            if r < 0.45 {
                sellers.official[brand.en]
            } else if r < 0.8 || !ordinary_ok {
                sellers.authorised[brand.en][rng.gen_range(0..2)]
            } else {
                pick_ordinary(rng)
            }
        };
        let (name_zh, name_en) = (t.name_zh, t.name_en);
        let mut title_prefix = "";
        match role {
            Role::Genuine => {
                offer.seller = if official {
                    sellers.official[brand.en]
                } else {
                    pick_legit(rng, true)
                };
                offer.brand = display(rng);
                let tri = rng.gen::<f64>() + rng.gen::<f64>() - 1.0;
                offer.price = shelf_price(reference * (1.0 + 0.1 * tri), rng);
                if rng.gen_bool(0.5) {
                    offer.list_price =
                        Some(shelf_price(reference * rng.gen_range(1.12..1.35), rng));
                }
                offer.marks = marks_of(rng);
            }
            Role::Discount | Role::Clearance => {
                let discount = role == Role::Discount;
                offer.seller = pick_legit(rng, !discount);
                offer.brand = display(rng);
                offer.price = shelf_price(reference * rng.gen_range(0.65..0.80), rng);
                offer.list_price = Some(product.price);
                offer.marks = marks_of(rng);
                offer.hard_negative = Some(if discount {
                    "legit-discount"
                } else {
                    "clearance"
                });
                title_prefix = if discount {
                    "【限时直降】"
                } else {
                    "【清仓特价】"
                };
            }
            Role::Compatible => {
                offer.seller = pick_ordinary(rng);
                let makers: &[&str] = if t.category == "auto-filters" {
                    &["MAHLE", "HENGST"]
                } else {
                    &["UGREEN", "PISEN"]
                };
                let maker = catalogue::brand(makers.choose(rng).expect("non-empty"));
                offer.brand = format!("{}（{}）", maker.zh, maker.en);
                offer.model = format!("{}-{}", &maker.en[..2], rng.gen_range(1000..9999));
                offer.gtin = None;
                offer.price = shelf_price(reference * rng.gen_range(0.30..0.55), rng);
                offer.hard_negative = Some("compatible-accessory");
                if let Some(code) = (!t.ccc_code.is_empty()).then_some(t.ccc_code) {
                    offer.marks = vec![ShownMark {
                        scheme: "CCC",
                        label: "3C证书编号",
                        number: counterfeit::ccc_number(code, rng),
                        in_specs: true,
                        in_text: false,
                    }];
                }
                offer.title = if rng.gen_bool(0.3) {
                    format!(
                        "{} replacement, compatible with {} {} {}",
                        maker.en, brand.en, product.model, name_en
                    )
                } else {
                    format!(
                        "适用于{}{} {} {}替换件 {}",
                        brand.zh, product.model, name_zh, maker.zh, offer.model
                    )
                };
                offer.description = Description::Compatible(maker);
            }
            Role::Fake => {
                offer.seller = if rng.gen_bool(FAKES_FROM_COUNTERFEIT_SELLERS) {
                    *sellers.counterfeit.choose(rng).expect("non-empty")
                } else {
                    pick_ordinary(rng)
                };
                offer.imitates = Some(brand.en);
                offer.gtin = None;
                let mark_rule = product.category.mark;
                let mut kinds: Vec<&'static str> = Vec::new();
                let mut candidates = vec!["price", "price", "brand-variant", "cue-words"];
                if mark_rule == MarkRule::Ccc {
                    candidates.extend(["mark-missing", "mark-malformed"]);
                }
                kinds.push(candidates.choose(rng).expect("non-empty"));
                for k in ["price", "brand-variant", "cue-words"] {
                    if rng.gen_bool(0.3) && !kinds.contains(&k) {
                        kinds.push(k);
                    }
                }
                if mark_rule == MarkRule::Ccc
                    && !kinds.iter().any(|k| k.starts_with("mark-"))
                    && rng.gen_bool(0.3)
                {
                    kinds.push(if rng.gen_bool(0.5) {
                        "mark-missing"
                    } else {
                        "mark-malformed"
                    });
                }
                kinds.sort_unstable();
                offer.brand = if kinds.contains(&"brand-variant") {
                    counterfeit::lookalike_brand(brand, rng)
                } else {
                    display(rng)
                };
                offer.price = if kinds.contains(&"price") {
                    shelf_price(reference * rng.gen_range(0.15..0.45), rng)
                } else {
                    shelf_price(reference * rng.gen_range(0.86..0.98), rng)
                };
                offer.list_price = Some(shelf_price(reference * rng.gen_range(1.1..1.4), rng));
                // Fakes copy the genuine certificate number unless the kind says otherwise.
                offer.marks = marks_of(rng);
                if kinds.contains(&"mark-missing") {
                    offer.marks.retain(|m| m.scheme != "CCC");
                }
                if kinds.contains(&"mark-malformed") {
                    for m in offer.marks.iter_mut().filter(|m| m.scheme == "CCC") {
                        m.number = counterfeit::malformed_ccc(&m.number, rng);
                    }
                }
                offer.fake_kinds = kinds;
            }
        }
        if offer.title.is_empty() {
            let cue = if offer.fake_kinds.contains(&"cue-words") {
                Some(*counterfeit::CUE_WORDS.choose(rng).expect("non-empty"))
            } else {
                None
            };
            // Half of the cue words go into the title, the other half into the description.
            let cue_in_title = cue.filter(|_| rng.gen_bool(0.5));
            let cue_text = cue_in_title.map(|c| format!("{c} ")).unwrap_or_default();
            let model = &offer.model;
            offer.title = if english {
                format!("{title_prefix}{cue_text}{} {name_en} {model}", offer.brand)
            } else {
                let shown = offer
                    .brand
                    .split('（')
                    .next()
                    .unwrap_or(&offer.brand)
                    .to_string();
                format!("{title_prefix}{cue_text}{shown} {name_zh} {model}")
            };
            let cue = cue.filter(|_| cue_in_title.is_none());
            // The stock phrase is drawn exactly when `describe` prints one.
            let stock = cue.is_none()
                && !matches!(offer.hard_negative, Some("clearance" | "legit-discount"))
                && offer.fake_kinds.is_empty();
            // Drawn as a usize, as the index it once was: another width would change the stream.
            let phrase = if stock {
                rng.gen_range(0..2usize) as u8
            } else {
                0
            };
            offer.description = Description::Standard { cue, phrase };
        }
        offer
    }

    /// One night's changes: some prices move, some offers are delisted (half 404, half 410),
    /// a few new offers appear.
    fn apply_day(&mut self, day: u32, next_id: &mut [u64; MAX_SHOPS]) {
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.cfg.seed ^ (day as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let mut live: Vec<usize> = (0..self.offers.len())
            .filter(|&i| self.offers[i].gone.is_none())
            .collect();
        live.shuffle(&mut rng);
        let n = live.len();
        let changes = (n * 4 / 100).max(1).min(n);
        let delists = (n * 2 / 100).max(1).min(n - changes);
        for &i in &live[..changes] {
            let o = &mut self.offers[i];
            let factor = if rng.gen_bool(0.5) { 1.0 } else { -1.0 } * rng.gen_range(0.03..0.15);
            o.price = shelf_price(to_f64(o.price) * (1.0 + factor), &mut rng);
            if o.list_price.is_some_and(|l| l <= o.price) {
                o.list_price = None;
            }
            o.modified_day = day;
        }
        for (k, &i) in live[changes..changes + delists].iter().enumerate() {
            let o = &mut self.offers[i];
            o.gone = Some(if k % 2 == 0 { 404 } else { 410 });
            o.modified_day = day;
        }
        let adds = (n * 2 / 100).max(1);
        for _ in 0..adds {
            let p = rng.gen_range(0..self.products.len());
            let offer = self.make_offer(p, false, day, next_id, &mut rng);
            self.offers.push(offer);
        }
        if day >= 2 {
            self.night_news(day, next_id);
        }
    }

    /// From day 2 on, each night also brings what the alerting must notice: new fakes (about
    /// 1% of the live offers) and known fakes that got worse (about a tenth of them start
    /// using cue words such as 高仿 in the title). Its own random stream, so days 0 and 1 —
    /// and every other change of later days — stay exactly as they were.
    fn night_news(&mut self, day: u32, next_id: &mut [u64; MAX_SHOPS]) {
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.cfg.seed ^ 0x6E65_7773 ^ (day as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
        );
        let live: Vec<usize> = (0..self.offers.len())
            .filter(|&i| self.offers[i].gone.is_none())
            .collect();
        let mut fakes: Vec<usize> = live
            .iter()
            .copied()
            .filter(|&i| {
                let o = &self.offers[i];
                !o.fake_kinds.is_empty()
                    && !o.fake_kinds.contains(&"cue-words")
                    && o.modified_day < day
            })
            .collect();
        fakes.shuffle(&mut rng);
        for &i in fakes.iter().take((fakes.len() / 10).max(1)) {
            let cue = *counterfeit::CUE_WORDS.choose(&mut rng).expect("non-empty");
            let o = &mut self.offers[i];
            o.title = format!("{cue} {}", o.title);
            o.fake_kinds.push("cue-words");
            o.fake_kinds.sort_unstable();
            o.modified_day = day;
        }
        let wanted = (live.len() / 100).max(1);
        let mut added = 0;
        for _ in 0..wanted * 50 {
            if added == wanted {
                break;
            }
            let p = rng.gen_range(0..self.products.len());
            let offer = self.make_offer(p, false, day, next_id, &mut rng);
            if !offer.fake_kinds.is_empty() {
                self.offers.push(offer);
                added += 1;
            }
        }
    }

    fn build_index(&mut self) {
        self.by_item = self
            .offers
            .iter()
            .enumerate()
            .map(|(i, o)| ((o.shop, o.item_id), i))
            .collect();
        let mut live = vec![vec![Vec::new(); catalogue::CATEGORIES.len()]; self.shops.len()];
        for (i, o) in self
            .offers
            .iter()
            .enumerate()
            .filter(|(_, o)| o.gone.is_none())
        {
            let cat = catalogue::CATEGORIES
                .iter()
                .position(|c| c.slug == self.products[o.product].category.slug)
                .expect("known category");
            live[o.shop][cat].push(i);
        }
        for shop in live.iter_mut() {
            for cat in shop.iter_mut() {
                cat.sort_by_key(|&i| self.offers[i].item_id);
            }
        }
        self.live_by_seller = live
            .iter()
            .enumerate()
            .map(|(shop, cats)| {
                let mut by_seller = vec![Vec::new(); self.sellers[shop].all.len()];
                for &i in cats.iter().flatten() {
                    by_seller[self.offers[i].seller].push(i);
                }
                by_seller
            })
            .collect();
        self.live = live;
    }

    /// The description text of offer `o`.
    pub(crate) fn description(&self, o: &Offer) -> String {
        let p = &self.products[o.product];
        match o.description {
            Description::Standard { cue, phrase } => describe(p, o, cue, phrase),
            Description::Compatible(maker) => format!(
                "{}出品的通用替换件，适用于{} {}。非{}原厂产品，品质可靠，性价比高。",
                maker.zh, p.brand.zh, p.model, p.brand.zh
            ),
        }
    }

    pub(crate) fn offer(&self, shop: usize, item_id: u64) -> Option<&Offer> {
        self.by_item.get(&(shop, item_id)).map(|&i| &self.offers[i])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Genuine,
    Discount,
    Clearance,
    Compatible,
    Fake,
}

pub(crate) fn item_path(item_id: u64) -> String {
    format!("/item/{item_id}.html")
}

fn make_sellers(rng: &mut ChaCha8Rng) -> ShopSellers {
    let mut all = Vec::new();
    let mut id: u64 = rng.gen_range(1000..5000);
    let mut push = |name: String, kind, rng: &mut ChaCha8Rng| {
        id += rng.gen_range(1..50);
        all.push(SellerSpec { id, name, kind });
        all.len() - 1
    };
    let mut official = HashMap::new();
    let mut authorised = HashMap::new();
    for b in catalogue::BRANDS.iter().filter(|b| b.protected) {
        official.insert(
            b.en,
            push(format!("{}官方旗舰店", b.zh), SellerKind::Official, rng),
        );
        let d1 = DEALER_NAMES.choose(rng).expect("non-empty");
        let a = push(format!("{}{d1}专卖店", b.zh), SellerKind::Authorised, rng);
        let d2 = DEALER_NAMES.choose(rng).expect("non-empty");
        let b2 = push(format!("{}{d2}授权店", b.zh), SellerKind::Authorised, rng);
        authorised.insert(b.en, [a, b2]);
    }
    let mut ordinary = Vec::new();
    let mut counterfeit = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    while ordinary.len() + counterfeit.len() < 16 + COUNTERFEIT_SELLERS {
        let name = format!(
            "{}{}",
            SELLER_PREFIXES.choose(rng).expect("non-empty"),
            SELLER_SUFFIXES.choose(rng).expect("non-empty")
        );
        if names.insert(name.clone()) {
            let seller = push(name, SellerKind::Ordinary, rng);
            if ordinary.len() < 16 {
                ordinary.push(seller);
            } else {
                counterfeit.push(seller);
            }
        }
    }
    ShopSellers {
        all,
        official,
        authorised,
        ordinary,
        counterfeit,
    }
}

fn make_product(i: usize, t: &'static Template, variant: usize, rng: &mut ChaCha8Rng) -> Product {
    let category = catalogue::category(t.category).expect("template category exists");
    let model = if variant == 0 {
        t.model.to_string()
    } else {
        derive_model(t.model, variant)
    };
    let factor = if variant == 0 {
        1.0
    } else {
        rng.gen_range(0.8..1.3)
    };
    let price = shelf_price(t.price * factor, rng);
    let mark_number = match category.mark {
        MarkRule::Ccc => Some(counterfeit::ccc_number(t.ccc_code, rng)),
        MarkRule::FertilizerRegistration => Some(counterfeit::fertilizer_registration(rng)),
        MarkRule::ProductionLicence if t.sub != "热轧卷板" => {
            Some(counterfeit::production_licence(rng))
        }
        _ => None,
    };
    let gtin = rng.gen_bool(0.6).then(|| ean13(rng));
    Product {
        key: format!("p{i:04}"),
        template: t,
        brand: catalogue::brand(t.brand),
        category,
        model,
        price,
        mark_number,
        gtin,
    }
}

/// A sibling model number: the last run of digits is counted up (`HD9252/91` → `HD9252/93`),
/// or a suffix is added when the run is too short to stay distinct.
fn derive_model(model: &str, variant: usize) -> String {
    let bytes = model.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit);
    if let Some(end) = end {
        let start = bytes[..end]
            .iter()
            .rposition(|b| !b.is_ascii_digit())
            .map_or(0, |s| s + 1);
        let width = end + 1 - start;
        if width >= 2 {
            let n: u64 = model[start..=end].parse().unwrap_or(0);
            let m = (n + variant as u64 * 2) % 10u64.pow(width as u32);
            return format!("{}{:0width$}{}", &model[..start], m, &model[end + 1..]);
        }
    }
    format!("{model}-{:02}", variant)
}

/// A valid EAN-13 with the Chinese GS1 prefix 69.
fn ean13(rng: &mut ChaCha8Rng) -> String {
    let mut digits = vec![6u32, 9];
    digits.extend((0..10).map(|_| rng.gen_range(0..10)));
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits
        .iter()
        .map(|d| char::from_digit(*d, 10).expect("digit"))
        .collect()
}

fn genuine_marks(p: &Product, rng: &mut ChaCha8Rng) -> Vec<ShownMark> {
    let Some(number) = p.mark_number.clone() else {
        return Vec::new();
    };
    let (scheme, label) = match p.category.mark {
        MarkRule::Ccc => (
            "CCC",
            if rng.gen_bool(0.6) {
                "3C证书编号"
            } else {
                "CCC证书编号"
            },
        ),
        MarkRule::FertilizerRegistration => ("FERTILIZER-REG", "肥料登记证号"),
        MarkRule::ProductionLicence => ("XK", "生产许可证编号"),
        MarkRule::None => return Vec::new(),
    };
    let in_specs = rng.gen_bool(0.85);
    let in_text = !in_specs || rng.gen_bool(0.3);
    vec![ShownMark {
        scheme,
        label,
        number,
        in_specs,
        in_text,
    }]
}

fn describe(p: &Product, o: &Offer, cue: Option<&str>, phrase: u8) -> String {
    let t = p.template;
    let shown = o.brand.split('（').next().unwrap_or(&o.brand);
    let specs: Vec<String> = t.specs.iter().map(|(k, v)| format!("{k}{v}")).collect();
    let mut d = format!(
        "{shown} {}，型号{}，{}。",
        t.name_zh,
        o.model,
        specs.join("，")
    );
    if let Some(m) = o.marks.iter().find(|m| m.in_text) {
        let name = match m.scheme {
            "CCC" => "CCC认证",
            "FERTILIZER-REG" => "肥料登记证",
            _ => "生产许可证",
        };
        d.push_str(&format!("{name}: {}。", m.number));
    } else if o.marks.iter().any(|m| m.scheme == "CCC") {
        d.push_str("已通过3C认证。");
    }
    match (o.hard_negative, cue) {
        (_, Some(cue)) => d.push_str(&format!(
            "{}，品质媲美专柜，假一赔十。",
            match cue {
                "1:1" => "1:1复刻",
                "replica" => "Top quality replica",
                other => other,
            }
        )),
        (Some("clearance"), _) => {
            d.push_str("库存清仓，外包装轻微磨损，功能完好，正品保证，售完即止。")
        }
        (Some("legit-discount"), _) => d.push_str("品牌官方限时活动，正品保障，全国联保。"),
        _ if o.fake_kinds.is_empty() => d.push_str(
            [
                "官方正品，全国联保，7天无理由退换。",
                "正品行货，支持专柜验货，顺丰包邮。",
            ][usize::from(phrase)],
        ),
        _ => d.push_str("厂家直销，价格实惠，量大从优。"),
    }
    d
}

/// A shelf price as shops write them: `3889.00`, `299.00`, `39.90`, `15.90`.
fn shelf_price(v: f64, rng: &mut ChaCha8Rng) -> Decimal {
    let v = v.max(0.5);
    let yuan_tenths: i64 = if v >= 1000.0 {
        let tens = (v / 10.0).round() as i64 * 10;
        (if rng.gen_bool(0.5) { tens - 1 } else { tens }) * 10
    } else if v >= 100.0 {
        // Prices ending in 9 are common, but rounding never moves a price by more than ¥4.
        let whole = v.round() as i64;
        (if whole % 10 >= 5 && rng.gen_bool(0.7) {
            (whole / 10) * 10 + 9
        } else {
            whole
        }) * 10
    } else {
        let tenths = (v * 10.0).round() as i64;
        if tenths % 10 >= 5 && rng.gen_bool(0.7) {
            (tenths / 10) * 10 + 9
        } else {
            tenths
        }
    };
    Decimal::new(yuan_tenths.max(1) * 10, 2)
}

fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_models_differ_from_the_template() {
        assert_eq!(derive_model("HD9252/91", 1), "HD9252/93");
        assert_eq!(derive_model("W712/75", 2), "W712/79");
        assert_eq!(derive_model("BVR4", 2), "BVR4-02");
        assert_eq!(derive_model("60337", 3), "60343");
        assert_eq!(derive_model("GN-B3050", 1), "GN-B3052");
    }

    #[test]
    fn ean13_check_digit_is_valid() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let g = ean13(&mut rng);
            let d: Vec<u32> = g.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let sum: u32 = d
                .iter()
                .enumerate()
                .map(|(i, x)| if i % 2 == 0 { *x } else { x * 3 })
                .sum();
            assert_eq!(sum % 10, 0, "{g}");
        }
    }

    #[test]
    fn offers_mix_genuine_fakes_and_hard_negatives_in_realistic_proportions() {
        let m = Market::generate(&MarketConfig::default());
        let t = m.truth();
        let fakes = t.iter().filter(|r| r.fake).count() as f64 / t.len() as f64;
        assert!((0.08..0.25).contains(&fakes), "fake share {fakes}");
        for kind in [
            "price",
            "brand-variant",
            "mark-missing",
            "mark-malformed",
            "cue-words",
        ] {
            assert!(
                t.iter().any(|r| r.fake_kinds.iter().any(|k| k == kind)),
                "no fake of kind {kind}"
            );
        }
        for hn in ["compatible-accessory", "legit-discount", "clearance"] {
            assert!(
                t.iter().any(|r| r.hard_negative.as_deref() == Some(hn)),
                "no hard negative {hn}"
            );
        }
        for r in &t {
            if r.fake_kinds.iter().any(|k| k == "price") {
                assert!(
                    r.price.amount * Decimal::from(2) < r.reference_price.amount,
                    "{r:?}"
                );
            }
            if !r.fake && r.hard_negative.is_none() {
                let ratio = to_f64(r.price.amount) / to_f64(r.reference_price.amount);
                assert!((0.85..1.15).contains(&ratio), "genuine price off: {r:?}");
                if r.category == "switches-sockets" {
                    assert!(counterfeit::is_valid_ccc(
                        r.marks[0].number.as_deref().unwrap()
                    ));
                }
            }
        }
        assert!(t.iter().all(|r| !r.delisted), "day 0 has nothing delisted");
    }
}
