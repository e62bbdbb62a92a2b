//! The brand-variant signal: a title or brand field that imitates a brand's name without
//! being it — ＰＨＩＬＩＰＳ in full-width letters, Phi1ips/PhiIips/Ѕony (look-alikes), Phi-lips,
//! Philipps (one or two letters off), 公午 for 公牛 (near-form characters), 农夫三泉 for 农夫山泉
//! (near-homophones), 周住牌 for 雕牌 (a character split in two).
//!
//! [`BrandMatcher::finding_in`] takes the strongest of three matchers:
//! - Latin script ([`crate::latin`]): evasions that need no lexicon (mixed scripts per UTS #39,
//!   full width, invisible characters, digits for letters) and imitations judged against the
//!   [`BrandLexicon`] learnt from the batch — the brands the market actually sells, not only
//!   the catalogue's — plus the catalogue's protected brands (`seeds/brands.toml`);
//! - Chinese names ([`crate::hanzi`]: near forms, pinyin near-homophones, split and inserted
//!   characters), against the catalogue;
//! - multi-word Latin names of the catalogue by Jaro-Winkler on the run of words (New Barlun),
//!   each word bent, none replaced.
//!
//! Guards against the big false-positive sources: a name announced as compatibility ("适用于曼牌",
//! "filter for BOSCH") is an accessory, not a variant (evasions still count after it); a real
//! brand — in the catalogue, or established in the batch by independent sellers — is never a
//! variant of another; each brand's `not_in_words` ("super" for SUPOR) and the batch's ordinary
//! words (converter, China) are left alone; Latin names of four letters or fewer (YTO, BULL,
//! Nike) only match by look-alikes or a swap of neighbours, except in a brand field.
//! [`BrandMatcher::variant_in`] judges one listing alone, against the catalogue only.

use crate::assessment::{round3, Flag, Signal};
use crate::hanzi::{HanziImitation, HanziMatcher, Likeness};
use crate::latin::{latin_variant, LatinVariant};
use crate::lexicon::BrandLexicon;
use qsword_listing::catalogue::{fold, follows_compatibility_marker, Brand, Catalogue};
use qsword_listing::text::is_han;
use qsword_listing::Listing;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// How a written name imitates a brand's.
#[derive(Debug, Clone, PartialEq)]
pub enum VariantKind {
    /// The brand's own Latin name typed in full-width letters (ＰＨＩＬＩＰＳ), which dodges
    /// plain-text brand filters.
    FullWidth,
    /// Characters that look alike: 1/l/I, 0/O, rn/m, Cyrillic letters, hyphens inserted.
    Homoglyph,
    /// Letters added, dropped, changed or swapped (optimal string alignment distance).
    Misspelling { distance: usize },
    /// A multi-word name with its words bent (New Barlun): same first word, Jaro-Winkler
    /// similarity of the whole.
    Bent { similarity: f64 },
    /// Chinese characters swapped for look-alikes or sound-alikes.
    NearForm { swaps: Vec<(char, char, Likeness)> },
    /// A Chinese character written as two (周住 for 雕).
    Split { written: String, genuine: char },
    /// One Chinese character slipped into the name (六个土核桃).
    Inserted(char),
    /// A Latin-script variant found by [`crate::latin`] (evasion or learnt-lexicon imitation),
    /// with its score (brand-field bonus included), label and description.
    Latin {
        label: &'static str,
        description: String,
        score: f64,
    },
}

impl VariantKind {
    fn score(&self) -> f64 {
        match self {
            VariantKind::Homoglyph => 0.85,
            VariantKind::NearForm { swaps } if swaps.iter().all(|s| s.2 == Likeness::Shape) => 0.8,
            VariantKind::NearForm { .. } | VariantKind::Split { .. } => 0.75,
            VariantKind::Misspelling { distance: 1 } => 0.7,
            VariantKind::Inserted(_) => 0.7,
            VariantKind::Misspelling { .. } | VariantKind::Bent { .. } => 0.55,
            VariantKind::FullWidth => 0.5,
            VariantKind::Latin { score, .. } => *score,
        }
    }

