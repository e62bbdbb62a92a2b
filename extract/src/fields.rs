//! Brand, MPN, GTIN and availability from what the page shows, for pages whose structured
//! data leaves them out: labelled rows anywhere in the page (`Brand: X`, `EAN | 4006…`,
//! `品牌：X`), and the stock statement near the product (`Sold out`, `缺货`, `Pre-order`).
//!
//! Rows are read from any two-cell table row, `dt`/`dd` pair, a label element followed by its
//! value (`<strong>Model number:</strong> <span>X</span>`) and short `Key: value` lines, not
//! only from tables a class calls "specs": shops name their tables anything. What lies in
//! navigation, menus, filters, related-item blocks or hidden elements is not the product's.
//! The keys are the labels shops print in the major languages; values are checked for shape
//! (a GTIN by its check digit, a brand or part number by length), since a wrong value is worse
//! than none.

use super::{clean, ids};
use scraper::{ElementRef, Html, Node};

/// Rows read per page (bounds time on pages with huge tables).
const MAX_ROWS: usize = 3000;
/// Elements visited per page.
const MAX_NODES: usize = 200_000;
/// A row key longer than this is a sentence, not a label.
const MAX_KEY_CHARS: usize = 40;
const MAX_VALUE_CHARS: usize = 200;

/// Labels of the brand row.
const BRAND_KEYS: &[&str] = &[
    "brand",
    "brand name",
    "品牌",
    "品牌名称",
    "品牌名稱",
    "廠牌",
    "ブランド",
    "브랜드",
    "marke",
    "marque",
    "marca",
    "merk",
    "marka",
    "märke",
    "mærke",
    "merkki",
    "márka",
    "značka",
    "znamka",
    "бренд",
    "марка",
    "μάρκα",
    "العلامة التجارية",
    "thương hiệu",
    "blagovna znamka",
    "robna marka",
    "brend",
    "marcă",
    "kaubamärk",
    "zīmols",
    "prekės ženklas",
    "tuotemerkki",
    "varumärke",
    "varemærke",
    "merke",
    "varemerke",
    "торговая марка",
    "торгова марка",
    "الماركة",
    "מותג",
    "ยี่ห้อ",
    "แบรนด์",
    "merek",
];
/// Labels of the maker: the brand when no row names one.
const MAKER_KEYS: &[&str] = &[
    "manufacturer",
    "maker",
    "hersteller",
    "fabricant",
    "fabricante",
    "produttore",
    "producent",
    "výrobca",
    "výrobce",
    "gyártó",
    "производитель",
    "制造商",
    "生产厂家",
    "生产商",
    "厂家",
    "製造商",
    "メーカー",
    "제조사",
    "fabrikant",
    "proizvajalec",
    "proizvođač",
    "произвођач",
    "producător",
    "производител",
    "κατασκευαστής",
    "tootja",
    "ražotājs",
    "gamintojas",
    "valmistaja",
    "tillverkare",
    "produsent",
    "üretici",
    "виробник",
    "الشركة المصنعة",
    "יצרן",
    "nhà sản xuất",
    "ผู้ผลิต",
    "produsen",
];
/// Labels of the manufacturer's part number.
const MPN_KEYS: &[&str] = &[
    "mpn",
    "manufacturer part number",
    "mfr part number",
    "mfg part number",
    "part number",
    "part no",
    "manufacturer reference",
    "herstellernummer",
    "herstellerartikelnummer",
    "hersteller-artikelnummer",
    "référence fabricant",
    "numero parte",
    "número de pieza",
    "número de parte",
    "артикул производителя",
    "制造商零件编号",
];
/// Labels of the maker's model number: for most consumer goods the maker's code for the
/// product, printed where a part number would be (`Item model number`), so it stands for the
/// MPN when no part number is labelled — if shaped like a code ([`plausible_model_code`]).
const MODEL_KEYS: &[&str] = &[
    "model number",
    "item model number",
    "model no",
    "model",
    "modellnummer",
    "modell",
    "modèle",
    "numéro du modèle de l'article",
    "référence du modèle",
    "modello",
    "numero modello articolo",
    "numero modello",
    "modelo",
    "número de modelo",
    "модель",
    "型号",
    "型號",
    "产品型号",
    "规格型号",
    "型番",
    "모델명",
];
/// Labels of the GTIN (EAN, UPC, ISBN, JAN).
const GTIN_KEYS: &[&str] = &[
    "gtin",
    "gtin-13",
    "gtin13",
    "ean",
    "ean13",
    "ean-13",
    "ean code",
    "ean-code",
    "ean/upc",
    "upc",
    "isbn",
    "isbn-13",
    "isbn13",
    "jan",
    "jan code",
    "barcode",
    "bar code",
    "条形码",
    "条码",
    "商品条码",
    "國際條碼",
    "штрихкод",
    "штрих-код",
    "kod ean",
    "código de barras",
    "código ean",
    "ean kód",
    "kód ean",
    "ean kood",
    "ean-koodi",
    "streckkod",
    "stregkode",
    "strekkode",
    "vonalkód",
    "штрих код",
    "barkod",
];

