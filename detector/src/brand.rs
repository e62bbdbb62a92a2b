//! The brand-variant signal: a title or brand field that imitates a protected brand's name
//! without being it — ＰＨＩＬＩＰＳ in full-width letters, Phi1ips/PhiIips (homoglyphs),
//! Phi-lips, Philipps (one or two letters off), 公午 for 公牛 (near-form characters).
//!
//! Guards against the big false-positive sources: a name announced as compatibility ("适用于曼牌",
//! "filter for BOSCH") is an accessory, not a variant; a real brand in the catalogue is never a
//! variant of another; each brand's `not_in_words` ("super" for SUPOR) are left alone; Latin
//! names under 5 letters (YTO, BULL, LEGO, Nike) only match by homoglyphs, never by edit
//! distance.
//! Issue 6 widens this with UTS #39 skeletons, Jaro-Winkler, the dnstwist families and pinyin.

use crate::assessment::{round3, Flag, Signal};
use qsword_listing::catalogue::{fold, follows_compatibility_marker, Brand, Catalogue};
use qsword_listing::text::is_han;
use qsword_listing::Listing;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Pairs of Chinese characters a counterfeiter swaps for a brand's: alike in shape (午/牛, 秦/泰,
/// 雷/雪) or in sound (可/克, 菲/飞). Symmetric. Chosen per character of the protected names;
/// pairs that would turn a name into an everyday word are left out.
const NEAR_FORMS: &[(char, char)] = &[
    ('飞', '菲'),
    ('利', '力'),
    ('利', '立'),
    ('利', '莉'),
    ('利', '俐'),
    ('浦', '蒲'),
    ('浦', '莆'),
    ('浦', '甫'),
    ('浦', '普'),
    ('美', '羙'),
    ('美', '镁'),
    ('的', '帝'),
    ('的', '迪'),
    ('公', '工'),
    ('公', '功'),
    ('牛', '午'),
    ('牛', '生'),
    ('正', '止'),
    ('正', '政'),
    ('泰', '秦'),
    ('德', '徳'),
    ('德', '得'),
    ('力', '历'),
    ('力', '立'),
    ('西', '酉'),
    ('西', '茜'),
    ('曼', '蔓'),
    ('曼', '慢'),
    ('曼', '漫'),
    ('牌', '脾'),
    ('博', '搏'),
    ('博', '傅'),
    ('博', '薄'),
    ('世', '士'),
    ('世', '仕'),
    ('乐', '东'),
    ('乐', '勒'),
    ('高', '膏'),
    ('高', '搞'),
    ('高', '篙'),
    ('高', '稿'),
    ('好', '妤'),
    ('孩', '该'),
    ('孩', '骇'),
    ('子', '孑'),
    ('史', '吏'),
    ('丹', '舟'),
    ('丹', '单'),
    ('金', '全'),
    ('大', '犬'),
    ('大', '达'),
    ('嘉', '喜'),
    ('嘉', '佳'),
    ('实', '宝'),
    ('多', '夕'),
    ('孚', '浮'),
    ('孚', '俘'),
    ('孚', '乎'),
    ('孚', '孕'),
    ('小', '少'),
    ('小', '晓'),
    ('米', '木'),
    ('米', '未'),
    ('米', '迷'),
    ('华', '化'),
    ('华', '哗'),
    ('为', '伟'),
    ('为', '维'),
    ('安', '按'),
    ('安', '案'),
    ('克', '可'),
    ('克', '刻'),
    ('克', '客'),
    ('倍', '培'),
    ('倍', '陪'),
    ('倍', '蓓'),
    ('思', '恩'),
    ('思', '斯'),
    ('远', '运'),
    ('东', '冻'),
    ('电', '由'),
    ('缆', '揽'),
    ('缆', '览'),
    ('九', '久'),
    ('九', '丸'),
    ('阳', '杨'),
    ('阳', '扬'),
    ('阳', '羊'),
    ('阳', '洋'),
    ('苏', '酥'),
    ('泊', '伯'),
    ('泊', '柏'),
    ('泊', '铂'),
    ('尔', '迩'),
    ('尔', '耳'),
    ('沙', '莎'),
    ('沙', '纱'),
    ('沙', '砂'),
    ('钢', '刚'),
    ('钢', '岗'),
    ('钢', '纲'),
    ('耐', '奈'),
    ('红', '虹'),
    ('方', '芳'),
    ('雪', '雷'),
    ('雪', '血'),
    ('碧', '璧'),
    ('碧', '壁'),
];

/// Non-Latin letters that look Latin (Cyrillic, Greek), after case folding.
const CONFUSABLES: &[(char, char)] = &[
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ѕ', 's'),
    ('ԁ', 'd'),
    ('һ', 'h'),
    ('ӏ', 'l'),
    ('ο', 'o'),
    ('α', 'a'),
    ('ν', 'v'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('ρ', 'p'),
];

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
    /// A Chinese character swapped for a look-alike or sound-alike.
    NearForm { written: char, genuine: char },
}

