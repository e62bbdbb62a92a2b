//! The catalogues the detector and the operator share: protected [`Brand`]s, product
//! [`Category`]s with the marks they require, mark number rules ([`MarkRule`]) and cue words
//! ([`Cue`]). They live as TOML in `seeds/` (`brands.toml`, `categories.toml`, `marks.toml`,
//! `cues.toml`); this module parses them from strings the caller has read, so it does no file
//! I/O itself, and [`Catalogue::embedded`] carries the seeds compiled in so the binary runs with
//! defaults anywhere.
//!
//! ```
//! use qsword_listing::{catalogue::Catalogue, Listing};
//! let catalogue = Catalogue::embedded();
//! let listing = Listing::new("https://shop.example/1", "ＰＨＩＬＩＰＳ 空气炸锅 HD9252");
//! assert_eq!(catalogue.brand_of(&listing).unwrap().id, "philips");
//! assert_eq!(catalogue.categorize(&listing).unwrap().slug, "household-appliances");
//! // A replacement part "for" a brand is not that brand.
//! let filter = Listing::new("https://shop.example/2", "适用于曼牌 机油滤芯 W712");
//! assert!(catalogue.brand_of(&filter).is_none());
//! ```

use crate::Listing;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashSet;
use toml::Spanned;

/// A brand whose name counterfeiters borrow.
#[derive(Debug, Clone, PartialEq)]
pub struct Brand {
    /// Stable lower-case id, e.g. `philips`.
    pub id: String,
    pub names_zh: Vec<String>,
    pub names_en: Vec<String>,
    /// Other spellings seen on genuine listings.
    pub aliases: Vec<String>,
    /// Seller names of the brand's own stores.
    pub official_stores: Vec<String>,
    /// Category slugs the brand sells in.
    pub categories: Vec<String>,
    /// Everyday words that contain a name of the brand without meaning it (完美的 holds 美的).
    pub not_in_words: Vec<String>,
}

impl Brand {
    /// Every name the brand goes by: Chinese, English and aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names_zh
            .iter()
            .chain(&self.names_en)
            .chain(&self.aliases)
            .map(String::as_str)
    }

    /// The name to show investigators: English if there is one, else Chinese.
    pub fn display_name(&self) -> &str {
        self.names_en
            .first()
            .or(self.names_zh.first())
            .map_or(self.id.as_str(), |s| s)
    }

    /// Whether `seller_name` is one of the brand's own stores: listed in `official_stores`, or
    /// a "…官方旗舰店" / "… official store" that carries one of the brand's names.
    pub fn is_official_store(&self, seller_name: &str) -> bool {
        let seller = fold(seller_name);
        if self
            .official_stores
            .iter()
            .any(|s| fold_cow(s) == seller.as_str())
        {
            return true;
        }
        let official = seller.contains("官方旗舰店") || seller.contains("official store");
        official && self.names().any(|n| seller.contains(fold_cow(n).as_ref()))
    }
}

/// A product category of the enforcement campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// qsword's slug, as in [`Listing::category`], e.g. `household-appliances`.
    pub slug: String,
    pub name_zh: String,
    /// Chinese and English words that put a listing in this category.
    pub keywords: Vec<String>,
    /// Mark schemes (see [`MarkRule::scheme`]) a listing in this category must carry.
    pub requires: Vec<String>,
    /// CCC catalogue product codes (4 digits) valid for this category; empty = not checked.
    pub ccc_product_codes: Vec<String>,
    /// Where the `requires` rule comes from.
    pub source: String,
    /// Whether `requires` was checked against its primary source.
    pub verified: bool,
}

impl Category {
    /// Whether listings in this category must show a mark of `scheme`.
    pub fn requires(&self, scheme: &str) -> bool {
        self.requires.iter().any(|s| s.eq_ignore_ascii_case(scheme))
    }
}

/// A word that sellers of fakes use (高仿, replica, …) and how much it counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub word: String,
    /// 0–1: the score of a flag raised by this word alone.
    pub weight: f64,
}