    fn describe(&self) -> String {
        match self {
            VariantKind::FullWidth => "the name in full-width letters".into(),
            VariantKind::Homoglyph => "look-alike characters".into(),
            VariantKind::Misspelling { distance: 1 } => "one letter off".into(),
            VariantKind::Misspelling { distance } => format!("{distance} letters off"),
            VariantKind::Bent { similarity } => {
                format!("the words bent (similarity {similarity:.2})")
            }
            VariantKind::NearForm { swaps } => swaps
                .iter()
                .map(|(w, g, how)| {
                    let how = match how {
                        Likeness::Sound => "sounds like",
                        _ => "looks like",
                    };
                    format!("{w} in place of {g} ({how} it)")
                })
                .collect::<Vec<_>>()
                .join(", "),
            VariantKind::Split { written, genuine } => {
                format!("{genuine} written as {written}")
            }
            VariantKind::Inserted(c) => format!("{c} slipped into the name"),
            VariantKind::Latin { description, .. } => description.clone(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            VariantKind::FullWidth => "full-width",
            VariantKind::Homoglyph => "homoglyph",
            VariantKind::Misspelling { .. } => "misspelling",
            VariantKind::Bent { .. } => "bent-words",
            VariantKind::NearForm { swaps } if swaps.iter().any(|s| s.2 == Likeness::Sound) => {
                "near-homophone"
            }
            VariantKind::NearForm { .. } => "near-form",
            VariantKind::Split { .. } => "split-character",
            VariantKind::Inserted(_) => "inserted-character",
            VariantKind::Latin { label, .. } => label,
        }
    }
}

/// A name in a listing that imitates a protected brand.
#[derive(Debug, Clone, PartialEq)]
pub struct BrandVariant {
    /// Index of the imitated brand in [`Catalogue::brands`].
    pub brand: usize,
    /// The imitating text as written.
    pub written: String,
    /// The genuine name it imitates.
    pub genuine: String,
    pub kind: VariantKind,
    /// `title` or `brand`: where it was written.
    pub field: &'static str,
}

impl BrandVariant {
    pub fn score(&self) -> f64 {
        if let VariantKind::Latin { score, .. } = self.kind {
            return score;
        }
        // A brand field is a deliberate claim, a title may just be keyword soup.
        let bonus = if self.field == "brand" { 0.1 } else { 0.0 };
        round3((self.kind.score() + bonus).min(0.95))
    }
}

/// A Latin name of several words (New Balance), matched against runs of as many words.
#[derive(Debug, Clone)]
struct LatinPhrase {
    brand: usize,
    name: String,
    first_word: String,
    words: usize,
    bare: String,
}

/// Jaro-Winkler similarity from which bent multi-word names count (New Barlun ~ New Balance).
const BENT_SIMILARITY: f64 = 0.88;
/// Jaro-Winkler similarity each bent word keeps to the word it bends.
const BENT_WORD_SIMILARITY: f64 = 0.75;

/// What the brand signal found in a listing: a variant of a protected brand (Chinese, a bent
/// multi-word name, or a Latin one), or a Latin-script variant of a brand only the market's
/// lexicon knows.
#[derive(Debug, Clone, PartialEq)]
pub enum BrandFinding {
    Protected(BrandVariant),
    Learnt(LatinVariant),
}

impl BrandFinding {
    pub fn score(&self) -> f64 {
        match self {
            BrandFinding::Protected(v) => v.score(),
            BrandFinding::Learnt(v) => v.score,
        }
    }

    /// The protected brand (index into [`Catalogue::brands`]) it imitates, if any.
    pub fn protected(&self) -> Option<usize> {
        match self {
            BrandFinding::Protected(v) => Some(v.brand),
            BrandFinding::Learnt(_) => None,
        }
    }

    pub fn written(&self) -> &str {
        match self {
            BrandFinding::Protected(v) => &v.written,
            BrandFinding::Learnt(v) => &v.written,
        }
    }

