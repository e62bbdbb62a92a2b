//! The brand lexicon learnt from the market: which Latin-script brand spellings a batch of
//! listings actually uses, how widely, and which rare spellings imitate a widespread one.
//!
//! A *brand claim* is a spelling written where a listing names its brand: the brand field, the
//! head of the title (its first word once reseller prefixes — 【…】 and […] segments, "New",
//! "Original", years — are stripped; a one- or two-letter head also with its next word) and
//! the name before "Official Store" in a seller's name. Each spelling (folded: case and width)
//! is counted by listings, distinct sellers and platforms, and by the model numbers sold under
//! it. A spelling is **established** when independent sellers use it (three sellers, or two on
//! two platforms) and it is no ordinary word, or when the catalogue protects it
//! (`seeds/brands.toml`). Ordinary words are learnt too: written lower case mid-title in
//! several listings, or mid-title under several different title heads (converter, China).
//!
//! A spelling **imitates** an established brand when it is not established itself, is no
//! ordinary word of the batch, the brand is much more widespread (more than twice its sellers
//! and three at least, or protected), and the two are close: the same loose UTS #39 skeleton
//! (Cyrillic/Greek/full-width look-alikes, 0/O, 1/l/I, rn/m, nn/m, ri/n, vv/w, lc/k), the same
//! letters cut by hyphens, dots or invisible characters (or by a space into pieces that are no
//! words), or one edit (two from eight letters) by optimal string alignment. Names of four
//! letters or fewer match only by single-character look-alikes or a swap of neighbours, unless
//! the brand field itself is the claim. What the spelling's listings sell and say decides the
//! close cases, as it would for an investigator:
//! - a spelling sold with the brand's own model numbers, or whose descriptions name the brand
//!   (text copied from the genuine offer), is a copy — even when several sellers share it;
//! - a spelling with its own model numbers, none of the brand's, sold by two sellers or more or
//!   named in its own descriptions, is another maker (the rarer of two real brands one edit
//!   apart), and only a visual trick still counts against it.
//!
//! Not for: Chinese names ([`crate::hanzi`] matches them against the catalogue), multi-word
//! names bent word by word ([`crate::brand`]), the evasions that need no lexicon
//! ([`crate::latin`]). Pure: no I/O. `Serialize`/`Deserialize` so the binary can keep and show
//! it ([`BrandLexicon::notable`] for the part worth keeping); the lookup index is rebuilt on
//! deserialisation. Learning is one hashing pass over the listings (claims and words per
//! listing in parallel) plus one judgement per distinct spelling and mid-title word; lookup
//! goes through a skeleton map and a deletion-neighbourhood (SymSpell) index, never a scan of
//! every brand.

use crate::latin::{bare, loose_skeleton, words, Word};
use qsword_listing::catalogue::{fold, Catalogue};
use qsword_listing::Listing;
use serde::{Deserialize, Serialize};
/// Hash maps and sets with a fast hasher: learning hashes every claim and word of the batch.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
use std::hash::Hash;

/// Sellers from which a spelling is established on its own.
pub const ESTABLISHED_SELLERS: usize = 3;
/// Listings in which a lower-case word must occur mid-title to be an ordinary word.
const WORD_LISTINGS: usize = 3;
/// Distinct title heads (brands, mostly) under which a word must occur mid-title to be a
/// common word of the market: it belongs to no one brand (converter, china, phillips).
const COMMON_HEADS: usize = 3;

/// Where a listing claims a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimField {
    /// The listing's brand field.
    Brand,
    /// The first word of the title, after reseller prefixes.
    TitleHead,
    /// The name before "Official Store" / 官方旗舰店 in the seller's name.
    Store,
}

/// How a rare spelling resembles an established brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum Likeness {
    /// The same UTS #39 skeleton: look-alike letters, digits or scripts (Sоny, S0NY, Soriy).
    LookAlike,
    /// The same letters with hyphens, dots or invisible characters inserted (So-ny).
    Punctuated,
    /// Two neighbouring letters swapped (Snoy).
    Transposed,
    /// A letter doubled (Sonny) or a doubled letter dropped.
    Repeated,
    /// A letter left out (Panasnic).
    Dropped,
    /// A letter added (Sonyx).
    Added,
    /// One vowel for another (Sumsung).
    VowelSwapped,
    /// Other edits, by optimal string alignment distance.
    Edited { distance: usize },
}

impl Likeness {
    /// Whether the resemblance is a visual trick rather than a spelling.
    pub fn is_look_alike(&self) -> bool {
        matches!(self, Likeness::LookAlike | Likeness::Punctuated)
    }

    pub fn distance(&self) -> usize {
        match self {
            Likeness::LookAlike | Likeness::Punctuated => 0,
            Likeness::Edited { distance } => *distance,
            _ => 1,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Likeness::LookAlike => "look-alike characters".into(),
            Likeness::Punctuated => "punctuation slipped into the name".into(),
            Likeness::Transposed => "two letters swapped".into(),
            Likeness::Repeated => "a letter doubled or undoubled".into(),
            Likeness::Dropped => "a letter left out".into(),
            Likeness::Added => "a letter added".into(),
            Likeness::VowelSwapped => "one vowel for another".into(),
            Likeness::Edited { distance: 1 } => "one letter off".into(),
            Likeness::Edited { distance } => format!("{distance} letters off"),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Likeness::LookAlike => "look-alike",
            Likeness::Punctuated => "punctuated",
            Likeness::Transposed => "transposition",
            Likeness::Repeated => "repetition",
            Likeness::Dropped => "omission",
            Likeness::Added => "addition",
            Likeness::VowelSwapped => "vowel-swap",
            Likeness::Edited { .. } => "misspelling",
        }
    }
}