/// Whether `key` is one this module reads.
fn is_known_key(key: &str) -> bool {
    [BRAND_KEYS, MAKER_KEYS, MPN_KEYS, MODEL_KEYS, GTIN_KEYS]
        .iter()
        .any(|keys| keys.contains(&key))
}

/// What the rows of a page say.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rows {
    /// (key as printed, lower-cased and without its colon; value).
    pub rows: Vec<(String, String)>,
}

impl Rows {
    /// The first row whose key is one of `keys` and whose value `shape` accepts.
    fn get(&self, keys: &[&str], shape: fn(&str) -> Option<String>) -> Option<String> {
        self.rows
            .iter()
            .filter(|(k, _)| keys.contains(&k.as_str()))
            .find_map(|(_, v)| shape(v))
    }

    /// The brand row, else the maker row, if its value is shaped like a name. A maker named
    /// as a company (`Shenzhen X Technology Co., Ltd.`, `X GmbH`) is the firm, not the brand
    /// on the product.
    pub fn brand(&self) -> Option<String> {
        self.get(BRAND_KEYS, plausible_brand)
            .or_else(|| self.get(MAKER_KEYS, plausible_maker))
    }

    /// The row labelled as the part number, if shaped like an identifier.
    pub fn mpn_labelled(&self) -> Option<String> {
        self.get(MPN_KEYS, plausible_code)
    }

    /// The part-number row, else the model-number row, if shaped like an identifier.
    pub fn mpn(&self) -> Option<String> {
        self.mpn_labelled()
            .or_else(|| self.get(MODEL_KEYS, plausible_model_code))
    }

    /// The first GTIN row whose value passes the check digit.
    pub fn gtin(&self) -> Option<String> {
        self.rows
            .iter()
            .filter(|(k, _)| GTIN_KEYS.contains(&k.as_str()))
            .find_map(|(_, v)| ids::gtin(v).ok())
    }
}

/// A brand is a name: a few words, no title separators (`Shop | Site`) nor sentence.
pub fn plausible_brand(value: &str) -> Option<String> {
    let v = clean(value)?;
    let words = v.split_whitespace().count();
    let titleish = [" | ", " - ", " – ", "｜", "【", "】", "!", "?", "。"]
        .iter()
        .any(|s| v.contains(s));
    let none = ["-", "n/a", "na", "none", "null", "undefined", "—", "/"];
    // An unfilled template (`$brand`, `{{ brand }}`) is no value.
    let placeholder = v.starts_with('$') || v.contains("{{") || v.contains("${");
    (!placeholder
        && v.chars().count() <= 40
        && words <= 5
        && !titleish
        && !none.contains(&v.to_lowercase().as_str()))
    .then_some(v)
}

/// A maker that is not a company's legal name.
fn plausible_maker(value: &str) -> Option<String> {
    const FIRM: &[&str] = &[
        "co.",
        "co,",
        "ltd",
        "inc",
        "llc",
        "gmbh",
        "corp",
        "s.a.",
        "s.r.o",
        "sp. z o.o",
        "limited",
        "有限公司",
        "株式会社",
        "ооо",
        "оао",
        "зао",
    ];
    plausible_brand(value).filter(|v| {
        let l = v.to_lowercase();
        !FIRM.iter().any(|f| {
            l.match_indices(f).any(|(i, _)| {
                // A word of its own: `Inc` but not `Incase`.
                let before = l[..i].chars().next_back();
                let after = l[i + f.len()..].chars().next();
                let whole = before.is_none_or(|c| !c.is_alphanumeric())
                    && (f.ends_with(['.', ',']) || after.is_none_or(|c| !c.is_alphanumeric()));
                // Han script has no spaces between words.
                whole || f.chars().any(is_han)
            })
        })
    })
}

/// Lower-cased, spaces removed: for comparing names.
pub fn squashed(s: &str) -> String {
    s.split_whitespace().collect::<String>().to_lowercase()
}

/// A part or model number: one short code, a few tokens at most.
pub fn plausible_code(value: &str) -> Option<String> {
    let v = clean(value)?;
    let none = ["-", "n/a", "na", "none", "null", "—", "/", "does not apply"];
    (v.chars().count() <= 40
        && v.split_whitespace().count() <= 4
        && !none.contains(&v.to_lowercase().as_str()))
    .then_some(v)
}