    /// The variant of a protected brand, if that is what it is.
    pub fn variant(&self) -> Option<&BrandVariant> {
        match self {
            BrandFinding::Protected(v) => Some(v),
            BrandFinding::Learnt(_) => None,
        }
    }
}

/// The protected names prepared for matching.
#[derive(Debug, Clone)]
pub struct BrandMatcher {
    phrases: Vec<LatinPhrase>,
    chinese: Vec<usize>,
    hanzi: HanziMatcher,
    /// Every real name, folded, also without hyphens and spaces.
    real: HashSet<String>,
    /// The real names written in Chinese characters.
    real_han: Vec<String>,
    everyday: HashSet<String>,
    /// The catalogue's brands alone, as a lexicon: for judging a listing without its batch.
    protected: BrandLexicon,
    /// Brand id → index in [`Catalogue::brands`].
    ids: HashMap<String, usize>,
    /// Each brand's names, folded.
    names: Vec<Vec<String>>,
}

impl BrandMatcher {
    pub fn new(catalogue: &Catalogue) -> BrandMatcher {
        let mut phrases = Vec::new();
        let mut chinese = Vec::new();
        let mut chinese_names = Vec::new();
        let mut real = HashSet::new();
        let mut everyday = HashSet::new();
        for (i, brand) in catalogue.brands.iter().enumerate() {
            everyday.extend(brand.not_in_words.iter().map(|w| fold(w)));
            for name in brand.names() {
                let name = fold(name);
                real.insert(bare(&name));
                real.insert(name.clone());
                let words: Vec<&str> = name.split(' ').filter(|w| !w.is_empty()).collect();
                if words.len() >= 2 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') {
                    phrases.push(LatinPhrase {
                        brand: i,
                        first_word: words[0].to_string(),
                        words: words.len(),
                        bare: bare(&name),
                        name: name.clone(),
                    });
                } else if name.chars().count() >= 2 && name.chars().all(is_han) {
                    chinese.push(i);
                    chinese_names.push(name.chars().collect());
                }
            }
        }
        let mut real_han: Vec<String> = real
            .iter()
            .filter(|r| r.chars().count() >= 2 && r.chars().any(is_han))
            .cloned()
            .collect();
        real_han.sort();
        let ids = catalogue
            .brands
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.clone(), i))
            .collect();
        BrandMatcher {
            real_han,
            phrases,
            chinese,
            hanzi: HanziMatcher::new(&chinese_names),
            real,
            everyday,
            protected: BrandLexicon::learn(&[], catalogue),
            ids,
            names: catalogue
                .brands
                .iter()
                .map(|b| {
                    b.names()
                        .map(fold)
                        .filter(|n| n.chars().count() >= 2)
                        .collect()
                })
                .collect(),
        }
    }

    /// The strongest imitation of a protected brand in the listing's brand field or title,
    /// judged without the rest of its batch (against the catalogue only).
    pub fn variant_in(&self, listing: &Listing) -> Option<BrandVariant> {
        match self.finding_in(listing, &self.protected)? {
            BrandFinding::Protected(v) => Some(v),
            BrandFinding::Learnt(_) => None,
        }
    }

    /// The strongest brand variant in the listing, judged against `lexicon` (learnt from its
    /// batch with [`BrandLexicon::learn`]): Chinese and multi-word variants of protected brands,
    /// Latin-script evasions and imitations ([`crate::latin`]).
    pub fn finding_in(&self, listing: &Listing, lexicon: &BrandLexicon) -> Option<BrandFinding> {
        let mut found = Vec::new();
        if let Some(field) = listing.brand.as_deref() {
            self.variants_in_text(field, "brand", &mut found);
        }
        self.variants_in_text(&listing.title, "title", &mut found);
        let protected = found
            .into_iter()
            // Bent words that are the market's common words (White Flat is no White Rabbit).
            .filter(|v| {
                !matches!(v.kind, VariantKind::Bent { .. })
                    || !v.written.split_whitespace().skip(1).all(|w| {
                        let w = fold(w);
                        lexicon.is_common(&w) || lexicon.is_word(&w)
                    })
            })
            .max_by(|a, b| a.score().total_cmp(&b.score()))
            .map(BrandFinding::Protected);
        let latin = latin_variant(listing, lexicon).filter(|v| {
            // A misspelling beside the brand's own name in the same text (正泰/chnt, bocsh博世)
            // disguises nothing: a typo or an alias. Evasions count wherever they are, and a
            // brand field that contradicts the title is just what a fake does.
            let text = match v.field {
                "brand" => fold(listing.brand.as_deref().unwrap_or("")),
                _ => fold(&listing.title),
            };
            v.evasion.is_some()
                || !v
                    .imitates
                    .as_ref()
                    .and_then(|t| t.protected.as_ref())
                    .and_then(|id| self.ids.get(id))
                    .is_some_and(|&b| {
                        let keys: Vec<String> = crate::latin::words(&text)
                            .iter()
                            .map(|w| crate::lexicon::key_of(&w.original))
                            .collect();
                        self.names[b].iter().any(|n| {
                            if n.is_ascii() {
                                keys.iter().any(|k| k == n)
                            } else {
                                text.contains(n.as_str())
                            }
                        })
                    })
        });
        let latin = latin.map(
            |v| match v.imitates.as_ref().and_then(|t| t.protected.as_ref()) {
                Some(id) if self.ids.contains_key(id) => BrandFinding::Protected(BrandVariant {
                    brand: self.ids[id],
                    written: v.written.clone(),
                    genuine: v.imitates.as_ref().map_or(String::new(), |t| fold(&t.name)),
                    kind: VariantKind::Latin {
                        label: v.label(),
                        description: v.describe(),
                        score: v.score,
                    },
                    field: v.field,
                }),
                _ => BrandFinding::Learnt(v),
            },
        );
        match (protected, latin) {
            (Some(p), Some(l)) => Some(if l.score() > p.score() { l } else { p }),
            (p, l) => p.or(l),
        }
    }

    fn variants_in_text(&self, text: &str, field: &'static str, found: &mut Vec<BrandVariant>) {
        let folded = fold(text);
        let tokens = latin_tokens(text);
        for (k, token) in tokens.iter().enumerate() {
            if let Some(v) = self.phrase_variant(&folded, &tokens[k..], field) {
                if !follows_compatibility_marker(&folded, token.folded_start) {
                    found.push(v);
                }
            }
        }
        self.chinese_variants(&folded, field, found);
    }

    /// A multi-word name bent word by word: the first word kept (New …), the run of words as
    /// similar as [`BENT_SIMILARITY`] or within the edit distance of a single word.
    fn phrase_variant(
        &self,
        folded: &str,
        tokens: &[Token],
        field: &'static str,
    ) -> Option<BrandVariant> {
        let first = tokens.first()?;
        let mut best: Option<BrandVariant> = None;
        for p in &self.phrases {
            if first.folded != p.first_word || tokens.len() < p.words {
                continue;
            }
            let run = &tokens[..p.words];
            // The words must follow each other, separated by spaces only.
            let contiguous = run.windows(2).all(|w| {
                let gap = &folded[w[0].folded_start + w[0].folded.len()..w[1].folded_start];
                !gap.is_empty() && gap.chars().all(|c| c == ' ')
            });
            if !contiguous {
                continue;
            }
            let written: String = run.iter().map(|t| t.folded.as_str()).collect();
            if written == p.bare || self.real.contains(&written) {
                continue;
            }
            let d = strsim::osa_distance(&written, &p.bare);
            let similarity = strsim::jaro_winkler(&written, &p.bare);
            let kind = if d <= 2 {
                VariantKind::Misspelling { distance: d }
            } else if similarity >= BENT_SIMILARITY
                // Each word bent, none replaced: White Rear shares only the first word with
                // White Rabbit.
                && run
                    .iter()
                    .zip(p.name.split(' ').filter(|w| !w.is_empty()))
                    .skip(1)
                    .all(|(t, w)| strsim::jaro_winkler(&t.folded, w) >= BENT_WORD_SIMILARITY)
            {
                VariantKind::Bent {
                    similarity: round3(similarity),
                }
            } else {
                continue;
            };
            let v = BrandVariant {
                brand: p.brand,
                written: run
                    .iter()
                    .map(|t| t.original.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                genuine: p.name.clone(),
                kind,
                field,
            };
            if best.as_ref().is_none_or(|b| v.score() > b.score()) {
                best = Some(v);
            }
        }
        best
    }

    fn chinese_variants(&self, folded: &str, field: &'static str, found: &mut Vec<BrandVariant>) {
        // A real name with invisible characters inside (耐\u{200D}克) dodges plain filters.
        for (k, &brand) in self.chinese.iter().enumerate() {
            let name = self.hanzi.name(k);
            if let Some((start, end)) = hidden_name(folded, &name) {
                found.push(BrandVariant {
                    brand,
                    written: folded[start..end].to_string(),
                    genuine: name,
                    kind: VariantKind::Homoglyph,
                    field,
                });
            }
        }
        for m in self.hanzi.imitations(folded) {
            let written = &folded[m.start..m.end];
            let everyday = self.everyday.iter().any(|word| {
                folded
                    .match_indices(word.as_str())
                    .any(|(at, _)| at <= m.start && m.end <= at + word.len())
            });
            if everyday
                || self.real.contains(written)
                || follows_compatibility_marker(folded, m.start)
            {
                continue;
            }
            // A real brand written over the same characters (格力 inside 格力高) is not a
            // variant of another.
            if self
                .real_han
                .iter()
                .any(|r| overlaps(folded, r, m.start, m.end))
            {
                continue;
            }
            let brand = self.chinese[m.name];
            let kind = match m.how {
                HanziImitation::Swapped(swaps) => VariantKind::NearForm { swaps },
                HanziImitation::Split { written, genuine } => {
                    VariantKind::Split { written, genuine }
                }
                HanziImitation::Inserted(c) => VariantKind::Inserted(c),
            };
            found.push(BrandVariant {
                brand,
                written: written.to_string(),
                genuine: self.hanzi.name(m.name),
                kind,
                field,
            });
        }
    }

    /// The flag for a variant, naming the brand it imitates and how.
    pub fn flag(&self, catalogue: &Catalogue, v: &BrandVariant) -> Flag {
        let brand: &Brand = &catalogue.brands[v.brand];
        let mut names: Vec<&str> = brand
            .names_zh
            .iter()
            .chain(&brand.names_en)
            .map(String::as_str)
            .collect();
        names.dedup();
        let reason = format!(
            "\"{}\" in the {} looks like the protected brand {} ({}): {}",
            v.written,
            v.field,
            names.join("/"),
            brand.id,
            v.kind.describe()
        );
        let mut evidence = json!({
            "brand": brand.id,
            "written": v.written,
            "genuine": v.genuine,
            "kind": v.kind.label(),
            "field": v.field,
        });
        if let VariantKind::Misspelling { distance } = v.kind {
            evidence["distance"] = json!(distance);
        }
        Flag::new(Signal::Brand, v.score(), reason, evidence)
    }
    /// The flag for whatever the brand signal found.
    pub fn finding_flag(&self, catalogue: &Catalogue, f: &BrandFinding) -> Flag {
        let v = match f {
            BrandFinding::Protected(v) => return self.flag(catalogue, v),
            BrandFinding::Learnt(v) => v,
        };
        let reason = match &v.imitates {
            Some(t) => format!(
                "\"{}\" in the {} looks like the brand {} ({} sellers in this batch{}): {}",
                v.written,
                v.field,
                t.name,
                t.sellers,
                if v.written_sellers > 0 {
                    format!(", this spelling {}", v.written_sellers)
                } else {
                    String::new()
                },
                v.describe()
            ),
            None => format!(
                "\"{}\" in the {} is written to dodge brand filters: {}",
                v.written,
                v.field,
                v.describe()
            ),
        };
        let mut evidence = json!({
            "written": v.written,
            "kind": v.label(),
            "field": v.field,
        });
        if let Some(t) = &v.imitates {
            evidence["genuine"] = json!(t.name);
            evidence["genuine_sellers"] = json!(t.sellers);
            evidence["written_sellers"] = json!(v.written_sellers);
            if let Some(l) = &t.likeness {
                evidence["distance"] = json!(l.distance());
            }
            if v.copied_models {
                evidence["copied_models"] = json!(true);
            }
        }
        Flag::new(Signal::Brand, v.score, reason, evidence)
    }
}