/// A rare spelling seen in the batch that imitates an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenImitation {
    /// As written most often.
    pub written: String,
    pub likeness: Likeness,
    pub sellers: usize,
    pub listings: usize,
}

/// One brand spelling of the lexicon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LexiconEntry {
    /// The spelling as written most often.
    pub name: String,
    /// Folded (lower case, half width): the lookup key.
    pub key: String,
    pub listings: usize,
    pub sellers: usize,
    pub platforms: usize,
    /// Claims by field: brand field, title head, store name.
    pub in_brand_field: usize,
    pub as_title_head: usize,
    pub in_store_name: usize,
    /// Distinct model numbers sold under the spelling.
    pub models: usize,
    /// Listings whose model number is also sold under the brand it imitates.
    #[serde(default)]
    pub copied_models: usize,
    /// The catalogue brand id, when the spelling is one of its protected names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<String>,
    pub established: bool,
    /// The key of the established entry this spelling imitates, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imitates: Option<(String, Likeness)>,
    /// The imitations of this entry seen in the batch, most sellers first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imitations: Vec<SeenImitation>,
}

impl LexiconEntry {
    /// An established brand the batch treats as a brand (not an ordinary word).
    pub fn is_brand(&self) -> bool {
        self.established
    }
}

/// What [`BrandLexicon::judge`] found for a written spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement<'a> {
    pub target: &'a LexiconEntry,
    pub likeness: Likeness,
}

/// The lexicon: entries, the ordinary words of the batch, and the lookup index.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "LexiconData", into = "LexiconData")]
pub struct BrandLexicon {
    /// Every claimed spelling; established brands first, by sellers.
    pub entries: Vec<LexiconEntry>,
    /// Lower-case words written mid-title in many listings: ordinary words, not brands.
    pub words: Vec<String>,
    /// Words written mid-title under several different title heads: common words of the
    /// market, never taken for a misspelt brand.
    #[serde(default)]
    pub common: Vec<String>,
    /// The catalogue's everyday false friends of protected names (`not_in_words`).
    #[serde(default)]
    pub everyday: Vec<String>,
    /// Listings learnt from.
    pub listings: usize,
    index: Index,
}

#[derive(Serialize, Deserialize)]
struct LexiconData {
    entries: Vec<LexiconEntry>,
    words: Vec<String>,
    #[serde(default)]
    common: Vec<String>,
    #[serde(default)]
    everyday: Vec<String>,
    listings: usize,
}

impl From<LexiconData> for BrandLexicon {
    fn from(d: LexiconData) -> Self {
        let mut lexicon = BrandLexicon {
            entries: d.entries,
            words: d.words,
            common: d.common,
            everyday: d.everyday,
            listings: d.listings,
            index: Index::default(),
        };
        lexicon.reindex();
        lexicon
    }
}