/// How a well-formed number of a mark scheme looks.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkRule {
    /// `CCC`, `XK`, `FCC`, `CE`, … as in [`crate::Mark::scheme`].
    pub scheme: String,
    /// A regular expression (Rust `regex` syntax) the whole number must match.
    pub pattern: String,
    pub description: String,
    pub source: String,
    pub verified: bool,
}

/// All four catalogues.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalogue {
    pub brands: Vec<Brand>,
    pub categories: Vec<Category>,
    pub cues: Vec<Cue>,
    pub marks: Vec<MarkRule>,
}

/// A catalogue file that cannot be used, with the place to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {message}")]
pub struct CatalogueError {
    /// The name the caller gave the text, usually its path (`seeds/brands.toml`).
    pub source_name: String,
    /// 1-based line, 0 when the problem has no single place.
    pub line: usize,
    pub message: String,
}

/// Where a brand's name occurs in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandMention<'a> {
    pub brand: &'a Brand,
    /// The name as written in the catalogue.
    pub name: &'a str,
    /// Byte offset in the *folded* text (see [`fold`]).
    pub start: usize,
    /// The name follows 适用于 / compatible with / for …: an accessory, not the brand's product.
    pub compatible: bool,
}

const SEEDS_BRANDS: &str = include_str!("../../seeds/brands.toml");
const SEEDS_CATEGORIES: &str = include_str!("../../seeds/categories.toml");
const SEEDS_MARKS: &str = include_str!("../../seeds/marks.toml");
const SEEDS_CUES: &str = include_str!("../../seeds/cues.toml");

/// The catalogue files as built in, in the argument order of [`Catalogue::from_toml_strs`]:
/// (file name in `seeds/`, text). A seeds folder read at run time falls back on these.
pub const EMBEDDED_SEEDS: [(&str, &str); 4] = [
    ("brands.toml", SEEDS_BRANDS),
    ("categories.toml", SEEDS_CATEGORIES),
    ("marks.toml", SEEDS_MARKS),
    ("cues.toml", SEEDS_CUES),
];

/// Words that announce a compatible part rather than the brand's own product. Matched on folded
/// text, so full-width forms are covered.
const COMPATIBLE_MARKERS: &[&str] = &[
    "适用于",
    "适用",
    "适配",
    "兼容",
    "配套",
    "替代",
    "代替",
    "替换",
    "compatible with",
    "replacement for",
    "replaces",
    "fits",
    "for",
];

/// How far (in characters) between the end of a compatibility marker and a brand name it still
/// applies to:
/// "适用于曼牌" and "适用于 大众 曼牌同款" both, a marker a whole clause earlier does not.
const COMPATIBLE_REACH: usize = 12;

impl Catalogue {
    /// Parses the four catalogues. Each argument is `(source name, TOML text)`; the name (a path,
    /// usually) is what errors quote, with the line at fault.
    pub fn from_toml_strs(
        brands: (&str, &str),
        categories: (&str, &str),
        marks: (&str, &str),
        cues: (&str, &str),
    ) -> Result<Catalogue, CatalogueError> {
        let categories_file: CategoriesFile = parse(categories)?;
        let brands_file: BrandsFile = parse(brands)?;
        let marks_file: MarksFile = parse(marks)?;
        let cues_file: CuesFile = parse(cues)?;

        let mut slugs = HashSet::new();
        let mut catalogue = Catalogue::default();
        for c in categories_file.category {
            let at = |span: std::ops::Range<usize>, message: String| {
                error_at(categories, span.start, message)
            };
            if c.slug.get_ref().trim().is_empty() {
                return Err(at(c.slug.span(), "category `slug` is empty".into()));
            }
            if !slugs.insert(c.slug.get_ref().clone()) {
                return Err(at(
                    c.slug.span(),
                    format!("category `{}` is defined twice", c.slug.get_ref()),
                ));
            }
            for code in &c.ccc_product_codes {
                let ok =
                    code.get_ref().len() == 4 && code.get_ref().bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(at(
                        code.span(),
                        format!(
                            "CCC product code {:?} must be 4 digits, e.g. \"0701\"",
                            code.get_ref()
                        ),
                    ));
                }
            }
            catalogue.categories.push(Category {
                slug: c.slug.into_inner(),
                name_zh: c.name_zh,
                keywords: c.keywords,
                requires: c.requires,
                ccc_product_codes: c
                    .ccc_product_codes
                    .into_iter()
                    .map(Spanned::into_inner)
                    .collect(),
                source: c.source,
                verified: c.verified,
            });
        }