/// A model as part number: a code, not a model name ("Alto", "X1", "Primrose"): at least
/// four characters with a digit.
pub fn plausible_model_code(value: &str) -> Option<String> {
    plausible_code(value)
        .filter(|v| v.chars().count() >= 4 && v.chars().any(|c| c.is_ascii_digit()))
}

/// Class or id words that mark what is not the product's own: site navigation, menus and
/// filters, other products (related, recommended, recently viewed), and the variant pickers
/// whose per-size "sold out" says nothing of the product. Matched as word starts in class and id (`main-nav`, `navbar`, but not `unavailable`).
const FOREIGN: &[&str] = &[
    "nav",
    "menu",
    "footer",
    "breadcrumb",
    "filter",
    "facet",
    "related",
    "recommend",
    "similar",
    "upsell",
    "crosssell",
    "cross",
    "carousel",
    "slider",
    "recently",
    "also",
    "suggest",
    "sponsor",
    "review",
    "comment",
];
const PICKER: &[&str] = &["size", "swatch", "variant", "variation", "option", "picker"];

/// Class and id (not lower-cased: [`has_word`] and [`stock_marked`] ignore ASCII case).
fn attr_words<'a>(e: &ElementRef<'a>) -> [&'a str; 2] {
    let v = e.value();
    [v.attr("class").unwrap_or(""), v.attr("id").unwrap_or("")]
}

/// Whether a word of the class or id (split at anything but ASCII letters and digits)
/// starts with one of `words` (lower-case), ignoring case.
fn has_word(attrs: &[&str; 2], words: &[&str]) -> bool {
    attrs.iter().any(|a| {
        a.split(|c: char| !c.is_ascii_alphanumeric()).any(|t| {
            words.iter().any(|w| {
                // Tokens are ASCII, so the byte cut is a char boundary.
                t.len() >= w.len() && t.as_bytes()[..w.len()].eq_ignore_ascii_case(w.as_bytes())
            })
        })
    })
}