impl From<BrandLexicon> for LexiconData {
    fn from(l: BrandLexicon) -> Self {
        LexiconData {
            entries: l.entries,
            words: l.words,
            common: l.common,
            everyday: l.everyday,
            listings: l.listings,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Index {
    by_key: HashMap<String, usize>,
    /// Bare (no hyphens, dots) key of established entries → entries.
    by_bare: HashMap<String, Vec<usize>>,
    /// Loose skeleton of established entries → entries.
    by_skeleton: HashMap<String, Vec<usize>>,
    /// Deletions (up to two) of established bare keys → entries.
    deletions: HashMap<String, Vec<usize>>,
    words: HashSet<String>,
    common: HashSet<String>,
    everyday: HashSet<String>,
    /// Mid-title words of the batch learnt from, judged once each: the protected brand each
    /// imitates (None for most).
    mid_judged: HashMap<String, Option<(usize, Likeness)>>,
}

/// A brand claim of a listing.
#[derive(Debug, Clone)]
pub struct Claim {
    pub field: ClaimField,
    /// As written.
    pub written: String,
    /// Folded.
    pub key: String,
    /// Byte offset of the claim in `fold(title)` (title heads only).
    pub folded_start: usize,
}

/// Words resellers put before the brand ("New Sony …", "Original Canon …"); stripped before
/// the title's head is taken. Universal shop English, not learnt from any corpus.
const RESELLER_PREFIXES: &[&str] = &[
    "new",
    "brand",
    "original",
    "genuine",
    "authentic",
    "official",
    "hot",
    "sale",
    "free",
    "shipping",
    "nib",
    "sealed",
    "oem",
    "the",
    "a",
];

/// Seller-name endings that announce a brand's own store.
const STORE_SUFFIXES: &[&str] = &[
    "official store",
    "official shop",
    "flagship store",
    "authorized store",
    "authorised store",
    "官方旗舰店",
    "旗舰店",
    "专卖店",
    "官方店",
];

/// The brand claims of a listing: its brand field (each Latin part), its title head and its
/// store name.
pub fn claims(listing: &Listing) -> Vec<Claim> {
    claims_with(listing, &words(&listing.title))
}

/// [`claims`], given the title's words.
pub(crate) fn claims_with(listing: &Listing, title_words: &[Word]) -> Vec<Claim> {
    let mut out: Vec<Claim> = Vec::new();
    if let Some(field) = listing.brand.as_deref() {
        for part in field.split(['/', '|', ',', '(', ')', '（', '）', '、', ';']) {
            let part = part.trim();
            // Latin parts only: Chinese names belong to the hanzi matcher.
            let latin: String = part
                .chars()
                .take_while(|c| !qsword_listing::text::is_cjk(*c))
                .collect();
            let latin = latin.trim();
            if name_like(latin) {
                out.push(Claim {
                    field: ClaimField::Brand,
                    written: latin.to_string(),
                    key: key_of(latin),
                    folded_start: 0,
                });
            }
        }
    }
    if let Some(head) = head_of(title_words) {
        out.push(Claim {
            field: ClaimField::TitleHead,
            key: key_of(&head.original),
            written: head.original.clone(),
            folded_start: head.folded_start,
        });
        // A head of one or two letters may be a name cut by a space (So ny): the two words
        // together are claimed as well.
        let at = title_words
            .iter()
            .position(|w| w.folded_start == head.folded_start);
        if let (Some(at), true) = (at, bare(&head.original).chars().count() <= 2) {
            if let Some(next) = title_words.get(at + 1) {
                let head_len: usize = key_of(&head.original).len();
                if next.folded_start == head.folded_start + head_len + 1 && !next.bracketed {
                    let written = format!("{} {}", head.original, next.original);
                    out.push(Claim {
                        field: ClaimField::TitleHead,
                        key: key_of(&written),
                        written,
                        folded_start: head.folded_start,
                    });
                }
            }
        }
    }
    if let Some(store) = store_brand(listing) {
        out.push(Claim {
            field: ClaimField::Store,
            key: key_of(&store),
            written: store,
            folded_start: 0,
        });
    }
    out
}

/// The folded lookup key of a spelling: lower case, half width, single spaces, trimmed.
pub fn key_of(s: &str) -> String {
    if s.is_ascii() && !s.contains("  ") && s.trim().len() == s.len() {
        return s.to_ascii_lowercase(); // the common case, without a char-by-char fold
    }
    let f = fold(s);
    f.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The title's first word that can be a brand: after bracketed segments, reseller words and
/// numbers.
pub fn title_head(title: &str) -> Option<Word> {
    head_of(&words(title)).cloned()
}

/// The head among a title's words.
pub(crate) fn head_of(ws: &[Word]) -> Option<&Word> {
    let mut skipped = 0;
    for w in ws {
        if w.bracketed {
            continue;
        }
        let numeric = w.original.chars().all(|c| !c.is_alphabetic());
        let prefix =
            w.original.len() <= 9 && RESELLER_PREFIXES.contains(&key_of(&w.original).as_str());
        if skipped < 4 && (numeric || prefix) {
            skipped += 1;
            continue;
        }
        return name_like(&w.original).then_some(w);
    }
    None
}

/// Two letters or digits at least, one a letter: LG, 1G (a look-alike of it), Sony.
fn name_like(s: &str) -> bool {
    s.chars().filter(|c| c.is_alphanumeric()).count() >= 2 && s.chars().any(|c| c.is_alphabetic())
}

fn store_brand(listing: &Listing) -> Option<String> {
    let name = listing.seller.as_ref()?.name.trim();
    let folded = fold(name);
    for suffix in STORE_SUFFIXES {
        if let Some(rest) = folded.strip_suffix(suffix) {
            let rest = rest.trim();
            if rest.chars().filter(|c| c.is_alphabetic()).count() >= 2
                && !rest.chars().any(qsword_listing::text::is_cjk)
            {
                // The original spelling of the same characters (fold keeps character counts
                // for Latin and full-width text).
                let n = rest.chars().count();
                return Some(name.chars().take(n).collect::<String>().trim().to_string());
            }
        }
    }
    None
}

/// A fixed-seed hash (the same in every run) of sellers, models and words.
fn hash_of<T: Hash>(t: T) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5157_0bd5).hash_one(t)
}

/// What a spelling's listings sell: its distinct models, the model of each modelled listing,
/// and (the first [`MEMBERS`]) the listings themselves, whose descriptions are read only if
/// the spelling is judged.
#[derive(Default)]
struct ModelSet {
    models: HashSet<u64>,
    listing_models: Vec<u64>,
    members: Vec<u32>,
}

/// Listings remembered per spelling: enough for the rare spellings that are judged.
const MEMBERS: usize = 64;

#[derive(Default)]
struct Tally {
    listings: usize,
    sellers: HashSet<u64>,
    platforms: HashSet<u64>,
    fields: [usize; 3],
    models: HashSet<u64>,
    /// Model hash of each modelled listing (for the copied-models test).
    listing_models: Vec<u64>,
    /// The first listings (indices) of the spelling.
    members: Vec<u32>,
    spellings: HashMap<String, usize>,
}

/// A listing's model number, folded, without separators.
fn model_of(listing: &Listing) -> Option<u64> {
    let m = listing.model.as_deref().or(listing.mpn.as_deref())?;
    let b: String = fold(m).chars().filter(|c| c.is_alphanumeric()).collect();
    (b.len() >= 3 && b.chars().any(|c| c.is_ascii_digit())).then(|| hash_of(b))
}

fn seller_of(listing: &Listing) -> Option<u64> {
    let s = listing.seller.as_ref()?;
    let id = s.id.as_deref().unwrap_or(&s.name);
    Some(hash_of((
        listing.platform.as_deref().unwrap_or(""),
        fold(id),
    )))
}

impl BrandLexicon {
    /// Learns the lexicon from a batch of listings and the catalogue's protected brands.
    pub fn learn(listings: &[Listing], catalogue: &Catalogue) -> BrandLexicon {
        use rayon::prelude::*;
        // Per listing (in parallel): its claims, and its mid-title words in lower and upper case.
        type PerListing = (Vec<Claim>, Vec<(String, bool)>, Vec<String>, Vec<String>);
        let per: Vec<PerListing> = listings
            .par_iter()
            .map(|l| {
                let ws = words(&l.title);
                let head = head_of(&ws).map(|h| h.folded_start);
                (
                    claims_with(l, &ws),
                    mid_title_words(&l.title, &ws),
                    mid_words(&ws, head),
                    judgeable_words(&ws, head),
                )
            })
            .collect();
        let mut tallies: HashMap<String, Tally> = HashMap::default();
        let mut word_counts: HashMap<String, (usize, usize)> = HashMap::default();
        let mut word_heads: HashMap<String, Vec<u64>> = HashMap::default();
        let mut all_mid: HashSet<String> = HashSet::default();
        for (n, (listing, (cl, ws, mid, judgeable))) in listings.iter().zip(per).enumerate() {
            for w in judgeable {
                all_mid.insert(w);
            }
            if let Some(head) = cl.iter().find(|c| c.field == ClaimField::TitleHead) {
                let h = hash_of(&head.key);
                for w in mid {
                    let heads = word_heads.entry(w).or_default();
                    if heads.len() < COMMON_HEADS && !heads.contains(&h) {
                        heads.push(h);
                    }
                }
            }
            let seller = seller_of(listing);
            let platform = listing.platform.as_deref().map(hash_of);
            let model = model_of(listing);
            let mut seen: HashSet<&str> = HashSet::default();
            for c in &cl {
                let t = tallies.entry(c.key.clone()).or_default();
                t.fields[c.field as usize] += 1;
                if !seen.insert(c.key.as_str()) {
                    continue;
                }
                t.listings += 1;
                t.sellers.extend(seller);
                t.platforms.extend(platform);
                if let Some(m) = model {
                    t.models.insert(m);
                    t.listing_models.push(m);
                }
                if t.members.len() < MEMBERS {
                    t.members.push(n as u32);
                }
                *t.spellings.entry(c.written.clone()).or_default() += 1;
            }
            for (w, lower) in ws {
                let e = word_counts.entry(w).or_default();
                if lower {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
        }
        let mut words: Vec<String> = word_counts
            .into_iter()
            .filter(|(_, (lower, upper))| *lower >= WORD_LISTINGS && *lower * 2 >= *upper)
            .map(|(w, _)| w)
            .collect();
        words.sort();
        let mut common: Vec<String> = word_heads
            .into_iter()
            .filter(|(_, h)| h.len() >= COMMON_HEADS)
            .map(|(w, _)| w)
            .collect();
        common.sort();
        let word_set: HashSet<&str> = words.iter().map(String::as_str).collect();

        let mut protected: HashMap<String, String> = HashMap::default();
        let mut everyday = std::collections::BTreeSet::new();
        for b in &catalogue.brands {
            everyday.extend(b.not_in_words.iter().map(|w| fold(w)));
            for n in b.names() {
                if n.chars().any(|c| c.is_ascii_alphabetic()) && !n.chars().any(is_cjk_char) {
                    protected.entry(key_of(n)).or_insert_with(|| b.id.clone());
                }
            }
        }
        let mut entries: Vec<LexiconEntry> = Vec::with_capacity(tallies.len());
        let mut model_sets: Vec<ModelSet> = Vec::with_capacity(tallies.len());
        for (key, t) in tallies {
            let name = t
                .spellings
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(s, _)| s.clone())
                .unwrap_or_else(|| key.clone());
            let prot = protected.remove(&key);
            let (sellers, platforms) = (t.sellers.len(), t.platforms.len());
            let independent = sellers >= ESTABLISHED_SELLERS || (platforms >= 2 && sellers >= 2);
            let word = word_set.contains(key.as_str());
            entries.push(LexiconEntry {
                name,
                established: prot.is_some() || (independent && !word),
                protected: prot,
                key,
                listings: t.listings,
                sellers,
                platforms,
                in_brand_field: t.fields[ClaimField::Brand as usize],
                as_title_head: t.fields[ClaimField::TitleHead as usize],
                in_store_name: t.fields[ClaimField::Store as usize],
                models: t.models.len(),
                copied_models: 0,
                imitates: None,
                imitations: Vec::new(),
            });
            model_sets.push(ModelSet {
                models: t.models,
                listing_models: t.listing_models,
                members: t.members,
            });
        }
        for (key, id) in protected {
            let name = catalogue
                .brands
                .iter()
                .find(|b| b.id == id)
                .and_then(|b| b.names().find(|n| key_of(n) == key))
                .unwrap_or(&key)
                .to_string();
            entries.push(LexiconEntry {
                name,
                key,
                listings: 0,
                sellers: 0,
                platforms: 0,
                in_brand_field: 0,
                as_title_head: 0,
                in_store_name: 0,
                models: 0,
                copied_models: 0,
                protected: Some(id),
                established: true,
                imitates: None,
                imitations: Vec::new(),
            });
            model_sets.push(Default::default());
        }
        // Established first, most sellers first; ties by key for a stable order.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&entries[a], &entries[b]);
            y.established
                .cmp(&x.established)
                .then(y.sellers.cmp(&x.sellers))
                .then(y.listings.cmp(&x.listings))
                .then(x.key.cmp(&y.key))
        });
        let mut slots: Vec<Option<(LexiconEntry, ModelSet)>> =
            entries.into_iter().zip(model_sets).map(Some).collect();
        let (entries, model_sets): (Vec<_>, Vec<_>) = order
            .into_iter()
            .map(|i| slots[i].take().expect("each entry once"))
            .unzip();
        let mut lexicon = BrandLexicon {
            entries,
            words,
            common,
            everyday: everyday.into_iter().collect(),
            listings: listings.len(),
            index: Index::default(),
        };
        lexicon.reindex();
        lexicon.link_imitations(&model_sets, listings);
        // Every distinct mid-title word judged once, not once per occurrence.
        let judged: Vec<(String, Option<(usize, Likeness)>)> = all_mid
            .into_par_iter()
            .map(|w| {
                let j = lexicon
                    .judge_key(&w, 1, false, false)
                    .filter(|(t, _)| lexicon.entries[*t].protected.is_some());
                (w, j)
            })
            .collect();
        lexicon.index.mid_judged = judged.into_iter().collect();
        lexicon
    }

    /// [`BrandLexicon::judge`] for a word in the middle of a title (one seller, no brand
    /// field), answered from the judgements made while learning when the word was seen then;
    /// only protected brands are kept there.
    pub fn judge_mid(&self, key: &str) -> Option<Judgement<'_>> {
        match self.index.mid_judged.get(key) {
            Some(j) => j.as_ref().map(|(t, l)| Judgement {
                target: &self.entries[*t],
                likeness: l.clone(),
            }),
            None => self.judge(key, 1, false),
        }
    }

