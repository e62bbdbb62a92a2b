//! Product matching: which listings are offers of the same product, across sellers, platforms,
//! wordings and currencies, so that a price can be compared with the prices of the *same thing*.
//!
//! Real marketplaces are long tail (most products have one to three offers, and each shop
//! words its titles its own way), so matching works from what names a product, in three steps:
//!
//! 1. **Model numbers, recognised by how they spread across the market**, not by their shape
//!    alone. A candidate is a title token of letters and digits (`LN26A450`, `Vgn-CS180J/R`,
//!    `HD9252`), or the listing's model/MPN field; quantities (`4.1L`, `1400W`, `4GB`, `1080p`),
//!    dimensions (`1920x1080`) and counts of a word (`2-line`, `3-way`) are not. A candidate
//!    names one product only if the market uses it so:
//!    - one brand holds at least half of the listings that carry it (`USB3.0` and `HDMI2.1` go
//!      with many brands, `LN26A450` with one, plus look-alikes of it);
//!    - it never stands beside two *different* other product codes (`DVP-FX820` beside
//!      `DVPFX820R` in one title and `DVPFX820P` in another is a family, not a product; `2-line`
//!      beside two phones' codes is a feature), nor beside four or more.
//!
//!    Within a title the most specific code wins (`DSCW150` is dropped beside `DSCW150R`). GTINs
//!    (8+ digits) name a product outright. Listings sharing a code are one product
//!    (union-find).
//! 2. **Titles, for the rest**: listings without any code are compared with the listings that
//!    share one of their *rare* title words (inverted index over words seen at most
//!    [`MAX_POSTING`] times: sub-quadratic blocking), Latin words and jieba words for Chinese,
//!    noise words (包邮, free shipping …) and cue words removed. A candidate pair is confirmed
//!    by the idf-weighted Jaccard of the two titles' words (rare shared words count most) of at
//!    least [`MIN_TITLE_SIMILARITY`], and only if their numbers with units agree (4 GB ≠ 8 GB,
//!    26" ≠ 32", 2-pack ≠ 1-pack) and both or neither say they fit another product (适用于,
//!    compatible with …: a replacement part is not the part). Each listing joins its best
//!    confirmed match.
//! 3. Everything else is a product of its own (a group of one): the price signal judges such
//!    offers against a learnt price model instead ([`crate::price`]).
//!
//! Prices of one product in different currencies are compared after conversion with the
//! indexer's rates ([`qsword_listing::rates`]).

use qsword_listing::catalogue::{find_word, fold, follows_marker, Brand, Catalogue};
use qsword_listing::text::is_han;
use qsword_listing::{Currency, Listing};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Priced offers of one product.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceGroup {
    /// Stable key, e.g. `model:HD9252`, `gtin:6921234567890` or `title:4.1l 空气炸锅 …`.
    pub key: String,
    /// What investigators read: `Philips HD9252`, or the first listing's title.
    pub label: String,
    /// The (catalogue) brand the group is of, when known.
    pub brand_id: Option<String>,
    /// The currency most offers are priced in (others are converted for comparing).
    pub currency: Currency,
    /// Indices into the slice of listings the groups were built from (priced listings only).
    pub members: Vec<usize>,
    /// How the product was recognised: `model`, `gtin`, `title` or `single`.
    pub basis: &'static str,
}

/// Title words seen more often than this are not used for blocking (they still count in the
/// similarity): a word in hundreds of titles names no product, and skipping it keeps the
/// candidate search linear in the number of listings.
pub const MAX_POSTING: usize = 64;
/// Idf-weighted Jaccard of two titles from which they are taken as the same product.
pub const MIN_TITLE_SIMILARITY: f64 = 0.35;
/// Candidates (by shared idf) scored per listing.
const MAX_CANDIDATES: usize = 8;