/// Elements whose content is not shown or not text: scripts, templates, form options, and
/// hidden ones (`hidden`, `aria-hidden`, `display:none`, `visibility:hidden`).
fn hidden(e: &ElementRef<'_>) -> bool {
    let v = e.value();
    if matches!(
        v.name(),
        "script" | "style" | "noscript" | "template" | "select" | "option" | "datalist" | "svg"
    ) {
        return true;
    }
    if v.attr("hidden").is_some() {
        return true;
    }
    v.attr("style").is_some_and(|s| {
        let s = s.to_ascii_lowercase().replace(' ', "");
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

/// Where an element sits: in a variant picker, in a box marked as the stock statement.
#[derive(Debug, Clone, Copy, Default)]
struct Place {
    in_picker: bool,
    in_stock_box: bool,
}

/// Whether class, id or itemprop mark an element as the stock statement.
fn stock_marked(e: &ElementRef<'_>, attrs: &[&str; 2]) -> bool {
    let contains = |a: &str, w: &str| {
        a.as_bytes()
            .windows(w.len())
            .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
    };
    ["availab", "stock", "inventory", "lager"]
        .iter()
        .any(|w| attrs.iter().any(|a| contains(a, w)))
        || e.value().attr("itemprop") == Some("availability")
}

/// Depth-first walk of the page's elements that are shown and belong to the product
/// (see [`FOREIGN`]), calling `visit` with each and where it sits; `visit` returns whether
/// to go on. `aria_hidden` says whether `aria-hidden` parts count as hidden: they are shown
/// on screen, and shops set it on whole tabs, but a stock message so marked is a template.
fn walk<'a>(
    doc: &'a Html,
    aria_hidden: bool,
    mut visit: impl FnMut(ElementRef<'a>, Place) -> bool,
) {
    let mut stack = vec![(doc.root_element(), Place::default())];
    let mut seen = 0;
    while let Some((e, place)) = stack.pop() {
        seen += 1;
        if seen > MAX_NODES {
            return;
        }
        let attrs = attr_words(&e);
        let name = e.value().name();
        if hidden(&e) || matches!(name, "nav" | "footer" | "aside") {
            continue;
        }
        if aria_hidden && e.value().attr("aria-hidden") == Some("true") {
            continue;
        }
        if e.value().attr("role") == Some("navigation") || has_word(&attrs, FOREIGN) {
            continue;
        }
        let place = Place {
            in_picker: place.in_picker || has_word(&attrs, PICKER),
            in_stock_box: place.in_stock_box || stock_marked(&e, &attrs),
        };
        if !visit(e, place) {
            return;
        }
        let at = stack.len();
        stack.extend(
            e.children()
                .filter_map(ElementRef::wrap)
                .map(|c| (c, place)),
        );
        stack[at..].reverse();
    }
}

/// A row key: lower-cased, colon and spaces trimmed; `None` when too long to be a label.
fn key_of(text: &str) -> Option<String> {
    let k = clean(text)?
        .trim_end_matches([':', '：', ' ', '\u{a0}'])
        .trim()
        .to_lowercase();
    (!k.is_empty() && k.chars().count() <= MAX_KEY_CHARS).then_some(k)
}

fn value_of(e: ElementRef<'_>) -> Option<String> {
    short_text(e, MAX_VALUE_CHARS)
}

/// The labelled rows of the page, in page order (see the module doc).
pub fn rows(doc: &Html) -> Rows {
    let mut out = Vec::new();
    walk(doc, false, |e, _| {
        let cells: Vec<ElementRef<'_>> = if e.value().name() == "tr" {
            e.children()
                .filter_map(ElementRef::wrap)
                .filter(|c| matches!(c.value().name(), "th" | "td"))
                .collect()
        } else {
            Vec::new()
        };
        match e.value().name() {
            "tr" if cells.len() == 2 => {
                if let (Some(k), Some(v)) = (
                    short_text(cells[0], MAX_KEY_CHARS + 2).and_then(|t| key_of(&t)),
                    value_of(cells[1]),
                ) {
                    out.push((k, v));
                }
            }
            // `Brand: | X | Colour: | Y`: label cells end in a colon.
            "tr" if cells.len() >= 4 && cells.len().is_multiple_of(2) => {
                for pair in cells.chunks(2) {
                    let label = short_text(pair[0], MAX_KEY_CHARS + 2).unwrap_or_default();
                    if label.ends_with([':', '：']) {
                        if let (Some(k), Some(v)) = (key_of(&label), value_of(pair[1])) {
                            out.push((k, v));
                        }
                    }
                }
            }
            "dt" => {
                let dd = e
                    .next_siblings()
                    .filter_map(ElementRef::wrap)
                    .next()
                    .filter(|s| s.value().name() == "dd");
                if let (Some(k), Some(v)) = (
                    short_text(e, MAX_KEY_CHARS + 2).and_then(|t| key_of(&t)),
                    dd.and_then(value_of),
                ) {
                    out.push((k, v));
                }
            }
            _ => {}
        }
        // The element's own short text, read once for the three readings below (a label
        // ending in a colon, a known label without one, a `Key: value` line).
        let name = e.value().name();
        let text = if matches!(
            name,
            "strong" | "b" | "label" | "span" | "th" | "em" | "div" | "p" | "dt" | "li"
        ) {
            short_text(e, 120)
        } else {
            None
        };
        let chars = text.as_deref().map_or(0, |t| t.chars().count());
        // A label element ending in a colon, its value the next element.
        if matches!(name, "strong" | "b" | "label" | "span" | "th" | "em") {
            if let Some(label) = text.as_deref().filter(|_| chars <= MAX_KEY_CHARS + 1) {
                if label.ends_with([':', '：']) {
                    let next = e.next_siblings().find_map(ElementRef::wrap);
                    if let (Some(k), Some(v)) = (key_of(label), next.and_then(value_of)) {
                        out.push((k, v));
                    }
                }
            }
        }
        // `<div>Brand</div><div>Acme</div>`: a label without a colon is taken only when it is
        // one of the keys read here and no link (a tag or menu entry "Brand" is one), and the
        // value is no list or table (a "Brand" menu heading and its brands is no row).
        if matches!(name, "div" | "p" | "span" | "dt" | "strong" | "b" | "label") {
            let label = text
                .as_deref()
                .filter(|_| chars <= MAX_KEY_CHARS)
                .and_then(key_of)
                .filter(|k| is_known_key(k));
            let link = || {
                e.descendants()
                    .take(16)
                    .any(|n| n.value().as_element().is_some_and(|x| x.name() == "a"))
            };
            if let Some(k) = label.filter(|_| !link()) {
                let next = e.next_siblings().find_map(ElementRef::wrap).filter(|n| {
                    !matches!(
                        n.value().name(),
                        "ul" | "ol" | "table" | "select" | "nav" | "dl" | "form"
                    )
                });
                if let Some(v) = next.and_then(|n| short_text(n, 80)) {
                    out.push((k, v));
                }
            }
        }
        // `Key: value` lines.
        if matches!(name, "li" | "p" | "div" | "span") {
            if let Some(text) = text.as_deref().and_then(|t| line_text(e, t)) {
                if let Some((k, v)) = text.split_once([':', '：']) {
                    if let (Some(k), Some(v)) = (key_of(k), clean(v)) {
                        out.push((k, v));
                    }
                }
            }
        }
        out.len() < MAX_ROWS
    });
    // A label element's row and its line's row are the same; keep the first of each.
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.clone()));
    Rows { rows: out }
}