impl VariantKind {
    fn score(&self) -> f64 {
        match self {
            VariantKind::Homoglyph => 0.85,
            VariantKind::NearForm { .. } => 0.8,
            VariantKind::Misspelling { distance: 1 } => 0.7,
            VariantKind::Misspelling { .. } => 0.55,
            VariantKind::FullWidth => 0.5,
        }
    }

    fn describe(&self) -> String {
        match self {
            VariantKind::FullWidth => "the name in full-width letters".into(),
            VariantKind::Homoglyph => "look-alike characters".into(),
            VariantKind::Misspelling { distance: 1 } => "one letter off".into(),
            VariantKind::Misspelling { distance } => format!("{distance} letters off"),
            VariantKind::NearForm { written, genuine } => {
                format!("{written} in place of {genuine}")
            }
        }
    }

    fn label(&self) -> &'static str {
        match self {
            VariantKind::FullWidth => "full-width",
            VariantKind::Homoglyph => "homoglyph",
            VariantKind::Misspelling { .. } => "misspelling",
            VariantKind::NearForm { .. } => "near-form",
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
        // A brand field is a deliberate claim, a title may just be keyword soup.
        let bonus = if self.field == "brand" { 0.1 } else { 0.0 };
        round3((self.kind.score() + bonus).min(0.95))
    }
}

#[derive(Debug, Clone)]
struct LatinName {
    brand: usize,
    name: String,
    bare: String,
    skeleton: String,
    letters: usize,
}

/// The protected names prepared for matching.
#[derive(Debug, Clone)]
pub struct BrandMatcher {
    latin: Vec<LatinName>,
    chinese: Vec<(usize, Vec<char>)>,
    /// Every real name, folded, also without hyphens and spaces.
    real: HashSet<String>,
    everyday: HashSet<String>,
    near: HashMap<char, HashSet<char>>,
}

impl BrandMatcher {
    pub fn new(catalogue: &Catalogue) -> BrandMatcher {
        let mut m = BrandMatcher {
            latin: Vec::new(),
            chinese: Vec::new(),
            real: HashSet::new(),
            everyday: HashSet::new(),
            near: HashMap::new(),
        };
        for &(a, b) in NEAR_FORMS {
            m.near.entry(a).or_default().insert(b);
            m.near.entry(b).or_default().insert(a);
        }
        for (i, brand) in catalogue.brands.iter().enumerate() {
            m.everyday
                .extend(brand.not_in_words.iter().map(|w| fold(w)));
            for name in brand.names() {
                let name = fold(name);
                m.real.insert(bare(&name));
                m.real.insert(name.clone());
                let letters = name.chars().filter(|c| c.is_ascii_alphabetic()).count();
                let latin = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if latin && letters >= 3 {
                    let (bare, skeleton) = (bare(&name), skeleton(&name));
                    m.latin.push(LatinName {
                        brand: i,
                        name,
                        bare,
                        skeleton,
                        letters,
                    });
                } else if name.chars().count() >= 2 && name.chars().all(is_han) {
                    m.chinese.push((i, name.chars().collect()));
                }
            }
        }
        m
    }

    /// The strongest imitation of a protected brand in the listing's brand field or title.
    pub fn variant_in(&self, listing: &Listing) -> Option<BrandVariant> {
        let mut found = Vec::new();
        if let Some(field) = listing.brand.as_deref() {
            self.variants_in_text(field, "brand", &mut found);
        }
        self.variants_in_text(&listing.title, "title", &mut found);
        found
            .into_iter()
            .max_by(|a, b| a.score().total_cmp(&b.score()))
    }

    fn variants_in_text(&self, text: &str, field: &'static str, found: &mut Vec<BrandVariant>) {
        let folded = fold(text);
        for token in latin_tokens(text) {
            if follows_compatibility_marker(&folded, token.folded_start) {
                continue;
            }
            if let Some(v) = self.latin_variant(&token, field) {
                found.push(v);
            }
        }
        self.chinese_variants(&folded, field, found);
    }