/// Words that say nothing about which product it is, removed before title words are compared.
const NOISE_WORDS: &[&str] = &[
    "官方正品",
    "正品保证",
    "正品行货",
    "正品",
    "官方",
    "旗舰店",
    "自营",
    "包邮",
    "特价",
    "新款",
    "热销",
    "爆款",
    "促销",
    "限时",
    "现货",
    "清仓",
    "秒杀",
    "官网",
    "同款",
    "free shipping",
    "official",
    "genuine",
    "original",
    "authentic",
    "new",
    "hot",
    "sale",
    "the",
    "and",
    "for",
    "with",
];

/// Units of quantities: a number with one of these describes the product, it does not name it.
const UNITS: &[&str] = &[
    "l", "ml", "w", "kw", "v", "a", "ma", "mah", "wh", "kg", "g", "m", "mm", "cm", "mm2", "hz",
    "khz", "mhz", "ghz", "p", "t", "pcs", "pc", "gb", "mb", "tb", "kb", "in", "inch", "ft", "lb",
    "lbs", "oz", "mp", "x", "k", "db", "ms", "bit", "pack", "pk", "ct", "qt", "gal", "cu", "yd",
    "mm²", "rpm", "btu", "ppm", "dpi", "nm", "min", "h", "hr", "s", "pin", "port", "ports", "watt",
    "watts", "volt", "cup", "cups", "piece", "pieces", "count", "sheets", "米", "升", "瓦", "克",
    "千克", "斤", "毫升", "毫安", "寸", "英寸", "件", "个", "只", "支", "片", "包", "盒", "瓶",
    "袋", "套", "台", "组", "装",
];

fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// Model numbers compare without case, spaces or punctuation: `HD-9252`, `hd 9252`, `HD9252`.
pub fn normalise_model(model: &str) -> String {
    fold(model)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A number with a unit (`4.1l`, `1400w`, `20000mah`, `1080p`), or a range of them
/// (`55-200mm`, `3.5-5.6`): a quantity, not a name.
fn is_quantity(token: &str) -> bool {
    if let Some((low, high)) = token.split_once('-') {
        if !low.is_empty()
            && low.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !high.is_empty()
            && (is_quantity(high)
                || low.len() <= 4
                    && high.len() <= 4
                    && high.chars().all(|c| c.is_ascii_digit() || c == '.'))
        {
            return true;
        }
    }
    let unit_start = token
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(token.len());
    let (number, unit) = token.split_at(unit_start);
    !number.is_empty() && number.chars().any(|c| c.is_ascii_digit()) && UNITS.contains(&unit)
}

/// Markers after which a code names the product this one fits, not this one ("适用于曼牌
/// W712/95", "replacement for HD9252"); "for" alone is not one: "case for iPod" goes on to
/// give the case's own code.
const FITS_MARKERS: &[&str] = &[
    "适用于",
    "适用",
    "适配",
    "兼容",
    "替代",
    "代替",
    "替换",
    "compatible with",
    "replacement for",
    "replaces",
];
/// How far (characters) after such a marker a code is still the other product's: room for
/// the other brand's name between ("compatible with MANN-FILTER CUK26011").
const FITS_REACH: usize = 24;

fn fits_other_product(folded: &str, start: usize) -> bool {
    follows_marker(folded, start, FITS_MARKERS, FITS_REACH)
}

/// Candidate model numbers of a title (normalised, see [`normalise_model`]), in title order:
/// tokens of ASCII letters and digits (hyphens, slashes and dots inside), with at least one
/// letter and one digit and four characters, or of five or more digits; never a quantity, a
/// dimension (`1920x1080`), a count of a word (`2-line`, `3-way`), or the code of the product
/// a compatible part fits ("适用于曼牌 W712/95").
pub fn model_candidates(title: &str) -> Vec<String> {
    let folded = fold(title);
    let mut out: Vec<String> = Vec::new();
    for chunk in folded
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.' | '_' | '+')))
    {
        let chunk = chunk.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        if chunk.is_empty() || is_quantity(chunk) {
            continue;
        }
        let start = chunk.as_ptr() as usize - folded.as_ptr() as usize;
        if fits_other_product(&folded, start) {
            continue;
        }
        let norm: String = chunk
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let letters = norm.chars().filter(|c| c.is_ascii_alphabetic()).count();
        let digits = norm.len() - letters;
        let dimension = {
            let mut parts = chunk.split('x');
            matches!((parts.next(), parts.next(), parts.next()),
                (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty()
                    && a.chars().all(|c| c.is_ascii_digit())
                    && b.chars().all(|c| c.is_ascii_digit()))
        };
        // "2-line", "3-way", "10-piece": a small count of a word.
        let count_of_word = {
            let lead = norm.chars().take_while(|c| c.is_ascii_digit()).count();
            lead > 0 && lead <= 2 && lead == digits && letters >= 3
        };
        let code = norm.len() >= 4 && letters > 0 && digits > 0 && !dimension && !count_of_word;
        let number = letters == 0
            && norm.len() >= 5
            && !chunk.contains(['/', '.'])
            && chunk.chars().all(|c| c.is_ascii_digit() || c == '-');
        if (code || number) && !out.contains(&norm) {
            out.push(norm);
        }
    }
    out
}

/// The first candidate model number of a title (see [`model_candidates`]); the market decides
/// which candidates really name a product ([`match_products`]).
pub fn model_in_title(title: &str) -> Option<String> {
    model_candidates(title).into_iter().next()
}

/// Words of a title for comparing titles: folded, noise and cue words removed, Latin words and
/// numbers (a number followed by a unit word becomes one quantity word, `4 GB` → `4gb`; `26"`
/// → `26in`), Chinese cut by jieba; de-duplicated, in title order.
pub fn title_words(catalogue: &Catalogue, title: &str) -> Vec<String> {
    TitleWords::new(catalogue).words(title)
}

/// [`title_words`] with the words to remove folded once, for many titles.
#[derive(Debug, Clone)]
pub struct TitleWords {
    removals: Vec<String>,
}

impl TitleWords {
    pub fn new(catalogue: &Catalogue) -> TitleWords {
        let mut removals: Vec<String> = NOISE_WORDS
            .iter()
            .map(|w| w.to_string())
            .chain(catalogue.cues.iter().map(|c| fold(&c.word)))
            .filter(|w| !w.is_empty())
            .collect();
        removals.dedup();
        TitleWords { removals }
    }

    pub fn words(&self, title: &str) -> Vec<String> {
        split_words(&self.removals, title)
    }
}

fn split_words(removals: &[String], title: &str) -> Vec<String> {
    let mut text = fold(title);
    for word in removals {
        if text.contains(word.as_str()) {
            text = remove_word(&text, word);
        }
    }
    let mut raw: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_han(c) {
            let start = i;
            while i < chars.len() && is_han(chars[i]) {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            for w in jieba().cut(&run, false) {
                raw.push(w.to_string());
            }
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() && !is_han(chars[i])
                    || chars[i] == '.'
                        && i + 1 < chars.len()
                        && chars[i + 1].is_ascii_digit()
                        && chars[i - 1].is_ascii_digit())
            {
                i += 1;
            }
            let mut w: String = chars[start..i].iter().collect();
            if w.chars().all(|c| c.is_ascii_digit() || c == '.')
                && i < chars.len()
                && matches!(chars[i], '"' | '”' | '″')
            {
                w.push_str("in");
            }
            raw.push(w);
        } else {
            i += 1;
        }
    }
    // "4 gb", "2 pack", "2-pack": the number and its unit as one quantity word.
    let mut words: Vec<String> = Vec::with_capacity(raw.len());
    let mut k = 0;
    while k < raw.len() {
        let w = &raw[k];
        let numeric = w.chars().all(|c| c.is_ascii_digit() || c == '.');
        if numeric && k + 1 < raw.len() && UNITS.contains(&raw[k + 1].as_str()) {
            words.push(format!("{w}{}", raw[k + 1]));
            k += 2;
            continue;
        }
        words.push(w.clone());
        k += 1;
    }
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    words
}

/// The first Latin word of a title (noise words skipped): who made it, when nothing says.
pub fn maker_in_title(title: &str) -> String {
    fold(title)
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| w.len() >= 2 && !NOISE_WORDS.contains(w))
        .unwrap_or("")
        .to_string()
}