/// The text of a short line: an element with no block-level children whose text (`text`,
/// already read) is one `Key: value` (no second colon, at most 120 characters).
fn line_text<'t>(e: ElementRef<'_>, text: &'t str) -> Option<&'t str> {
    let block = e.children().filter_map(ElementRef::wrap).any(|c| {
        matches!(
            c.value().name(),
            "div" | "p" | "li" | "ul" | "ol" | "table" | "dl" | "br" | "section"
        )
    });
    if block {
        return None;
    }
    let colons = text.matches([':', '：']).count();
    (colons == 1 && text.chars().count() <= 120 && !text.contains("://")).then_some(text)
}

/// The text of an element if it has at most `max` characters and a few nodes (reading stops
/// past that, so big or deep containers cost little).
fn short_text(e: ElementRef<'_>, max: usize) -> Option<String> {
    let mut out = String::new();
    for (i, node) in e.descendants().enumerate() {
        if i > 64 || out.len() > max * 4 {
            return None;
        }
        if let Node::Text(t) = node.value() {
            out.push_str(t);
        }
    }
    clean(&out).filter(|t| t.chars().count() <= max)
}

/// Any out-of-stock, unavailable or pre-order phrase, in any case: the prefilter of
/// [`visible_availability`].
static NOT_IN_STOCK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    let phrases: Vec<String> = OUT_OF_STOCK
        .iter()
        .chain(UNAVAILABLE)
        .chain(PRE_ORDER)
        .map(|p| regex::escape(p))
        .collect();
    regex::Regex::new(&format!("(?i){}", phrases.join("|"))).expect("escaped phrases")
});

/// Out-of-stock statements, lower-case, as a shop prints them on its own.
const OUT_OF_STOCK: &[&str] = &[
    "out of stock",
    "sold out",
    "not in stock",
    "缺货",
    "无货",
    "已售罄",
    "售罄",
    "已售完",
    "售完",
    "已下架",
    "缺貨",
    "無貨",
    "ausverkauft",
    "nicht lieferbar",
    "nicht auf lager",
    "épuisé",
    "rupture de stock",
    "en rupture de stock",
    "agotado",
    "sin stock",
    "sin existencias",
    "esaurito",
    "esgotado",
    "нет в наличии",
    "распродано",
    "нет на складе",
    "brak w magazynie",
    "wyprzedany",
    "vyprodáno",
    "není skladem",
    "vypredané",
    "uitverkocht",
    "niet op voorraad",
    "slutsåld",
    "udsolgt",
    "utsolgt",
    "loppuunmyyty",
    "stokta yok",
    "tükendi",
    "在庫切れ",
    "売り切れ",
    "品切れ",
    "품절",
    "laost otsas",
    "nincs készleten",
    "elfogyott",
    "stoc epuizat",
    "εξαντλημένο",
    "نفذت الكمية",
    "אזל מהמלאי",
    "일시품절",
    "在庫なし",
    "สินค้าหมด",
    "hết hàng",
    "stok habis",
    "немає в наявності",
    "暂无库存",
    "无库存",
    "已抢光",
    "已抢完",
    "補貨中",
    "slutsålt",
    "ikke på lager",
    "ei varastossa",
    "loppu varastosta",
    "nu este în stoc",
    "ni na zalogi",
    "razprodano",
    "rasprodano",
    "nema na zalihi",
    "išparduota",
    "nav noliktavā",
];
/// Statements that the product cannot be had, without saying why: as good as out of stock
/// in a box marked as the stock statement, but by the title they also label delivery or
/// pick-up options ("Click & collect: not available").
const UNAVAILABLE: &[&str] = &[
    "unavailable",
    "not available",
    "no longer available",
    "nicht verfügbar",
    "indisponible",
    "no disponible",
    "non disponibile",
    "indisponível",
    "niedostępny",
    "nedostupné",
    "momentálne nedostupné",
    "momentálně nedostupné",
    "indisponibil",
    "μη διαθέσιμο",
    "غير متوفر",
    "nedostupno",
];
/// Pre-order statements.
const PRE_ORDER: &[&str] = &[
    "pre-order",
    "preorder",
    "pre order",
    "pre-order now",
    "预售",
    "预订",
    "預購",
    "预约",
    "vorbestellen",
    "vorbestellung",
    "précommande",
    "précommander",
    "preventa",
    "reservar",
    "preordina",
    "pre-ordina",
    "предзаказ",
    "przedsprzedaż",
    "予約",
    "予約受付中",
    "pré-venda",
    "pre-venta",
    "předprodej",
    "predpredaj",
    "ennakkotilaa",
    "förbeställ",
    "forudbestil",
    "ön sipariş",
    "предварительный заказ",
    "预购",
    "預約",
    "예약판매",
    "đặt trước",
];
/// In-stock statements (only for normalising free-text structured values).
const IN_STOCK: &[&str] = &[
    "in stock",
    "available",
    "in stock now",
    "有货",
    "现货",
    "有現貨",
    "auf lager",
    "lieferbar",
    "verfügbar",
    "en stock",
    "disponible",
    "en existencia",
    "disponibile",
    "in magazzino",
    "em estoque",
    "disponível",
    "в наличии",
    "на складе",
    "dostępny",
    "skladem",
    "na sklade",
    "op voorraad",
    "i lager",
    "på lager",
    "varastossa",
    "stokta",
    "在庫あり",
    "재고있음",
    "not sold",
];
/// Words before a statement that keep it one: "currently sold out", "Availability: …".
const LEADING: &[&str] = &[
    "currently",
    "temporarily",
    "this item is",
    "this product is",
    "item",
    "product",
    "availability",
    "stock",
    "status",
    "derzeit",
    "momentan",
    "zurzeit",
    "artikel",
    "verfügbarkeit",
    "actuellement",
    "temporairement",
    "disponibilité",
    "article",
    "produit",
    "temporalmente",
    "actualmente",
    "disponibilidad",
    "producto",
    "attualmente",
    "temporaneamente",
    "disponibilità",
    "prodotto",
    "articolo",
    "временно",
    "наличие",
    "товар",
    "chwilowo",
    "dostępność",
    "momentálne",
    "momentálně",
    "dočasne",
    "dočasně",
    "dostupnosť",
    "dostupnost",
    "暂时",
    "暂",
    "目前",
    "商品",
    "库存",
    "庫存",
    "状态",
    "狀態",
    "该商品",
    "此商品",
    "本商品",
    "该宝贝",
    "此宝贝",
    "宝贝",
];