    fn latin_variant(&self, token: &Token, field: &'static str) -> Option<BrandVariant> {
        let written = token.folded.trim_matches('-');
        let letters = written.chars().filter(|&c| c != '-').count();
        if letters < 3 || self.everyday.contains(written) {
            return None;
        }
        let variant = |n: &LatinName, kind| BrandVariant {
            brand: n.brand,
            written: token.original.trim_matches(['-', '－']).to_string(),
            genuine: n.name.clone(),
            kind,
            field,
        };
        if self.real.contains(written) {
            // The real name, but typed in full-width letters to slip past filters.
            return token
                .full_width
                .then(|| {
                    self.latin
                        .iter()
                        .find(|n| n.name == written || n.bare == bare(written))
                })
                .flatten()
                .map(|n| variant(n, VariantKind::FullWidth));
        }
        let unconfused: String = written
            .chars()
            .map(|c| {
                CONFUSABLES
                    .iter()
                    .find(|(k, _)| *k == c)
                    .map_or(c, |&(_, v)| v)
            })
            .collect();
        if !unconfused.is_ascii() {
            return None;
        }
        let (t_bare, t_skeleton) = (bare(&unconfused), skeleton(&unconfused));
        let mut best: Option<BrandVariant> = None;
        for n in &self.latin {
            let kind = if t_skeleton == n.skeleton {
                VariantKind::Homoglyph
            } else {
                let allowed = match n.letters {
                    0..=4 => continue,
                    5..=7 => 1,
                    _ => 2,
                };
                let d = strsim::osa_distance(&t_bare, &n.bare);
                if d == 0 || d > allowed {
                    continue;
                }
                VariantKind::Misspelling { distance: d }
            };
            let v = variant(n, kind);
            if best.as_ref().is_none_or(|b| v.score() > b.score()) {
                best = Some(v);
            }
        }
        best
    }

    fn chinese_variants(&self, folded: &str, field: &'static str, found: &mut Vec<BrandVariant>) {
        let chars: Vec<(usize, char)> = folded.char_indices().collect();
        for (brand, name) in &self.chinese {
            let len = name.len();
            // A four-character name survives two swaps (远东电缆 → 运东电揽), a shorter one one.
            let allowed = if len >= 4 { 2 } else { 1 };
            for window in chars.windows(len) {
                if !window.iter().all(|&(_, c)| is_han(c)) {
                    continue;
                }
                let swaps: Vec<(char, char)> = window
                    .iter()
                    .zip(name)
                    .filter(|((_, w), g)| w != *g)
                    .map(|(&(_, w), &g)| (w, g))
                    .collect();
                if swaps.is_empty() || swaps.len() > allowed {
                    continue;
                }
                if !swaps
                    .iter()
                    .all(|(w, g)| self.near.get(g).is_some_and(|set| set.contains(w)))
                {
                    continue;
                }
                let written: String = window.iter().map(|&(_, c)| c).collect();
                let start = window[0].0;
                let end = start + written.len();
                let everyday = self.everyday.iter().any(|word| {
                    folded
                        .match_indices(word.as_str())
                        .any(|(at, _)| at <= start && end <= at + word.len())
                });
                if everyday
                    || self.real.contains(&written)
                    || follows_compatibility_marker(folded, start)
                {
                    continue;
                }
                let (w, g) = swaps[0];
                found.push(BrandVariant {
                    brand: *brand,
                    written,
                    genuine: name.iter().collect(),
                    kind: VariantKind::NearForm {
                        written: w,
                        genuine: g,
                    },
                    field,
                });
            }
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
        let f = fold(c.encode_utf8(&mut [0; 4]));
        let is_part = f.chars().all(|fc| {
            fc.is_ascii_alphanumeric()
                || matches!(fc, '-' | '|' | '!' | '@' | '$')
                || CONFUSABLES.iter().any(|(k, _)| *k == fc)
        });
        if is_part {
            let token = current.get_or_insert_with(|| Token {
                original: String::new(),
                folded: String::new(),
                folded_start: offset,
                full_width: false,
            });
            token.folded.push_str(&f);
            token.original.push(c);
            token.full_width |= ('\u{FF01}'..='\u{FF5E}').contains(&c);
        } else if let Some(token) = current.take() {
            tokens.push(token);
        }
        offset += f.len();
    }
    tokens.extend(current);
    tokens
}

/// A name without hyphens, spaces and dots: `mann-filter` → `mannfilter`.
fn bare(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | ' ' | '.' | '_'))
        .collect()
}

/// What a name looks like to a hurried reader: 0→o, 1/i/l/|/!→l, 5/$→s, @→a, rn→m, vv→w,
/// without hyphens. Two names with the same skeleton are homoglyphs of each other.
fn skeleton(s: &str) -> String {
    let mapped: String = bare(s)
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' | '!' => 'l',
            '5' | '$' => 's',
            '@' => 'a',
            c => c,
        })
        .collect();
    mapped.replace("rn", "m").replace("vv", "w")
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
        assert_eq!(imitates("正秦 断路器").as_deref(), Some("正秦→chint"));
        assert_eq!(imitates("美帝 电饭煲").as_deref(), Some("美帝→midea"));
        assert_eq!(imitates("雷碧 汽水").as_deref(), Some("雷碧→sprite"));
        assert_eq!(imitates("耐可 运动鞋").as_deref(), Some("耐可→nike"));
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
        assert_eq!(v.kind, VariantKind::FullWidth);
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
        assert_eq!(imitates("完美的礼物 保温杯"), None);
        assert_eq!(imitates("飞利浦 空气炸锅 HD9252"), None);
    }
}