/// Quantities of a title's words as (unit, number): `4gb` → ("gb", "4").
fn quantities(words: &[String]) -> Vec<(&str, &str)> {
    words
        .iter()
        .filter(|w| is_quantity(w))
        .map(|w| {
            let at = w
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(w.len());
            (&w[at..], &w[..at])
        })
        .collect()
}

/// Whether two titles' quantities agree: every unit both give has a number in common.
fn quantities_agree(a: &[(&str, &str)], b: &[(&str, &str)]) -> bool {
    for (unit, _) in a {
        let in_b: Vec<&str> = b.iter().filter(|q| q.0 == *unit).map(|q| q.1).collect();
        if in_b.is_empty() {
            continue;
        }
        let in_a = a.iter().filter(|q| q.0 == *unit).map(|q| q.1);
        let mut common = false;
        for n in in_a {
            common |= in_b.contains(&n);
        }
        if !common {
            return false;
        }
    }
    true
}

/// One product: every listing given to [`match_products`] is in exactly one.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub key: String,
    pub label: String,
    pub brand_id: Option<String>,
    pub basis: &'static str,
    /// Indices into the listings, ascending.
    pub members: Vec<usize>,
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] as usize != x {
            let up = self.0[self.0[x] as usize];
            self.0[x] = up;
            x = up as usize;
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            // The smaller index is the root: stable representatives.
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            self.0[hi] = lo as u32;
        }
    }
}

/// Per-listing facts for matching, worked out in parallel.
struct Facts<'c> {
    brand: Option<&'c Brand>,
    /// Who the listing says made it, for the spread test: the catalogue brand, else the brand
    /// field, else the title's first Latin word.
    maker: String,
    candidates: Vec<String>,
    gtin: Option<String>,
    words: Vec<String>,
    /// The title says the listing fits another product ("适用于", "compatible with" …).
    fits: bool,
}