/// What a short statement says of the stock: the whole text must be the statement, with at
/// most leading words such as "currently" or a label "Availability:" — so "Image not
/// available", "M – sold out" or a sentence mentioning a sold-out offer say nothing.
pub fn availability_of_text(text: &str) -> Option<&'static str> {
    statement(text).map(|(a, _)| a)
}

/// [`availability_of_text`], and whether the statement is a bare "unavailable"
/// ([`UNAVAILABLE`]).
fn statement(text: &str) -> Option<(&'static str, bool)> {
    let mut t = text
        .to_lowercase()
        .trim_matches(|c: char| c.is_whitespace() || ".!:：,;。！·-–—()（）".contains(c))
        .to_string();
    loop {
        let before = t.len();
        for w in LEADING {
            if let Some(rest) = t.strip_prefix(w) {
                // Whole words only (or Han, which has no spaces).
                if rest.starts_with([' ', ':', '：', '\u{a0}']) || w.chars().any(is_han) {
                    t = rest
                        .trim_start_matches(|c: char| c.is_whitespace() || ":：-–".contains(c))
                        .to_string();
                }
            }
        }
        if t.len() == before {
            break;
        }
    }
    let t = t.trim_end_matches(|c: char| c.is_whitespace() || ".!。！".contains(c));
    // Shops with stores say where: "unavailable online", "sold out online".
    let t = t.strip_suffix(" online").unwrap_or(t);
    if OUT_OF_STOCK.contains(&t) {
        Some(("OutOfStock", false))
    } else if UNAVAILABLE.contains(&t) {
        Some(("OutOfStock", true))
    } else if PRE_ORDER.contains(&t) {
        Some(("PreOrder", false))
    } else if IN_STOCK.contains(&t) {
        Some(("InStock", false))
    } else {
        None
    }
}

fn is_han(c: char) -> bool {
    qsword_listing::text::is_han(c)
}

/// Elements after the title `<h1>` in page order that still belong to the product's header
/// (name, price, stock, buy button): a product page shows its stock there.
const NEAR_TITLE: usize = 600;
/// Elements after the title (or from the top, without one) where a marked stock box or a buy
/// button is still the product's.
const WITHIN_TITLE: usize = 5000;