/// Zero-width and format characters, invisible in a title.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}'
    )
}

/// Where `name` is written with invisible characters between its characters, if it is.
fn hidden_name(text: &str, name: &str) -> Option<(usize, usize)> {
    let name: Vec<char> = name.chars().collect();
    let first = *name.first()?;
    text.char_indices()
        .filter(|&(_, c)| c == first)
        .find_map(|(start, _)| {
            let mut k = 1;
            let mut hidden = false;
            for (i, c) in text[start..].char_indices().skip(1) {
                if is_invisible(c) {
                    hidden = true;
                } else if c == name[k] {
                    k += 1;
                    if k == name.len() {
                        return hidden.then_some((start, start + i + c.len_utf8()));
                    }
                } else {
                    return None;
                }
            }
            None
        })
}

/// A run of Latin-looking characters in a text, folded, with where it starts in `fold(text)`.
struct Token {
    /// As written, for the investigator to recognise.
    original: String,
    folded: String,
    folded_start: usize,
    /// Written with full-width letters (ＰＨＩＬＩＰＳ).
    full_width: bool,
}

/// Splits a text into runs of ASCII letters/digits, hyphens, confusable letters and the
/// homoglyph punctuation `|`, `!`, `@`, `$`, folding each character as [`fold`] does so that
/// offsets agree with `fold(text)`.
fn latin_tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut offset = 0;
    let mut current: Option<Token> = None;
    for c in text.chars() {
        // Folded as `fold` folds (width, then case), without allocating per character.
        let w = qsword_listing::text::fold_width(c);
        let is_part = w.is_ascii_alphanumeric() || matches!(w, '-' | '|' | '!' | '@' | '$');
        if is_part {
            let token = current.get_or_insert_with(|| Token {
                original: String::new(),
                folded: String::new(),
                folded_start: offset,
                full_width: false,
            });
            token.folded.push(w.to_ascii_lowercase());
            token.original.push(c);
            token.full_width |= ('\u{FF01}'..='\u{FF5E}').contains(&c);
            offset += 1;
        } else {
            if let Some(token) = current.take() {
                tokens.push(token);
            }
            offset += if c.is_ascii() {
                1
            } else {
                w.to_lowercase().map(char::len_utf8).sum()
            };
        }
    }
    tokens.extend(current);
    tokens
}