/// Groups every listing into products (see the module docs). `brand_for(i)` gives the brand
/// listing `i` imitates, and the text it was written as, when the caller already knows it
/// (cheaply: the brand signal's variants); the brand a product is *of* is looked up once per
/// product of two or more listings, from its first listing's brand field or leading title
/// words ([`Catalogue::brand_of`] scans every protected name: too dear for a million).
pub fn match_products<'c>(
    catalogue: &'c Catalogue,
    listings: &[Listing],
    brand_for: impl Fn(usize) -> Option<(&'c Brand, String)> + Sync,
) -> Vec<Product> {
    let n = listings.len();
    let splitter = TitleWords::new(catalogue);
    let facts: Vec<Facts<'c>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let l = &listings[i];
            let brand = brand_for(i);
            let mut candidates = model_candidates(&l.title);
            for field in [l.model.as_deref(), l.mpn.as_deref()].into_iter().flatten() {
                let m = normalise_model(field);
                if m.len() >= 3 && !candidates.contains(&m) {
                    candidates.push(m);
                }
            }
            let gtin = l
                .gtin
                .as_deref()
                .map(|g| g.trim())
                .filter(|g| g.len() >= 8 && g.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string);
            let mut words = splitter.words(&l.title);
            if let Some((b, written)) = &brand {
                let names: Vec<String> = b.names().map(fold).chain([fold(written)]).collect();
                words.retain(|w| !names.contains(w));
            }
            let maker = match (&brand, l.brand.as_deref()) {
                (Some((b, _)), _) => b.id.clone(),
                (None, Some(f)) if !f.trim().is_empty() => fold(f).trim().to_string(),
                _ => maker_in_title(&l.title),
            };
            let folded = fold(&l.title);
            let fits = FITS_MARKERS
                .iter()
                .any(|m| find_word(&folded, m).next().is_some());
            Facts {
                fits,
                brand: brand.map(|(b, _)| b),
                maker,
                candidates,
                gtin,
                words,
            }
        })
        .collect();

    // 1. Which candidates name one product: how they spread over makers and other codes.
    let mut token_id: HashMap<&str, u32> = HashMap::new();
    let mut maker_id: HashMap<&str, u32> = HashMap::new();
    let mut cand_ids: Vec<Vec<u32>> = Vec::with_capacity(n);
    let mut makers: Vec<u32> = Vec::with_capacity(n);
    for f in &facts {
        let next = maker_id.len() as u32;
        makers.push(*maker_id.entry(f.maker.as_str()).or_insert(next));
        let mut ids = Vec::with_capacity(f.candidates.len());
        for c in &f.candidates {
            let next = token_id.len() as u32;
            ids.push(*token_id.entry(c.as_str()).or_insert(next));
        }
        cand_ids.push(ids);
    }
    let tokens = token_id.len();
    let mut count = vec![0u32; tokens];
    let mut by_maker: HashMap<(u32, u32), u32> = HashMap::new();
    let mut first_other: Vec<Option<Vec<u32>>> = vec![None; tokens];
    let mut others_seen: Vec<Vec<u32>> = vec![Vec::new(); tokens];
    let mut generic = vec![false; tokens];
    for (ids, &maker) in cand_ids.iter().zip(&makers) {
        for &t in ids {
            count[t as usize] += 1;
            *by_maker.entry((t, maker)).or_default() += 1;
            let others: Vec<u32> = ids.iter().copied().filter(|&o| o != t).collect();
            if others.is_empty() || generic[t as usize] {
                continue;
            }
            match &first_other[t as usize] {
                None => first_other[t as usize] = Some(others.clone()),
                Some(first) => {
                    if !others.iter().any(|o| first.contains(o)) {
                        generic[t as usize] = true; // beside two different codes
                    }
                }
            }
            let seen = &mut others_seen[t as usize];
            for o in others {
                if !seen.contains(&o) {
                    seen.push(o);
                }
            }
            if seen.len() >= 4 {
                generic[t as usize] = true;
            }
        }
    }
    let mut top_maker = vec![0u32; tokens];
    for (&(t, _), &c) in &by_maker {
        top_maker[t as usize] = top_maker[t as usize].max(c);
    }
    for t in 0..tokens {
        if 2 * top_maker[t] < count[t] {
            generic[t] = true; // spread over makers: a standard or a feature
        }
    }
    let names: Vec<&str> = {
        let mut names = vec![""; tokens];
        for (s, &id) in &token_id {
            names[id as usize] = s;
        }
        names
    };

    // The codes each listing is keyed by: the product-naming ones, the most specific in a title.
    let keys: Vec<Vec<u32>> = cand_ids
        .iter()
        .map(|ids| {
            let kept: Vec<u32> = ids
                .iter()
                .copied()
                .filter(|&t| !generic[t as usize])
                .collect();
            kept.iter()
                .copied()
                .filter(|&t| {
                    let name = names[t as usize];
                    !kept.iter().any(|&o| {
                        let other = names[o as usize];
                        o != t && other.len() > name.len() && other.starts_with(name)
                    })
                })
                .collect()
        })
        .collect();

    let mut uf = UnionFind((0..n as u32).collect());
    let mut first_with: HashMap<u32, usize> = HashMap::new();
    let mut first_gtin: HashMap<&str, usize> = HashMap::new();
    for i in 0..n {
        for &t in &keys[i] {
            match first_with.get(&t) {
                Some(&j) => uf.union(i, j),
                None => {
                    first_with.insert(t, i);
                }
            }
        }
        if let Some(g) = facts[i].gtin.as_deref() {
            match first_gtin.get(g) {
                Some(&j) => uf.union(i, j),
                None => {
                    first_gtin.insert(g, i);
                }
            }
        }
    }

    // 2. Titles for listings without a code or GTIN: rare-word blocking, weighted Jaccard.
    let mut word_id: HashMap<&str, u32> = HashMap::new();
    let mut word_ids: Vec<Vec<u32>> = Vec::with_capacity(n);
    for f in &facts {
        let ids = f
            .words
            .iter()
            .map(|w| {
                let next = word_id.len() as u32;
                *word_id.entry(w.as_str()).or_insert(next)
            })
            .collect();
        word_ids.push(ids);
    }
    let mut df = vec![0u32; word_id.len()];
    for ids in &word_ids {
        for &w in ids {
            df[w as usize] += 1;
        }
    }
    let idf: Vec<f64> = df
        .iter()
        .map(|&d| ((n as f64 + 1.0) / d as f64).ln())
        .collect();
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); word_id.len()];
    for (i, ids) in word_ids.iter().enumerate() {
        for &w in ids {
            if (df[w as usize] as usize) <= MAX_POSTING && df[w as usize] > 1 {
                postings[w as usize].push(i as u32);
            }
        }
    }
    let weight: Vec<f64> = word_ids
        .iter()
        .map(|ids| ids.iter().map(|&w| idf[w as usize]).sum())
        .collect();
    let links: Vec<(usize, usize)> = (0..n)
        .into_par_iter()
        .filter(|&i| keys[i].is_empty() && facts[i].gtin.is_none() && !word_ids[i].is_empty())
        .filter_map(|i| {
            let mut shared: HashMap<u32, f64> = HashMap::new();
            for &w in &word_ids[i] {
                for &j in &postings[w as usize] {
                    if j as usize != i {
                        *shared.entry(j).or_default() += idf[w as usize];
                    }
                }
            }
            if shared.is_empty() {
                return None;
            }
            let mut cands: Vec<(u32, f64)> = shared.into_iter().collect();
            cands.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            cands.truncate(MAX_CANDIDATES);
            let qi = quantities(&facts[i].words);
            let mut best: Option<(usize, f64)> = None;
            for (j, _) in cands {
                let j = j as usize;
                // A part that fits a product is not that product.
                if facts[i].fits != facts[j].fits {
                    continue;
                }
                // The full weighted Jaccard (common words counted too).
                let common: f64 = word_ids[i]
                    .iter()
                    .filter(|w| word_ids[j].contains(w))
                    .map(|&w| idf[w as usize])
                    .sum();
                let sim = common / (weight[i] + weight[j] - common).max(f64::EPSILON);
                if sim < MIN_TITLE_SIMILARITY
                    || !quantities_agree(&qi, &quantities(&facts[j].words))
                {
                    continue;
                }
                if best.is_none_or(|(_, s)| sim > s) {
                    best = Some((j, sim));
                }
            }
            best.map(|(j, _)| (i, j))
        })
        .collect();
    for (i, j) in links {
        uf.union(i, j);
    }

    // 3. The products, with keys and labels.
    let mut brand_names: HashMap<String, &'c Brand> = HashMap::new();
    for b in &catalogue.brands {
        for name in b.names() {
            brand_names.entry(fold(name)).or_insert(b);
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let root = uf.find(i);
        members.entry(root).or_default().push(i);
    }
    let mut roots: Vec<usize> = members.keys().copied().collect();
    roots.sort_unstable();
    let mut used_keys: HashMap<String, usize> = HashMap::new();
    let mut products = Vec::with_capacity(roots.len());
    for root in roots {
        let members = members.remove(&root).expect("root of its members");
        let mut code_count: HashMap<u32, usize> = HashMap::new();
        let mut brand_count: HashMap<&str, (usize, &'c Brand)> = HashMap::new();
        let mut gtin = None;
        for &i in &members {
            for &t in &keys[i] {
                *code_count.entry(t).or_default() += 1;
            }
            if let Some(b) = facts[i].brand {
                brand_count.entry(b.id.as_str()).or_insert((0, b)).0 += 1;
            }
            gtin = gtin.or(facts[i].gtin.as_deref());
        }
        let brand = brand_count
            .values()
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.id.cmp(&a.1.id)))
            .map(|(_, b)| *b)
            .or_else(|| {
                // The brand the first listing names: its brand field, else one of its first
                // two title words, when that is a protected name (a lone offer needs none).
                let first = members[0];
                (members.len() > 1)
                    .then(|| {
                        let field = listings[first].brand.as_deref().map(fold);
                        field
                            .iter()
                            .map(|f| f.trim())
                            .chain(facts[first].words.iter().take(2).map(String::as_str))
                            .find_map(|w| brand_names.get(w).copied())
                    })
                    .flatten()
            });
        let code = code_count
            .iter()
            .max_by(|a, b| {
                a.1.cmp(b.1)
                    .then(names[*b.0 as usize].cmp(names[*a.0 as usize]))
            })
            .map(|(&t, _)| names[t as usize]);
        let first = &listings[members[0]];
        let maker_label = brand
            .map(|b| b.display_name().to_string())
            .or_else(|| first.brand.clone().filter(|b| !b.trim().is_empty()));
        let (mut key, label, basis) = match (code, gtin) {
            (Some(code), _) => (
                format!("model:{code}"),
                match &maker_label {
                    Some(m) => format!("{m} {code}"),
                    None => code.to_string(),
                },
                "model",
            ),
            (None, Some(g)) => (format!("gtin:{g}"), format!("GTIN {g}"), "gtin"),
            (None, None) => {
                let words = facts[members[0]].words.join(" ");
                let label: String = first.title.chars().take(80).collect();
                (
                    format!("title:{words}"),
                    label,
                    if members.len() > 1 { "title" } else { "single" },
                )
            }
        };
        let seen = used_keys.entry(key.clone()).or_default();
        *seen += 1;
        if *seen > 1 {
            key = format!("{key}#{seen}");
        }
        products.push(Product {
            key,
            label,
            brand_id: brand.map(|b| b.id.clone()),
            basis,
            members,
        });
    }
    products
}