/// The stock statement the page shows for its product: in an element marked as availability
/// or stock (`class="availability"`, `id="stock-status"`) or a buy button by the title, or any
/// element shortly after the title `<h1>`; never in hidden parts, scripts, templates, form options,
/// variant pickers or other products' blocks. Out of stock and pre-order are read; in stock
/// is what a page says by default and is not.
pub fn visible_availability(doc: &Html, h1: Option<ElementRef<'_>>) -> Option<&'static str> {
    // Most pages state no stock problem anywhere: one pass over the text decides whether the
    // element walks below are needed (only out-of-stock and pre-order statements are answers).
    let any = doc
        .root_element()
        .descendants()
        .take(MAX_NODES)
        .any(|n| matches!(n.value(), Node::Text(t) if NOT_IN_STOCK.is_match(t)));
    if !any {
        return None;
    }
    // The title `<h1>` if it is shown, else the first shown one: the title chosen by words
    // can be a hidden dialog's ("Added to cart").
    let shown = |h: &ElementRef<'_>| {
        std::iter::once(*h)
            .chain(h.ancestors().filter_map(ElementRef::wrap))
            .all(|a| {
                !hidden(&a)
                    && a.value().attr("aria-hidden") != Some("true")
                    && !has_word(&attr_words(&a), FOREIGN)
            })
    };
    let mut h1 = h1.filter(shown);
    if h1.is_none() {
        walk(doc, true, |e, _| {
            if e.value().name() == "h1" {
                h1 = Some(e);
            }
            h1.is_none()
        });
    }
    let mut after_h1: Option<usize> = None;
    let mut seen = 0;
    let mut found = None;
    walk(doc, true, |e, place| {
        seen += 1;
        if let Some(n) = after_h1.as_mut() {
            *n += 1;
        }
        if h1.is_some_and(|h| h == e) {
            after_h1 = Some(0);
        }
        // The product's own block lies by its title; far below are other products.
        if after_h1.unwrap_or(seen) > WITHIN_TITLE {
            return false;
        }
        if place.in_picker {
            return true;
        }
        let attrs = attr_words(&e);
        let marked = place.in_stock_box;
        let button = e.value().name() == "button"
            || has_word(&attrs, &["cart", "basket", "buy", "checkout"]);
        let near = after_h1.is_some_and(|n| n <= NEAR_TITLE);
        if !(marked || button || near) {
            return true;
        }
        // Only the element's own short text: a container holding a whole section is no
        // statement.
        let own: String = e
            .children()
            .filter_map(|c| match c.value() {
                Node::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        let text = if own.trim().is_empty() {
            short_text(e, 60)
        } else {
            clean(&own)
        };
        if let Some((a, bare)) = text.as_deref().and_then(statement) {
            // A bare "unavailable" by the title may be a delivery option's.
            if a != "InStock" && (!bare || marked || button) {
                found = Some(a);
                return false;
            }
        }
        true
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> Html {
        Html::parse_document(&format!("<html><body>{body}</body></html>"))
    }

    fn h1(d: &Html) -> Option<ElementRef<'_>> {
        crate::heuristics::title_h1(d)
    }

    #[test]
    fn statements_are_whole_texts() {
        assert_eq!(availability_of_text("Sold out"), Some("OutOfStock"));
        assert_eq!(
            availability_of_text("Currently unavailable."),
            Some("OutOfStock")
        );
        assert_eq!(
            availability_of_text("Availability: Out of stock"),
            Some("OutOfStock")
        );
        assert_eq!(availability_of_text("暂时无货"), Some("OutOfStock"));
        assert_eq!(availability_of_text("库存：缺货"), Some("OutOfStock"));
        assert_eq!(
            availability_of_text("Derzeit nicht verfügbar"),
            Some("OutOfStock")
        );
        assert_eq!(
            availability_of_text("Currently unavailable online"),
            Some("OutOfStock")
        );
        assert_eq!(availability_of_text("Pre-order"), Some("PreOrder"));
        assert_eq!(availability_of_text("预售"), Some("PreOrder"));
        assert_eq!(availability_of_text("NOT SOLD"), Some("InStock"));
        assert_eq!(availability_of_text("Image not available"), None);
        assert_eq!(availability_of_text("M - sold out"), None);
        assert_eq!(availability_of_text("Notify me when it is back"), None);
    }

    #[test]
    fn an_out_of_stock_statement_by_the_title_is_read() {
        let d = doc(r#"<h1>Kettle 1.7 l</h1><div class="price">£20</div>
                      <div id="availability"><span>Currently unavailable.</span>
                      We don't know when this item will be back.</div>"#);
        assert_eq!(visible_availability(&d, h1(&d)), Some("OutOfStock"));
        let d = doc(r#"<h1>电水壶 1.7升</h1><div class="price">¥99</div><span>暂时无货</span>"#);
        assert_eq!(visible_availability(&d, h1(&d)), Some("OutOfStock"));
        let d = doc(r#"<h1>Game X</h1><button class="btn">Pre-order</button>"#);
        assert_eq!(visible_availability(&d, h1(&d)), Some("PreOrder"));
    }

    #[test]
    fn sold_out_sizes_related_items_and_hidden_templates_say_nothing() {
        // One size sold out in the picker.
        let d = doc(
            r#"<h1>T-shirt</h1><div class="size-selector"><button>S</button>
                      <button disabled>M <span>Sold out</span></button></div>
                      <select><option>L</option><option>Sold out</option></select>
                      <button class="add-to-cart">Add to basket</button>"#,
        );
        assert_eq!(visible_availability(&d, h1(&d)), None);
        // A related item out of stock.
        let d = doc(r#"<h1>电饭煲 4L</h1><div class="price">¥299</div>
                      <div class="related-products"><div class="item">电饭煲 3L <span>缺货</span></div></div>"#);
        assert_eq!(visible_availability(&d, h1(&d)), None);
        // A delivery option's "not available" by the title.
        let d = doc(r#"<h1>Sofa</h1><div class="price">€499</div>
                      <div class="delivery"><span>Click &amp; collect</span><span>Not available</span></div>"#);
        assert_eq!(visible_availability(&d, h1(&d)), None);
        // A hidden message, a template and a script.
        let d = doc(r#"<h1>Lamp</h1><div style="display: none">Sold out</div>
                      <div hidden>Out of stock</div><template><p>Sold out</p></template>
                      <script>var s = "Sold out";</script><p aria-hidden="true">Sold out</p>"#);
        assert_eq!(visible_availability(&d, h1(&d)), None);
    }

    #[test]
    fn rows_from_any_table_list_or_label() {
        let d = doc(r#"<table><tr><th>Brand</th><td>Acme</td></tr>
                      <tr><td>EAN</td><td>4006381333931</td></tr></table>
                      <table><tr><td>Model:</td><td>K-3</td><td>Colour:</td><td>red</td></tr></table>
                      <ul><li><b>Item model number :</b> <span>ZX-100</span></li></ul>
                      <dl><dt>品牌</dt><dd>公牛</dd></dl>
                      <div class="col"><p>Výrobca</p><p>ANPIX</p></div>"#);
        let r = rows(&d);
        assert_eq!(r.brand().as_deref(), Some("Acme"));
        assert_eq!(r.gtin().as_deref(), Some("4006381333931"));
        assert_eq!(r.mpn().as_deref(), Some("ZX-100"));
        assert!(r.rows.contains(&("品牌".into(), "公牛".into())));
        assert!(r.rows.contains(&("colour".into(), "red".into())));
        assert!(r.rows.contains(&("výrobca".into(), "ANPIX".into())));
    }

    #[test]
    fn menus_and_bad_values_give_no_brand() {
        // A "Brands" menu, a facet, a bad check digit and a page title as brand.
        let d = doc(r#"<nav><ul><li>Brand: Nike</li></ul></nav>
                      <div class="top"><span>Brand</span><ul><li>Puma</li><li>Fila</li></ul></div>
                      <div class="tags"><div class="tag"><a href="/t/1">品牌</a></div>
                        <div class="tag"><a href="/t/2">送礼券</a></div></div>
                      <div class="filter-panel"><dl><dt>Brand</dt><dd>Adidas</dd></dl></div>
                      <table><tr><td>EAN</td><td>4006381333932</td></tr></table>
                      <p>品牌：达美乐披萨 | 某某团购网</p>"#);
        let r = rows(&d);
        assert_eq!(r.brand(), None);
        assert_eq!(r.gtin(), None);
        assert_eq!(plausible_brand("Domino's Pizza | Deals Site"), None);
        assert_eq!(plausible_brand("$metabrand"), None);
        assert_eq!(plausible_maker("Shenzhen Lanke Technology Co., Ltd."), None);
        assert_eq!(plausible_maker("深圳市某某科技有限公司"), None);
        assert_eq!(plausible_maker("Incase").as_deref(), Some("Incase"));
        assert_eq!(plausible_maker("BMW").as_deref(), Some("BMW"));
        assert_eq!(plausible_brand("{{ product.brand }}"), None);
        assert_eq!(
            plausible_brand("Fruit of the Loom").as_deref(),
            Some("Fruit of the Loom")
        );
    }
}