        let mut ids = HashSet::new();
        for b in brands_file.brand {
            let at = |span: std::ops::Range<usize>, message: String| {
                error_at(brands, span.start, message)
            };
            let id = b.id.get_ref();
            if id.trim().is_empty() {
                return Err(at(b.id.span(), "brand `id` is empty".into()));
            }
            if !ids.insert(id.clone()) {
                return Err(at(b.id.span(), format!("brand `{id}` is defined twice")));
            }
            if b.names_zh.is_empty() && b.names_en.is_empty() {
                return Err(at(
                    b.id.span(),
                    format!("brand `{id}` has neither `names_zh` nor `names_en`"),
                ));
            }
            for slug in &b.categories {
                if !slugs.contains(slug.get_ref()) {
                    return Err(at(
                        slug.span(),
                        format!(
                            "brand `{id}`: category `{}` is not defined in {}",
                            slug.get_ref(),
                            categories.0
                        ),
                    ));
                }
            }
            catalogue.brands.push(Brand {
                id: b.id.into_inner(),
                names_zh: b.names_zh,
                names_en: b.names_en,
                aliases: b.aliases,
                official_stores: b.official_stores,
                categories: b.categories.into_iter().map(Spanned::into_inner).collect(),
                not_in_words: b.not_in_words,
            });
        }

        for m in marks_file.mark {
            if m.scheme.get_ref().trim().is_empty() {
                return Err(error_at(
                    marks,
                    m.scheme.span().start,
                    "mark `scheme` is empty".into(),
                ));
            }
            catalogue.marks.push(MarkRule {
                scheme: m.scheme.into_inner(),
                pattern: m.pattern,
                description: m.description,
                source: m.source,
                verified: m.verified,
            });
        }