    /// Rebuilds the lookup index (after deserialising or editing the entries).
    pub fn reindex(&mut self) {
        let mid_judged = std::mem::take(&mut self.index.mid_judged);
        let mut index = Index {
            everyday: self.everyday.iter().cloned().collect(),
            mid_judged,
            words: self.words.iter().cloned().collect(),
            common: self.common.iter().cloned().collect(),
            ..Index::default()
        };
        for (i, e) in self.entries.iter().enumerate() {
            index.by_key.insert(e.key.clone(), i);
            if !e.established {
                continue;
            }
            let b = bare(&e.key);
            index
                .by_skeleton
                .entry(loose_skeleton(&e.key))
                .or_default()
                .push(i);
            if b.is_ascii() {
                for d in deletions(&b, max_distance(b.len()).max(1)) {
                    index.deletions.entry(d).or_default().push(i);
                }
            }
            index.by_bare.entry(b).or_default().push(i);
        }
        self.index = index;
    }

    /// Decides, for each spelling that is not an established brand (or is one that sells only
    /// copies of another's models), whether it imitates one; records it on both entries.
    fn link_imitations(&mut self, model_sets: &[ModelSet], listings: &[Listing]) {
        let mut links: Vec<(usize, usize, Likeness, usize)> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if e.protected.is_some() {
                continue;
            }
            let brand_field = e.in_brand_field > 0;
            let copies = |target: usize| {
                model_sets[i]
                    .listing_models
                    .iter()
                    .filter(|m| model_sets[target].models.contains(m))
                    .count()
            };
            // Loose look-alikes of short names (Soriy for a four-letter name) only when the
            // spelling sells the brand's own models.
            // Of the brands it may imitate, the first whose models it sells, else the first.
            let strict = self.candidates(&e.key, e.sellers, brand_field, false);
            let pick = strict
                .iter()
                .find(|(t, _)| copies(*t) > 0)
                .or(strict.first())
                .cloned()
                .or_else(|| {
                    self.candidates(&e.key, e.sellers, brand_field, true)
                        .into_iter()
                        .find(|(t, _)| copies(*t) > 0)
                });
            let Some((target, likeness)) = pick else {
                continue;
            };
            let copied = copies(target);
            // Descriptions copied from the genuine offer name the genuine brand; a real maker's
            // name its own.
            let desc: HashSet<u64> = model_sets[i]
                .members
                .iter()
                .flat_map(|&m| description_words(&listings[m as usize]))
                .collect();
            let names_target = desc.contains(&hash_of(self.entries[target].key.as_str()));
            let names_itself = desc.contains(&hash_of(e.key.as_str()));
            // A spelling whose listings sell their own model numbers, none of the brand's, from
            // several sellers or with descriptions naming it, is another maker's name: only a
            // visual trick still counts against it.
            if !likeness.is_look_alike()
                && !model_sets[i].listing_models.is_empty()
                && copied == 0
                && !names_target
                && (e.sellers >= 2 || names_itself)
            {
                continue;
            }
            let copied = copied + usize::from(names_target && copied == 0);
            if e.established {
                // Established by its sellers: an imitation only if it sells nothing but the
                // other brand's models and is far rarer.
                let t = &self.entries[target];
                let copies = copied > 0 && copied * 2 >= model_sets[i].listing_models.len().max(1);
                if !(copies && t.sellers >= 3 * e.sellers) {
                    continue;
                }
            }
            links.push((i, target, likeness, copied));
        }
        for (i, target, likeness, copied) in links {
            let tkey = self.entries[target].key.clone();
            let e = &mut self.entries[i];
            e.copied_models = copied;
            e.imitates = Some((tkey, likeness.clone()));
            let seen = SeenImitation {
                written: e.name.clone(),
                likeness,
                sellers: e.sellers,
                listings: e.listings,
            };
            self.entries[target].imitations.push(seen);
        }
        for e in &mut self.entries {
            e.imitations
                .sort_by(|a, b| b.sellers.cmp(&a.sellers).then(a.written.cmp(&b.written)));
        }
    }

    /// The entry of a spelling, if claimed in the batch or protected.
    pub fn get(&self, spelling: &str) -> Option<&LexiconEntry> {
        self.index
            .by_key
            .get(&key_of(spelling))
            .map(|&i| &self.entries[i])
    }

    /// The lexicon without the spellings that are neither established nor an imitation (one
    /// listing's title head that is just a word, say): what is worth keeping and showing.
    /// Lookups of the dropped spellings judge them afresh.
    pub fn notable(&self) -> BrandLexicon {
        let mut out = self.clone();
        out.entries
            .retain(|e| e.established || e.imitates.is_some() || !e.imitations.is_empty());
        // The cached judgements point at entries by position: judge afresh instead.
        out.index.mid_judged.clear();
        out.reindex();
        out
    }

    /// The established brands, most sellers first.
    pub fn brands(&self) -> impl Iterator<Item = &LexiconEntry> {
        self.entries.iter().filter(|e| e.established)
    }

    /// Whether `word` (folded) is an ordinary word of the batch or a protected brand's
    /// everyday false friend.
    pub fn is_word(&self, word: &str) -> bool {
        self.index.words.contains(word) || self.index.everyday.contains(word)
    }

    /// Whether `word` (folded) is written mid-title under several different brands.
    pub fn is_common(&self, word: &str) -> bool {
        self.index.common.contains(word)
    }

    /// Whether the folded spelling is an established brand.
    pub fn is_established(&self, key: &str) -> bool {
        self.index
            .by_key
            .get(key)
            .is_some_and(|&i| self.entries[i].established)
    }

    /// The entries whose loose skeleton equals `skeleton`.
    pub(crate) fn by_skeleton(&self, skeleton: &str) -> impl Iterator<Item = &LexiconEntry> {
        self.index
            .by_skeleton
            .get(skeleton)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// Judges a written spelling (folded `key`) used by `sellers` sellers: the established
    /// brand it imitates, if any. `brand_field`: the spelling is a brand field's, a deliberate
    /// claim, so short names may match by one edit too.
    pub fn judge(&self, key: &str, sellers: usize, brand_field: bool) -> Option<Judgement<'_>> {
        self.judge_key(key, sellers, brand_field, false)
            .map(|(i, likeness)| Judgement {
                target: &self.entries[i],
                likeness,
            })
    }

    fn judge_key(
        &self,
        key: &str,
        sellers: usize,
        brand_field: bool,
        loose: bool,
    ) -> Option<(usize, Likeness)> {
        self.candidates(key, sellers, brand_field, loose)
            .into_iter()
            .next()
    }

    /// Every established brand the spelling may imitate, best first: look-alikes and
    /// punctuation before spelling edits, then the fewer edits, then the more widespread.
    fn candidates(
        &self,
        key: &str,
        sellers: usize,
        brand_field: bool,
        loose: bool,
    ) -> Vec<(usize, Likeness)> {
        let mut out: Vec<(usize, Likeness)> = Vec::new();
        if self.index.everyday.contains(key) {
            return out;
        }
        let b = bare(key);
        let letters = b.chars().filter(|c| c.is_alphabetic()).count();
        if !name_like(&b) {
            return out;
        }
        let widespread = |t: &LexiconEntry| {
            t.key != key
                && (t.protected.is_some()
                    || (t.sellers >= ESTABLISHED_SELLERS && t.sellers > 2 * sellers))
        };
        // The same letters, punctuated (So-ny, S.ony) or cut by a space into pieces that are
        // no words (So ny); a space between words makes a spelling (Blue Ant for BlueAnt).
        let cut = key.split(' ').any(|piece| bare(piece).chars().count() <= 2);
        if b != key.replace(' ', "") || (key.contains(' ') && cut) {
            for &t in self.index.by_bare.get(&b).into_iter().flatten() {
                // Only against a name written solid: Hewlett Packard for Hewlett-Packard is a
                // spelling of a many-part name, S-harp for Sharp is a trick.
                let solid = bare(&self.entries[t].key) == self.entries[t].key;
                if widespread(&self.entries[t]) && solid {
                    out.push((t, Likeness::Punctuated));
                }
            }
        }
        // Look-alike characters (S0ny, Ѕony, Soriy).
        let skel = loose_skeleton(key);
        let alnum = b.chars().filter(|c| c.is_alphanumeric()).count();
        if alnum >= 3 || brand_field {
            for &t in self.index.by_skeleton.get(&skel).into_iter().flatten() {
                let tb = bare(&self.entries[t].key);
                // Short names by single look-alike characters only (arita is no ANTA).
                if widespread(&self.entries[t])
                    && tb != b
                    && (loose || tb.chars().count() > 4 || tb.chars().count() == b.chars().count())
                {
                    out.push((t, Likeness::LookAlike));
                }
            }
        }
        // Spelling edits: ASCII letters only, not an ordinary word, not a model number.
        if !b.is_ascii()
            || letters < 3
            || b.bytes().any(|c| c.is_ascii_digit())
            || self.is_word(&b)
            || self.is_common(&b)
        {
            return out;
        }
        let max = max_distance(b.len()).max(1);
        let mut edits: Vec<(usize, usize, Likeness)> = Vec::new();
        let mut seen = HashSet::default();
        for d in deletions(&b, max) {
            let Some(cands) = self.index.deletions.get(&d) else {
                continue;
            };
            for &t in cands {
                if !seen.insert(t) {
                    continue;
                }
                let e = &self.entries[t];
                if !widespread(e) {
                    continue;
                }
                let tb = bare(&e.key);
                if tb == b || tb.chars().any(|c| c.is_ascii_digit()) {
                    continue;
                }
                let n = tb.chars().count();
                let allowed = match n {
                    0..=2 => 0,
                    3 | 4 => usize::from(brand_field),
                    _ => max_distance(n),
                };
                let d = strsim::osa_distance(&b, &tb);
                let likeness = likeness(&b, &tb, d);
                let ok = (d >= 1 && d <= allowed) || (n == 4 && likeness == Likeness::Transposed);
                if ok && b.len().abs_diff(n) <= allowed.max(1) {
                    edits.push((d, t, likeness));
                }
            }
        }
        // Entries are in order of sellers, most first: the index breaks ties.
        edits.sort_by_key(|(d, t, _)| (*d, *t));
        out.sort_by_key(|(t, _)| *t);
        out.extend(edits.into_iter().map(|(_, t, l)| (t, l)));
        out
    }
}