/// The priced offers of each product ([`match_products`]): every product with at least one
/// offer with a positive price, whatever its size (the price signal decides how much a group
/// of its size can say).
pub fn price_groups<'c>(
    catalogue: &'c Catalogue,
    listings: &[Listing],
    brand_for: impl Fn(usize) -> Option<(&'c Brand, String)> + Sync,
) -> Vec<PriceGroup> {
    let mut groups: Vec<PriceGroup> = match_products(catalogue, listings, brand_for)
        .into_iter()
        .filter_map(|p| {
            let members: Vec<usize> = p
                .members
                .into_iter()
                .filter(|&i| {
                    listings[i]
                        .price
                        .as_ref()
                        .is_some_and(|p| p.amount > qsword_listing::Decimal::ZERO)
                })
                .collect();
            let mut currencies: HashMap<Currency, usize> = HashMap::new();
            for &i in &members {
                let c = listings[i].price.as_ref().expect("priced").currency;
                *currencies.entry(c).or_default() += 1;
            }
            let currency = currencies
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.as_str().cmp(a.0.as_str())))?
                .0;
            Some(PriceGroup {
                key: p.key,
                label: p.label,
                brand_id: p.brand_id,
                currency,
                members,
                basis: p.basis,
            })
        })
        .collect();
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    groups
}