        for c in cues_file.cue {
            let weight = *c.weight.get_ref();
            if !(0.0..=1.0).contains(&weight) {
                return Err(error_at(
                    cues,
                    c.weight.span().start,
                    format!("cue {:?}: weight {weight} must be between 0 and 1", c.word),
                ));
            }
            if c.word.trim().is_empty() {
                return Err(error_at(
                    cues,
                    c.weight.span().start,
                    "cue `word` is empty".into(),
                ));
            }
            catalogue.cues.push(Cue {
                word: c.word,
                weight,
            });
        }
        Ok(catalogue)
    }

    /// The catalogues from `seeds/` as they were when the binary was built.
    pub fn embedded() -> Catalogue {
        Catalogue::from_toml_strs(
            ("seeds/brands.toml", SEEDS_BRANDS),
            ("seeds/categories.toml", SEEDS_CATEGORIES),
            ("seeds/marks.toml", SEEDS_MARKS),
            ("seeds/cues.toml", SEEDS_CUES),
        )
        .expect("the seeds compiled into qsword are valid (checked by the catalogue tests)")
    }

    pub fn brand(&self, id: &str) -> Option<&Brand> {
        self.brands.iter().find(|b| b.id == id)
    }

    pub fn category(&self, slug: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    /// The rule for numbers of `scheme`, if the catalogue has one.
    pub fn mark_rule(&self, scheme: &str) -> Option<&MarkRule> {
        self.marks
            .iter()
            .find(|m| m.scheme.eq_ignore_ascii_case(scheme))
    }

    /// The listing's category: its own slug when the catalogue knows it, else the category with
    /// the longest keyword found in the shop's breadcrumb, else in the title.
    pub fn categorize(&self, listing: &Listing) -> Option<&Category> {
        if let Some(c) = listing
            .category
            .as_deref()
            .and_then(|slug| self.category(slug))
        {
            return Some(c);
        }
        let path = fold(&listing.category_path.join(" "));
        self.category_by_keywords(&path)
            .or_else(|| self.category_by_keywords(&fold(&listing.title)))
    }

    fn category_by_keywords(&self, folded: &str) -> Option<&Category> {
        let mut best: Option<(&Category, usize)> = None;
        for c in &self.categories {
            for k in &c.keywords {
                let k = fold_cow(k);
                let len = k.chars().count();
                if best.is_some_and(|(_, l)| l >= len) {
                    continue;
                }
                if find_word(folded, &k).any(|at| {
                    !names_an_accessory(&folded[at + k.len()..])
                        && !follows_compatibility_marker(folded, at)
                }) {
                    best = Some((c, len));
                }
            }
        }
        best.map(|(c, _)| c)
    }

    /// The protected brand the listing is *of*: its `brand` field when that is exactly a name or
    /// alias (case- and width-insensitive), else the first brand named in the title that is not a
    /// compatibility mention ("适用于曼牌"). Look-alike names are not matched here; that is the
    /// detector's brand signal.
    pub fn brand_of(&self, listing: &Listing) -> Option<&Brand> {
        if let Some(field) = listing.brand.as_deref() {
            let field = fold(field);
            let field = field.trim();
            let exact = |b: &&Brand| {
                b.names().any(|n| {
                    let n = fold_cow(n);
                    // "PHILIPS/飞利浦", "飞利浦 Philips": any part naming the brand counts.
                    field == n
                        || field
                            .split(['/', ' ', '|', '(', ')', '（', '）'])
                            .any(|part| part == n)
                })
            };
            if let Some(b) = self.brands.iter().find(exact) {
                return Some(b);
            }
        }
        self.brand_mentions(&listing.title)
            .into_iter()
            .find(|m| !m.compatible)
            .map(|m| m.brand)
    }

    /// Every occurrence of a protected brand's name in `text`, in order of position. Latin names
    /// match whole words only; occurrences inside a brand's `not_in_words` are skipped; when two
    /// names overlap (MANN inside MANN-FILTER) the longer is kept.
    pub fn brand_mentions(&self, text: &str) -> Vec<BrandMention<'_>> {
        let folded = fold(text);
        let mut found: Vec<(BrandMention<'_>, usize)> = Vec::new();
        for brand in &self.brands {
            let everyday: Vec<Cow<'_, str>> =
                brand.not_in_words.iter().map(|w| fold_cow(w)).collect();
            for name in brand.names() {
                let needle = fold_cow(name);
                if needle.is_empty() {
                    continue;
                }
                for start in find_word(&folded, &needle) {
                    let end = start + needle.len();
                    let inside_everyday_word = everyday.iter().any(|w| {
                        find_word(&folded, w).any(|ws| ws <= start && end <= ws + w.len())
                    });
                    if inside_everyday_word {
                        continue;
                    }
                    let compatible = follows_compatibility_marker(&folded, start);
                    found.push((
                        BrandMention {
                            brand,
                            name,
                            start,
                            compatible,
                        },
                        end,
                    ));
                }
            }
        }
        found.sort_by_key(|(m, end)| (m.start, std::cmp::Reverse(*end)));
        let mut kept: Vec<BrandMention<'_>> = Vec::new();
        let mut covered_to = 0;
        for (m, end) in found {
            if m.start < covered_to {
                continue;
            }
            covered_to = end;
            kept.push(m);
        }
        kept
    }
}

pub use crate::text::fold;