/// Whether an occurrence of `real` in `text` overlaps the byte range `start..end`.
fn overlaps(text: &str, real: &str, start: usize, end: usize) -> bool {
    text.match_indices(real)
        .any(|(at, _)| at < end && start < at + real.len())
}

/// A name without hyphens, spaces and dots: `mann-filter` → `mannfilter`.
fn bare(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | ' ' | '.' | '_'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(title: &str, brand: Option<&str>) -> Option<BrandVariant> {
        let c = Catalogue::embedded();
        let mut l = Listing::new("u", title);
        l.brand = brand.map(str::to_string);
        let v = BrandMatcher::new(&c).variant_in(&l);
        v.map(|mut v| {
            v.written = format!("{}→{}", v.written, c.brands[v.brand].id);
            v
        })
    }

    fn imitates(title: &str) -> Option<String> {
        variant(title, None).map(|v| v.written)
    }

    #[test]
    fn look_alike_names_are_caught() {
        assert_eq!(imitates("公午 插座 五孔").as_deref(), Some("公午→bull"));
        assert_eq!(imitates("止泰 断路器").as_deref(), Some("止泰→chint"));
        assert_eq!(imitates("美帝 电饭煲").as_deref(), Some("美帝→midea"));
        assert_eq!(imitates("雷碧 汽水").as_deref(), Some("雷碧→sprite"));
        assert_eq!(imitates("耐可 运动鞋").as_deref(), Some("耐可→nike"));
        assert_eq!(imitates("公午插座 五孔").as_deref(), Some("公午→bull"));
        assert_eq!(imitates("蒙生 纯牛奶").as_deref(), Some("蒙生→mengniu"));
        assert_eq!(
            imitates("公生 插座"),
            None,
            "公生 is a word of the dictionary"
        );
        assert_eq!(imitates("德力酉 空开").as_deref(), Some("德力酉→delixi"));
        assert_eq!(
            imitates("农夫三泉 饮用水").as_deref(),
            Some("农夫三泉→nongfu-spring")
        );
        let v = variant("耐\u{200D}克 跑鞋", None).unwrap();
        assert_eq!(
            (v.written.as_str(), &v.kind),
            ("耐\u{200D}克→nike", &VariantKind::Homoglyph),
            "a zero-width joiner inside the name"
        );
        assert_eq!(
            imitates("Phi1ips air fryer").as_deref(),
            Some("Phi1ips→philips")
        );
        assert_eq!(
            imitates("PhiIips air fryer").as_deref(),
            Some("PhiIips→philips")
        );
        assert_eq!(
            imitates("Phi-lips air fryer").as_deref(),
            Some("Phi-lips→philips")
        );
        assert_eq!(
            imitates("Philipps air fryer").as_deref(),
            Some("Philipps→philips")
        );
        assert_eq!(imitates("Nlke Air").as_deref(), Some("Nlke→nike"));
        assert_eq!(imitates("YT0 tractor").as_deref(), Some("YT0→yto"));
        assert_eq!(imitates("BULI socket").as_deref(), Some("BULI→bull"));
        assert_eq!(
            imitates("Castro1 5W-30").as_deref(),
            Some("Castro1→castrol")
        );
        assert_eq!(imitates("LEG0 bricks").as_deref(), Some("LEG0→lego"));
        assert_eq!(
            imitates("Сastrol 5W-30").as_deref(),
            Some("Сastrol→castrol"),
            "Cyrillic С"
        );
        assert_eq!(
            imitates("MANN-FILTRE W712").as_deref(),
            Some("MANN-FILTRE→mann-filter")
        );
        let v = variant("ＰＨＩＬＩＰＳ 空气炸锅", None).unwrap();
        assert_eq!((v.kind.label(), v.score()), ("full-width", 0.5));
        assert_eq!(v.written, "ＰＨＩＬＩＰＳ→philips", "shown as written");
        let v = variant("空气炸锅", Some("Philipss")).unwrap();
        assert_eq!(
            (v.field, v.score()),
            ("brand", 0.8),
            "a brand field counts more"
        );
    }

    #[test]
    fn real_brands_accessories_and_everyday_words_are_not_variants() {
        let c = Catalogue::embedded();
        let matcher = BrandMatcher::new(&c);
        for brand in &c.brands {
            for name in brand.names() {
                let l = Listing::new("u", format!("{name} 正品 特价"));
                assert_eq!(matcher.variant_in(&l), None, "{name} is a real brand");
            }
        }
        assert_eq!(imitates("适用于曼牌 机油滤芯 W712"), None);
        assert_eq!(
            imitates("适用于公午 插座"),
            None,
            "a compatibility mention is not a claim"
        );
        assert_eq!(imitates("Bosh engine oil filter"), None, "everyday word");
        assert_eq!(imitates("Super fast charger, Mobile phone holder"), None);
        assert_eq!(
            imitates("Full ball bell pull"),
            None,
            "4-letter names never match by distance"
        );
        assert_eq!(imitates("Phillips screwdriver set"), None);
        assert_eq!(
            imitates("Washer, white rear control"),
            None,
            "a word replaced, not bent"
        );
        assert_eq!(imitates("完美的礼物 保温杯"), None);
        // Real words that merely resemble a name.
        assert_eq!(
            imitates("儿童口琴 兔博士 卡通"),
            None,
            "博士 is a word, not 博世"
        );
        assert_eq!(
            imitates("欧式实木家具 榉木椅"),
            None,
            "实木|家具 holds no 木家/米家"
        );
        assert_eq!(imitates("小迷你 蓝牙音箱"), None, "小|迷你 is not 小米");
        assert_eq!(imitates("伊丽莎白 雅顿 面霜"), None, "伊丽莎白 is not 伊利");
        assert_eq!(imitates("手工牛肉酱 下饭菜"), None, "手工|牛肉 is not 公牛");
        assert_eq!(
            imitates("移动电源1000毫安可爱通用"),
            None,
            "毫安|可爱 is not 安克"
        );
        assert_eq!(imitates("飞利浦 空气炸锅 HD9252"), None);
    }
}