/// The edit distance allowed for a name of `len` letters: none under five, one up to seven,
/// two from eight.
fn max_distance(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

fn is_cjk_char(c: char) -> bool {
    qsword_listing::text::is_cjk(c)
}

/// What kind of edit turns `a` into `b`, at OSA distance `d`.
fn likeness(a: &str, b: &str, d: usize) -> Likeness {
    if d != 1 {
        return Likeness::Edited { distance: d };
    }
    let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if x.len() == y.len() {
        let diff: Vec<usize> = (0..x.len()).filter(|&i| x[i] != y[i]).collect();
        if diff.len() == 2 {
            return Likeness::Transposed;
        }
        let vowel = |c: char| "aeiouy".contains(c);
        if diff.len() == 1 && vowel(x[diff[0]]) && vowel(y[diff[0]]) {
            return Likeness::VowelSwapped;
        }
        return Likeness::Edited { distance: 1 };
    }
    let (long, short, added) = if x.len() > y.len() {
        (&x, &y, true)
    } else {
        (&y, &x, false)
    };
    // The position of the extra letter in the longer word.
    let at = (0..short.len())
        .find(|&i| long[i] != short[i])
        .unwrap_or(short.len());
    let repeated =
        (at > 0 && long[at - 1] == long[at]) || (at + 1 < long.len() && long[at + 1] == long[at]);
    if repeated {
        Likeness::Repeated
    } else if added {
        Likeness::Added
    } else {
        Likeness::Dropped
    }
}

/// Every string made by deleting up to `max` characters of `s` (with `s` itself).
fn deletions(s: &str, max: usize) -> HashSet<String> {
    let mut out = HashSet::default();
    out.insert(s.to_string());
    let mut frontier = vec![s.to_string()];
    for _ in 0..max {
        let mut next = Vec::new();
        for w in &frontier {
            let chars: Vec<char> = w.chars().collect();
            if chars.len() <= 1 {
                continue;
            }
            for i in 0..chars.len() {
                let d: String = chars[..i].iter().chain(&chars[i + 1..]).collect();
                if out.insert(d.clone()) {
                    next.push(d);
                }
            }
        }
        frontier = next;
    }
    out
}

/// The title's words after its head, folded, that are ASCII letters only (three or more).
/// The words of a listing's description, as hashed keys, each once.
fn description_words(listing: &Listing) -> Vec<u64> {
    let Some(d) = listing.description.as_deref() else {
        return Vec::new();
    };
    let mut out: Vec<u64> = words(d)
        .iter()
        .map(|w| hash_of(key_of(&w.original).as_str()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The title's words after its head that may be judged as look-alike names (three letters,
/// at most two digits), by key.
fn judgeable_words(ws: &[Word], head: Option<usize>) -> Vec<String> {
    ws.iter()
        .filter(|w| Some(w.folded_start) != head)
        .filter(|w| {
            let letters = w.original.chars().filter(|c| c.is_alphabetic()).count();
            let digits = w.original.chars().filter(|c| c.is_ascii_digit()).count();
            letters >= 3 && digits <= 2
        })
        .map(|w| key_of(&w.original))
        .collect()
}

fn mid_words(ws: &[Word], head: Option<usize>) -> Vec<String> {
    let mut out: Vec<String> = ws
        .iter()
        .filter(|w| Some(w.folded_start) != head)
        .filter(|w| w.original.len() >= 3 && w.original.chars().all(|c| c.is_ascii_alphabetic()))
        .map(|w| w.original.to_ascii_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The title's words after the head that are all letters, with whether each is written in
/// lower case, for titles that use capitals at all (in an all-lower-case title case says
/// nothing). An ordinary word is written lower case mid-title; brands rarely are.
fn mid_title_words(title: &str, ws: &[Word]) -> Vec<(String, bool)> {
    if !title.chars().any(|c| c.is_uppercase()) || !title.chars().any(|c| c.is_lowercase()) {
        return Vec::new();
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut seen = HashSet::default();
    for w in ws.iter().skip(1) {
        let o = &w.original;
        if o.chars().count() < 3 || !o.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let lower = o.chars().all(|c| c.is_ascii_lowercase());
        let f = o.to_ascii_lowercase();
        if seen.insert(f.clone()) {
            out.push((f, lower));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use qsword_listing::Seller;

    fn offer(i: usize, seller: &str, platform: &str, title: &str, brand: Option<&str>) -> Listing {
        let mut l = Listing::new(format!("https://{platform}/item/{i}"), title);
        l.platform = Some(platform.into());
        l.seller = Some(Seller {
            name: seller.into(),
            id: None,
            url: None,
        });
        l.brand = brand.map(str::to_string);
        l.model = title.split_whitespace().last().map(str::to_string);
        l
    }

    /// A market: two real camera makers one edit apart (Kanor, Kanon), each sold by several
    /// sellers with their own models, and a fake spelling of the bigger one.
    fn market() -> Vec<Listing> {
        let mut out = Vec::new();
        for i in 0..12 {
            let seller = format!("Shop {}", i % 6);
            let p = if i % 2 == 0 { "a.example" } else { "b.example" };
            out.push(offer(
                i,
                &seller,
                p,
                &format!("Kanon Digital Camera with zoom lens KC{}00", i % 4),
                Some("Kanon"),
            ));
        }
        for i in 0..6 {
            let seller = format!("Store {}", i % 3);
            out.push(offer(
                100 + i,
                &seller,
                "a.example",
                &format!("Kanor Stereo Receiver with remote KR{}5", i % 3),
                Some("Kanor"),
            ));
        }
        out.push(offer(
            200,
            "Lone Trader",
            "b.example",
            "Kann Digital Camera with zoom lens KC100",
            Some("Kann"),
        ));
        out
    }

    #[test]
    fn learns_brands_and_their_imitations() {
        let lex = BrandLexicon::learn(&market(), &Catalogue::embedded());
        let kanon = lex.get("KANON").unwrap();
        assert!(kanon.established, "{kanon:?}");
        assert_eq!((kanon.sellers, kanon.platforms, kanon.listings), (6, 2, 12));
        let kanor = lex.get("kanor").unwrap();
        assert!(
            kanor.established && kanor.imitates.is_none(),
            "a real rarer brand: {kanor:?}"
        );
        let kann = lex.get("Kann").unwrap();
        assert!(!kann.established);
        assert_eq!(
            kann.imitates.as_ref().map(|(k, _)| k.as_str()),
            Some("kanon")
        );
        assert_eq!(kanon.imitations[0].written, "Kann");
        // Round trip: the index is rebuilt.
        let json = serde_json::to_string(&lex).unwrap();
        let back: BrandLexicon = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get("kann").unwrap().imitates, kann.imitates);
        assert!(back.judge("kanoon", 1, false).is_some());
        assert!(
            back.is_word("phillips"),
            "the catalogue's false friends are kept"
        );
        // The notable part judges the market's listings as the whole did.
        let notable = lex.notable();
        assert!(notable.entries.len() <= lex.entries.len());
        for l in &market() {
            assert_eq!(
                crate::latin::latin_variant(l, &notable),
                crate::latin::latin_variant(l, &lex),
                "{}",
                l.title
            );
        }
    }
}