/// [`fold`] without allocating when nothing changes, as for most catalogue words (lower-case
/// Latin, Chinese): matching folds every keyword of every category for every listing.
fn fold_cow(s: &str) -> Cow<'_, str> {
    let changes =
        |c: char| c.is_uppercase() || ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}';
    if s.chars().any(changes) {
        Cow::Owned(fold(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// Head nouns that, right after a product word, make the thing an accessory of the product
/// (手机壳 is a phone case, "TV stand" a stand): Chinese compounds are head-final, and English
/// product words used as modifiers are followed by the head. Accessories are not the product
/// and need none of its marks.
const ACCESSORY_HEADS: &[&str] = &[
    "壳",
    "膜",
    "套",
    "包",
    "袋",
    "支架",
    "架",
    "座",
    "贴",
    "绳",
    "链",
    "挂",
    "柜",
    "罩",
    "配件",
    "墨盒",
    "硒鼓",
    "色带",
    "墨水",
    "纸",
    "遥控器",
    "case",
    "cases",
    "cover",
    "covers",
    "bag",
    "bags",
    "holder",
    "mount",
    "mounts",
    "stand",
    "stands",
    "strap",
    "skin",
    "skins",
    "sleeve",
    "screen protector",
    "protector",
    "cabinet",
    "ink",
    "toner",
    "cartridge",
    "remote",
    "accessory",
    "accessories",
    "decal",
    "sticker",
];

/// Whether the text right after a product word (folded, at most two spaces between) starts
/// with an accessory head noun.
fn names_an_accessory(after: &str) -> bool {
    let after = after.trim_start_matches([' ', '-']);
    if after.starts_with("包邮") {
        return false; // "free shipping", not a bag
    }
    ACCESSORY_HEADS
        .iter()
        .any(|h| find_word(after, h).next() == Some(0))
}

/// Whether a word of Latin letters or digits is cut: an ASCII alphanumeric on either side.
fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Byte offsets of `needle` in `hay`; a needle that starts/ends with a Latin letter or digit
/// must not continue a word there (`toy` is not in `toyota`), CJK needles match anywhere.
pub fn find_word<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let first_latin = needle
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let last_latin = needle
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    hay.match_indices(needle).map(|(i, _)| i).filter(move |&i| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        let cuts_word =
            (first_latin && is_word_char(before)) || (last_latin && is_word_char(after));
        !cuts_word
    })
}

/// Whether the name at byte `start` of folded `text` is announced as a compatible part.
pub fn follows_compatibility_marker(folded: &str, start: usize) -> bool {
    follows_marker(folded, start, COMPATIBLE_MARKERS, COMPATIBLE_REACH)
}

/// Whether one of `markers` (whole words, folded) ends at most `reach` characters before byte
/// `start` of folded `text`.
pub fn follows_marker(folded: &str, start: usize, markers: &[&str], reach: usize) -> bool {
    let before = &folded[..start];
    markers
        .iter()
        .any(|m| find_word(before, m).any(|at| before[at + m.len()..].chars().count() <= reach))
}

// ---- the TOML shapes, with spans for error messages ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrandsFile {
    #[serde(default)]
    brand: Vec<RawBrand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBrand {
    id: Spanned<String>,
    #[serde(default)]
    names_zh: Vec<String>,
    #[serde(default)]
    names_en: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    official_stores: Vec<String>,
    #[serde(default)]
    categories: Vec<Spanned<String>>,
    #[serde(default)]
    not_in_words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    #[serde(default)]
    category: Vec<RawCategory>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    slug: Spanned<String>,
    name_zh: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    ccc_product_codes: Vec<Spanned<String>>,
    source: String,
    verified: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarksFile {
    #[serde(default)]
    mark: Vec<RawMark>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMark {
    scheme: Spanned<String>,
    pattern: String,
    description: String,
    source: String,
    verified: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CuesFile {
    #[serde(default)]
    cue: Vec<RawCue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCue {
    word: String,
    weight: Spanned<f64>,
}

fn parse<T: serde::de::DeserializeOwned>((name, text): (&str, &str)) -> Result<T, CatalogueError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        CatalogueError {
            source_name: name.to_string(),
            line,
            message: e.message().to_string(),
        }
    })
}

fn error_at((name, text): (&str, &str), offset: usize, message: String) -> CatalogueError {
    CatalogueError {
        source_name: name.to_string(),
        line: line_of(text, offset),
        message,
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_parse_and_hold_the_campaign_brands_and_categories() {
        let c = Catalogue::embedded();
        for id in [
            "philips",
            "bull",
            "chint",
            "mann-filter",
            "lego",
            "goodbaby",
            "stanley",
            "castrol",
            "sprite",
        ] {
            assert!(
                c.brand(id).is_some(),
                "brand {id} missing from seeds/brands.toml"
            );
        }
        let requires_ccc = |slug: &str| c.category(slug).unwrap().requires("CCC");
        for slug in [
            "childrens-products",
            "toys",
            "household-appliances",
            "wire-cable",
            "switches-sockets",
            "chargers-power-banks",
        ] {
            assert!(requires_ccc(slug), "{slug} should require CCC");
        }
        for slug in [
            "fertilizers",
            "steel",
            "auto-filters",
            "lubricants-fuel",
            "agri-machinery-parts",
        ] {
            assert!(
                !requires_ccc(slug),
                "{slug} must not require CCC: no rule applies"
            );
        }
        assert!(c.mark_rule("ccc").unwrap().verified);
        assert!(!c.mark_rule("XK").unwrap().verified);
        assert!(c.cues.iter().any(|q| q.word == "高仿"));
    }

    #[test]
    fn errors_name_the_source_and_line() {
        let seeds = ("seeds/categories.toml", SEEDS_CATEGORIES);
        let bad_brands = "[[brand]]\nid = \"x\"\nnames_en = [\"X\"]\ncolour = \"red\"\n";
        let e =
            Catalogue::from_toml_strs(("my/brands.toml", bad_brands), seeds, ("m", ""), ("c", ""))
                .unwrap_err();
        assert_eq!(
            (e.source_name.as_str(), e.line),
            ("my/brands.toml", 4),
            "{e}"
        );
        assert!(e.message.contains("colour"), "{e}");

        let unknown_category =
            "[[brand]]\nid = \"x\"\nnames_en = [\"X\"]\n\ncategories = [\"tyres\"]\n";
        let e =
            Catalogue::from_toml_strs(("b.toml", unknown_category), seeds, ("m", ""), ("c", ""))
                .unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(
            e.to_string()
                .starts_with("b.toml:5: brand `x`: category `tyres`"),
            "{e}"
        );

        let bad_weight = "[[cue]]\nword = \"高仿\"\nweight = 9.0\n";
        let e = Catalogue::from_toml_strs(("b", ""), seeds, ("m", ""), ("cues.toml", bad_weight))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cues.toml:3: cue \"高仿\": weight 9 must be between 0 and 1"
        );
    }

    #[test]
    fn brand_of_matches_names_case_and_width_insensitively_but_not_accessories() {
        let c = Catalogue::embedded();
        let of = |title: &str, brand: Option<&str>| {
            let mut l = Listing::new("u", title);
            l.brand = brand.map(str::to_string);
            c.brand_of(&l).map(|b| b.id.clone())
        };
        assert_eq!(of("空气炸锅", Some("PHILIPS")).as_deref(), Some("philips"));
        assert_eq!(
            of("空气炸锅", Some("ｐｈｉｌｉｐｓ/飞利浦")).as_deref(),
            Some("philips")
        );
        assert_eq!(of("公牛 插座 GN-H3030", None).as_deref(), Some("bull"));
        assert_eq!(
            of("MANN-FILTER W712 机油滤芯", None).as_deref(),
            Some("mann-filter")
        );
        assert_eq!(of("适用于曼牌 机油滤芯", None), None);
        assert_eq!(of("Oil filter compatible with BOSCH", None), None);
        // Latin names are whole words; a look-alike is not the brand.
        assert_eq!(of("Bulldog toy", None), None);
        assert_eq!(of("公午 插座", None), None);
        assert_eq!(
            of("完美的礼物 保温杯", None),
            None,
            "完美的 is 'perfect', not 美的"
        );
        assert_eq!(of("美的电饭煲", None).as_deref(), Some("midea"));
    }

    #[test]
    fn categorize_prefers_the_slug_then_the_breadcrumb_then_the_title() {
        let c = Catalogue::embedded();
        let mut l = Listing::new("u", "公牛 插座 新国标");
        assert_eq!(c.categorize(&l).unwrap().slug, "switches-sockets");
        l.category_path = vec!["家用电器".into(), "厨房电器".into()];
        assert_eq!(c.categorize(&l).unwrap().slug, "household-appliances");
        l.category = Some("toys".into());
        assert_eq!(c.categorize(&l).unwrap().slug, "toys");
        assert!(c
            .categorize(&Listing::new("u", "Toyota floor mats"))
            .is_none());
    }
}