/// `text` with every whole-word occurrence of `word` (see [`find_word`]) replaced by a space.
fn remove_word(text: &str, word: &str) -> String {
    if word.is_empty() || !text.contains(word) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for at in find_word(text, word).collect::<Vec<_>>() {
        if at < last {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push(' ');
        last = at + word.len();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_candidates_skip_quantities_dimensions_and_counts() {
        assert_eq!(
            model_candidates("飞利浦 空气炸锅 4.1L 1400W HD9252/81"),
            vec!["HD925281"]
        );
        assert!(model_candidates("充电宝 20000mAh 快充").is_empty());
        assert!(model_candidates("Panasonic 2-Line Phone 1920x1080 4GB").is_empty());
        assert!(model_candidates("Nikon 55-200mm 3.5-5.6 lens").is_empty());
        assert_eq!(model_candidates("Garmin mount 010-10815"), vec!["01010815"]);
        assert_eq!(
            model_candidates("Sony Vgn-CS180J/R Notebook VGNCS180J/R"),
            vec!["VGNCS180JR"]
        );
        assert_eq!(normalise_model("hd-9252"), "HD9252");
        assert!(model_candidates("适用于曼牌 机油滤芯 W712/95 替换件").is_empty());
        assert_eq!(
            model_candidates("Speck case for iPod SPK100"),
            vec!["SPK100"]
        );
    }

    fn priced(url: &str, title: &str, brand: &str) -> Listing {
        let mut l = Listing::new(url, title);
        l.brand = Some(brand.into());
        l.price = Some(qsword_listing::Price::new("299.00", "CNY").unwrap());
        l
    }

    #[test]
    fn a_code_many_makers_use_names_no_product_and_a_family_code_names_none() {
        let c = Catalogue::embedded();
        let listings = vec![
            priced("a", "Acme USB3.0 hub AC100X", "Acme"),
            priced("b", "Bolt USB3.0 cable BX22", "Bolt"),
            priced("c", "Core USB3.0 card reader CR9", "Core"),
            priced("d", "Zeta DVP-FX820 red DVPFX820R", "Zeta"),
            priced("e", "Zeta DVP-FX820 pink DVPFX820P", "Zeta"),
            priced("f", "Zeta pink portable DVPFX820P", "Zeta"),
        ];
        let products = match_products(&c, &listings, |_| None);
        let of = |i: usize| products.iter().position(|p| p.members.contains(&i));
        assert_ne!(of(0), of(1), "USB3.0 spreads over makers: {products:?}");
        assert_ne!(of(1), of(2));
        assert_ne!(of(3), of(4), "DVP-FX820 is a family");
        assert_eq!(of(4), of(5), "DVPFX820P is one product");
    }

    #[test]
    fn titles_without_codes_meet_when_their_rare_words_and_quantities_agree() {
        let c = Catalogue::embedded();
        let listings = vec![
            priced("a", "Kingdom Hearts II Retail Box", "Square"),
            priced("b", "Kingdom Hearts II with warranty", "Square"),
            priced("c", "Cruzer Blade flash drive 4 GB", "SanDisk"),
            priced("d", "Cruzer Blade flash drive 8GB", "SanDisk"),
            priced("e", "Cruzer Blade flash drive 4GB black", "SanDisk"),
        ];
        let products = match_products(&c, &listings, |_| None);
        let of = |i: usize| products.iter().position(|p| p.members.contains(&i));
        assert_eq!(of(0), of(1), "{products:?}");
        assert_ne!(of(2), of(3), "4 GB is not 8 GB");
        assert_eq!(of(2), of(4));
    }

    #[test]
    fn offers_of_one_product_share_a_group_whatever_the_wording_and_currency() {
        let c = Catalogue::embedded();
        let philips = c.brand("philips").unwrap();
        let mut listings = vec![
            Listing::new("a", "飞利浦 空气炸锅 HD9252 包邮"),
            Listing::new("b", "【正品】Philips air fryer hd-9252"),
            Listing::new("c", "飞利浦 空气炸锅 HD9252"),
            Listing::new("d", "空气炸锅 家用 大容量"),
        ];
        for l in &mut listings {
            l.price = Some(qsword_listing::Price::new("299.00", "CNY").unwrap());
        }
        listings[2].price = Some(qsword_listing::Price::new("39.00", "USD").unwrap());
        let groups = price_groups(&c, &listings, |i| {
            (i < 3).then(|| (philips, "飞利浦".to_string()))
        });
        let key_of = |i: usize| {
            groups
                .iter()
                .find(|g| g.members.contains(&i))
                .unwrap()
                .key
                .clone()
        };
        assert_eq!(key_of(0), "model:HD9252");
        assert_eq!(key_of(1), key_of(0));
        assert_eq!(key_of(2), key_of(0), "other currencies are converted");
        let g = groups.iter().find(|g| g.key == "model:HD9252").unwrap();
        assert_eq!(
            (g.currency, g.label.as_str()),
            (Currency::CNY, "Philips HD9252")
        );
        assert!(key_of(3).starts_with("title:"), "{}", key_of(3));
    }
}
