//! Chinese brand names and their imitations: a character swapped for one alike in shape
//! (公午/公牛, 雷碧/雪碧) or in sound (耐可/耐克, 农夫三泉/农夫山泉 — near-homophones via pinyin,
//! with the s/sh, z/zh, c/ch and -n/-ng confusions of southern Mandarin), a character split in
//! two (周隹牌 for 雕牌), or one character slipped in (六个土核桃 for 六个核桃).
//!
//! **Shapes** come from character decomposition data ([`Shapes`], `data/cjk-decomp-gb2312.txt`,
//! the CJK Decomposition Data, Apache-2.0): two characters are alike when they are built the
//! same way from the same components but one, weighted by strokes (博/搏 share 尃; 雪/雷 share
//! 雨), when one is the other plus a stroke or two (木/米, 大/犬, 西/酉), or when small components hold
//! the same strokes rearranged (牛/午). A character split in two is one whose left and right
//! parts are characters of their own (雕 → 周隹), each part also as a character alike in
//! shape. **Sounds** come from the `pinyin` crate.
//!
//! **Words are protected.** A text is segmented with jieba (its default dictionary, as the
//! index uses) and a look-alike only counts when it covers whole words: 实木|家具 holds no 木家,
//! 小|迷你 no 小迷. A look-alike that is itself a common word of the dictionary (博士, 正太,
//! 吊牌), or whose swapped character sits in one (三|泉 is fine, 毫安|可爱 is not a window), is
//! that word, not an imitation. Names given as real ([`HanziMatcher::with_real_names`]: a
//! learnt lexicon's brands, say; `brand.rs` keeps the catalogue's own) are never imitations.
//!
//! Not for: Latin names (see `brand.rs`), traditional characters (only GB2312 characters are
//! candidates), or telling whether a title that writes the brand's real name sells a fake.
//!
//! Matching is indexed by character: every character that is, looks like or sounds like a
//! character of a protected name points to (name, position), so a title is read once, not
//! once per name; only titles with a candidate are segmented.

use jieba_rs::Jieba;
use pinyin::{ToPinyin, ToPinyinMulti};
use qsword_listing::text::is_han;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

/// Similarity (0–1, see [`Shapes::similarity`]) from which two characters are alike in shape.
const SHAPE_SIMILARITY: f64 = 0.6;

/// The similarity a swapped character needs in a two-character name, where it is half of it:
/// the parts it shares with the genuine character carry at least five eighths of the strokes.
const SHORT_NAME_SHAPE_SIMILARITY: f64 = 0.625;

/// Similarity of two small components (at most [`SMALL_STROKES`] strokes) made of the same
/// strokes in another arrangement (the 干 of 午 and the top of 牛).
const REARRANGED: f64 = 0.8;
const SMALL_STROKES: u32 = 4;

/// How deep [`Shapes::similarity`] compares components of components.
const SHAPE_DEPTH: u8 = 3;

/// jieba dictionary frequency from which a word is common: a look-alike that is such a word
/// (博士 3373, 可爱 989, 吊牌 33, 正太 25) means the word. Rare entries (奈克 2, 三泉 5) are
/// mostly names and transliterations, which an imitation may well coincide with.
const COMMON_WORD_FREQ: usize = 10;

/// The decomposition records (see `data/README.md`).
const DECOMPOSITIONS: &str = include_str!("../data/cjk-decomp-gb2312.txt");

/// jieba with its default dictionary, loaded once (the same dictionary as the index's).
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Whether `word` is a common word of jieba's dictionary (its frequency at least
/// [`COMMON_WORD_FREQ`]).
pub fn is_common_word(word: &str) -> bool {
    let j = jieba();
    // For a dictionary word `suggest_freq` is its frequency + 1.
    word.chars().count() >= 2 && j.has_word(word) && j.suggest_freq(word) > COMMON_WORD_FREQ
}

/// Whether `word` (two characters or more) is in jieba's dictionary at all.
pub fn is_dictionary_word(word: &str) -> bool {
    word.chars().count() >= 2 && jieba().has_word(word)
}

/// Near forms found so far: character → (alike character, similarity).
type NearForms = HashMap<char, Vec<(char, f64)>>;

/// How characters are built: each character or intermediate shape → its configuration and
/// components.
pub struct Shapes {
    parts: HashMap<String, (String, Vec<String>)>,
    strokes: HashMap<String, u32>,
    /// The basic components of each character or shape, with repeats, sorted.
    leaves: HashMap<String, Vec<String>>,
}

impl Shapes {
    /// The embedded data, parsed once.
    pub fn get() -> &'static Shapes {
        static SHAPES: OnceLock<Shapes> = OnceLock::new();
        SHAPES.get_or_init(|| Shapes::parse(DECOMPOSITIONS))
    }

    fn parse(data: &str) -> Shapes {
        let mut parts = HashMap::new();
        for line in data.lines() {
            let Some((key, rest)) = line.split_once(':') else {
                continue;
            };
            let Some((config, list)) = rest.split_once('(') else {
                continue;
            };
            let components: Vec<String> = list
                .trim_end_matches(')')
                .split(',')
                .filter(|c| !c.is_empty() && *c != key)
                .map(str::to_string)
                .collect();
            parts.insert(key.to_string(), (config.to_string(), components));
        }
        let mut shapes = Shapes {
            parts,
            strokes: HashMap::new(),
            leaves: HashMap::new(),
        };
        let keys: Vec<String> = shapes.parts.keys().cloned().collect();
        let strokes = keys
            .iter()
            .map(|k| (k.clone(), shapes.count_strokes(k, 0)))
            .collect();
        shapes.strokes = strokes;
        let leaves = keys
            .iter()
            .map(|k| {
                let mut out = Vec::new();
                shapes.leaves(k, 0, &mut out);
                out.sort();
                (k.clone(), out)
            })
            .collect();
        shapes.leaves = leaves;
        shapes
    }

    /// How many times a configuration repeats its one component (`ra` twice, `r3d` thrice).
    fn repeats(config: &str) -> u32 {
        if !config.starts_with('r') || config.starts_with("ref") || config.starts_with("rot") {
            return 1;
        }
        match config.as_bytes().get(1) {
            Some(d @ b'2'..=b'9') => u32::from(d - b'0'),
            _ => 2,
        }
    }

    fn count_strokes(&self, x: &str, depth: u8) -> u32 {
        match self.parts.get(x) {
            Some((config, cs)) if !cs.is_empty() && depth < 12 => {
                let n: u32 = cs.iter().map(|c| self.count_strokes(c, depth + 1)).sum();
                if cs.len() == 1 {
                    n * Shapes::repeats(config)
                } else {
                    n
                }
            }
            _ => 1,
        }
    }

    /// Strokes of a character or shape, counted from its decomposition (basic components
    /// count one).
    pub fn strokes(&self, x: &str) -> u32 {
        self.strokes.get(x).copied().unwrap_or(1)
    }

    /// The basic components of `x`, with repeats, sorted.
    fn leaves(&self, x: &str, depth: u8, out: &mut Vec<String>) {
        match self.parts.get(x) {
            Some((config, cs)) if !cs.is_empty() && depth < 12 => {
                let times = if cs.len() == 1 {
                    Shapes::repeats(config)
                } else {
                    1
                };
                for _ in 0..times {
                    for c in cs {
                        self.leaves(c, depth + 1, out);
                    }
                }
            }
            _ => out.push(x.to_string()),
        }
    }

    fn leaves_of(&self, x: &str) -> Vec<String> {
        self.leaves
            .get(x)
            .cloned()
            .unwrap_or_else(|| vec![x.to_string()])
    }

    fn same_strokes(&self, x: &str, y: &str) -> bool {
        self.leaves_of(x) == self.leaves_of(y)
    }

    /// Whether `big` is made of the basic components of `small` and one more basic component
    /// (西 + 一 = 酉, 牛 + 一 = 生, 大 + 丶 = 犬).
    fn one_stroke_more(&self, small: &str, big: &str) -> bool {
        if self.strokes(big) != self.strokes(small) + 1 {
            return false;
        }
        let (a, b) = (self.leaves_of(small), self.leaves_of(big));
        if b.len() != a.len() + 1 {
            return false;
        }
        // Sorted multisets: `a` must be `b` less one element.
        let (mut i, mut skipped) = (0, false);
        for leaf in &b {
            if i < a.len() && a[i] == *leaf {
                i += 1;
            } else if skipped {
                return false;
            } else {
                skipped = true;
            }
        }
        i == a.len()
    }

    /// How alike two characters (or shapes) look, 0–1: 1 for the same; for two built the
    /// same way (same configuration, as many components) the stroke-weighted mean of their
    /// components' similarities; for one that is the other plus a component of one or two
    /// strokes, or the other's basic components and one stroke more (西/酉), the share of
    /// strokes they have in common; for two small components of the same
    /// strokes rearranged, [`REARRANGED`].
    pub fn similarity(&self, x: &str, y: &str) -> f64 {
        self.similar(x, y, 0)
    }

    fn similar(&self, x: &str, y: &str, depth: u8) -> f64 {
        if x == y {
            return 1.0;
        }
        if depth > SHAPE_DEPTH {
            return 0.0;
        }
        let (sx, sy) = (self.strokes(x), self.strokes(y));
        let mut best: f64 = 0.0;
        if sx > 1 && sx <= SMALL_STROKES && sx == sy && self.same_strokes(x, y) {
            best = REARRANGED;
        }
        let class = |c: &str| c.split('/').next().unwrap_or("").to_string();
        if let (Some((cx, px)), Some((cy, py))) = (self.parts.get(x), self.parts.get(y)) {
            if !px.is_empty() && px.len() == py.len() && class(cx) == class(cy) {
                let mut total = 0.0;
                let mut alike = 0.0;
                for (a, b) in px.iter().zip(py) {
                    let w = f64::from(self.strokes(a).max(self.strokes(b)));
                    total += w;
                    alike += w * self.similar(a, b, depth + 1);
                }
                best = best.max(alike / total);
            }
        }
        for (p, q) in [(x, y), (y, x)] {
            // A component with one stroke more, the rest the same (日 in 酉 for 囗 in 西).
            if depth >= 1 && self.strokes(p) >= 2 && self.one_stroke_more(p, q) {
                best = best.max(f64::from(self.strokes(p)) / f64::from(self.strokes(q)));
            }
            if let Some((_, pq)) = self.parts.get(q) {
                if pq.len() == 2 && pq.iter().any(|c| c == p) {
                    let other = pq.iter().find(|c| *c != p);
                    if other.is_some_and(|o| self.strokes(o) <= 2) {
                        best = best.max(f64::from(self.strokes(p)) / f64::from(self.strokes(q)));
                    }
                }
            }
        }
        best
    }

    /// The common characters alike in shape to `c` (similarity at least [`SHAPE_SIMILARITY`]),
    /// remembered per character.
    pub fn near_forms(&self, c: char) -> Vec<(char, f64)> {
        static CACHE: OnceLock<Mutex<NearForms>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(found) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&c) {
            return found.clone();
        }
        let key = c.to_string();
        let found: Vec<(char, f64)> = if self.parts.contains_key(&key) {
            common_chars()
                .iter()
                .filter(|&&w| w != c)
                .map(|&w| (w, self.similarity(&key, w.encode_utf8(&mut [0; 4]))))
                .filter(|&(_, similarity)| similarity >= SHAPE_SIMILARITY)
                .collect()
        } else {
            Vec::new()
        };
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(c, found.clone());
        found
    }

    /// Ways to write `c` as two characters side by side: its left and right parts when it is
    /// built across of two (雕 = 周 + 隹), each part as itself or a common character alike
    /// in shape (隹 → 住), both parts common characters.
    pub fn splits(&self, c: char) -> Vec<String> {
        let Some((config, cs)) = self.parts.get(c.encode_utf8(&mut [0; 4]) as &str) else {
            return Vec::new();
        };
        if !config.starts_with('a') || cs.len() != 2 {
            return Vec::new();
        }
        let spellings = |part: &str| -> Vec<char> {
            let mut chars: Vec<char> = Vec::new();
            let mut it = part.chars();
            if let (Some(p), None) = (it.next(), it.next()) {
                if is_common(p) {
                    chars.push(p);
                }
                chars.extend(self.near_forms(p).into_iter().map(|(w, _)| w));
            }
            chars
        };
        let (left, right) = (spellings(&cs[0]), spellings(&cs[1]));
        let mut out = Vec::new();
        for &l in &left {
            for &r in &right {
                out.push(format!("{l}{r}"));
            }
        }
        out
    }
}

/// The common characters (GB2312 levels 1 and 2), in code point order.
fn common_chars() -> &'static [char] {
    static CHARS: OnceLock<Vec<char>> = OnceLock::new();
    CHARS.get_or_init(|| {
        ('\u{4E00}'..='\u{9FFF}')
            .filter(|c| is_common(*c))
            .collect()
    })
}

/// How a written character stands for a name's character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Likeness {
    Same,
    /// Alike in shape: built alike from components ([`Shapes::similarity`]).
    Shape,
    /// Alike in sound: the same pinyin (toneless, any reading), s/sh z/zh c/ch and -n/-ng
    /// confused.
    Sound,
}

/// One imitation of a Chinese name found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct HanziMatch {
    /// Index of the name in the list the matcher was built from.
    pub name: usize,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub how: HanziImitation,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HanziImitation {
    /// Characters swapped: (written, genuine, likeness).
    Swapped(Vec<(char, char, Likeness)>),
    /// A character written as two.
    Split { written: String, genuine: char },
    /// One character slipped into the name.
    Inserted(char),
}

/// The Chinese names to protect, indexed for one pass over a text.
#[derive(Debug, Clone)]
pub struct HanziMatcher {
    names: Vec<Vec<char>>,
    /// written character → (name, position, likeness).
    index: HashMap<char, Vec<(u32, u8, Likeness)>>,
    /// Name spellings with one character split in two: (name, split spelling, written, genuine).
    splits: Vec<(usize, String, String, char)>,
    /// First character of a split spelling → indices into `splits`.
    splits_by_first: HashMap<char, Vec<usize>>,
    /// Real names (of any brand) that are never an imitation of another, nor part of one.
    real: Vec<String>,
}

impl HanziMatcher {
    pub fn new(names: &[Vec<char>]) -> HanziMatcher {
        let shapes = Shapes::get();
        let wanted: HashSet<char> = names.iter().flatten().copied().collect();
        let sounds = sound_alikes(&wanted);
        let mut index: HashMap<char, Vec<(u32, u8, Likeness)>> = HashMap::new();
        for (n, name) in names.iter().enumerate() {
            for (p, &g) in name.iter().enumerate() {
                let mut add = |w: char, how| {
                    let entry = index.entry(w).or_default();
                    if !entry
                        .iter()
                        .any(|&(en, ep, _)| en == n as u32 && ep == p as u8)
                    {
                        entry.push((n as u32, p as u8, how));
                    }
                };
                add(g, Likeness::Same);
                // A two-character name with one character changed keeps only half of itself:
                // there the other character must look very much alike, or sound the same.
                let short = name.len() <= 2;
                let min_shape = if short {
                    SHORT_NAME_SHAPE_SIMILARITY
                } else {
                    SHAPE_SIMILARITY
                };
                for (w, similarity) in shapes.near_forms(g) {
                    if similarity >= min_shape {
                        add(w, Likeness::Shape);
                    }
                }
                for &(w, same) in sounds.get(&g).into_iter().flatten() {
                    if same || !short {
                        add(w, Likeness::Sound);
                    }
                }
            }
        }
        let mut splits = Vec::new();
        for (n, name) in names.iter().enumerate() {
            for (p, &g) in name.iter().enumerate() {
                for parts in shapes.splits(g) {
                    let spelled: String = name[..p]
                        .iter()
                        .chain(parts.chars().collect::<Vec<_>>().iter())
                        .chain(&name[p + 1..])
                        .collect();
                    splits.push((n, spelled, parts, g));
                }
            }
        }
        let mut splits_by_first: HashMap<char, Vec<usize>> = HashMap::new();
        for (k, split) in splits.iter().enumerate() {
            if let Some(c) = split.1.chars().next() {
                splits_by_first.entry(c).or_default().push(k);
            }
        }
        HanziMatcher {
            names: names.to_vec(),
            index,
            splits,
            splits_by_first,
            real: Vec::new(),
        }
    }

    /// The matcher with more real names (folded): a learnt lexicon's brands seen in the
    /// market, say. A look-alike overlapping one of them is that brand, not an imitation.
    pub fn with_real_names(mut self, names: impl IntoIterator<Item = String>) -> HanziMatcher {
        self.real
            .extend(names.into_iter().filter(|n| n.chars().count() >= 2));
        self.real.sort();
        self.real.dedup();
        self
    }

    /// The `i`-th name as written.
    pub fn name(&self, i: usize) -> String {
        self.names[i].iter().collect()
    }

    /// Every imitation of a name in `text` (already folded). Exact names are not imitations.
    pub fn imitations(&self, text: &str) -> Vec<HanziMatch> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut found = Vec::new();
        // (name, start char) → likeness per position.
        let mut windows: HashMap<(u32, usize), Vec<Option<Likeness>>> = HashMap::new();
        for (i, &(_, c)) in chars.iter().enumerate() {
            let Some(entries) = self.index.get(&c) else {
                continue;
            };
            for &(n, p, how) in entries {
                let p = p as usize;
                let len = self.names[n as usize].len();
                if i < p || i - p + len > chars.len() {
                    continue;
                }
                let slot = windows.entry((n, i - p)).or_insert_with(|| vec![None; len]);
                // Same beats Shape beats Sound where a character is several at once.
                if slot[p].is_none_or(|old| rank(how) < rank(old)) {
                    slot[p] = Some(how);
                }
            }
        }
        for ((n, start), slots) in windows {
            let name = &self.names[n as usize];
            if slots.iter().any(Option::is_none) {
                // One character slipped in: the name's head, one Han character, its tail.
                if name.len() >= 4 {
                    if let Some(m) = self.inserted(n as usize, &chars, start) {
                        found.push(m);
                    }
                }
                continue;
            }
            let swaps: Vec<(char, char, Likeness)> = slots
                .iter()
                .zip(name)
                .enumerate()
                .filter_map(|(k, (how, &g))| {
                    let how = (*how)?;
                    (how != Likeness::Same).then(|| (chars[start + k].1, g, how))
                })
                .collect();
            let allowed = if name.len() >= 3 { 2 } else { 1 };
            if swaps.is_empty() || swaps.len() > allowed {
                continue;
            }
            // Two sound-alikes in a three-character name leave too little of it.
            let sounds = swaps.iter().filter(|s| s.2 == Likeness::Sound).count();
            if swaps.len() == 2 && sounds > 0 && name.len() < 4 {
                continue;
            }
            let end_char = start + name.len();
            let end = chars.get(end_char).map_or(text.len(), |&(b, _)| b);
            found.push(HanziMatch {
                name: n as usize,
                start: chars[start].0,
                end,
                how: HanziImitation::Swapped(swaps),
            });
        }
        for (at, c) in text.char_indices() {
            for &k in self.splits_by_first.get(&c).into_iter().flatten() {
                let (n, spelled, written, genuine) = &self.splits[k];
                if text[at..].starts_with(spelled.as_str()) {
                    found.push(HanziMatch {
                        name: *n,
                        start: at,
                        end: at + spelled.len(),
                        how: HanziImitation::Split {
                            written: written.clone(),
                            genuine: *genuine,
                        },
                    });
                }
            }
        }
        if found.is_empty() {
            return found;
        }
        let words = Words::of(text);
        found.retain(|m| {
            words.is_run(m.start, m.end)
                && !self.means_a_word(text, m, &words)
                && !self
                    .real
                    .iter()
                    .any(|r| overlaps_occurrence(text, r, m.start, m.end))
        });
        found.sort_by_key(|m| (m.start, m.name));
        found
    }

    /// Whether a look-alike reads as ordinary words: it is a common word itself, or a swapped
    /// or slipped-in character is part of a common word of the text that the name does not
    /// hold (毫安|可爱 around 安可; 三|泉 is no such word).
    fn means_a_word(&self, text: &str, m: &HanziMatch, words: &Words) -> bool {
        let written = &text[m.start..m.end];
        // Half of a two-character name changed leaves a word of the language whenever the
        // dictionary knows one (白事, 美乳, 奈克): then it is that word or name.
        let short = self.names[m.name].len() <= 2;
        if is_common_word(written) || (short && is_dictionary_word(written)) {
            return true;
        }
        let name: String = self.names[m.name].iter().collect();
        let changed: Vec<char> = match &m.how {
            HanziImitation::Swapped(swaps) => swaps.iter().map(|s| s.0).collect(),
            HanziImitation::Inserted(c) => vec![*c],
            HanziImitation::Split { written, .. } => written.chars().collect(),
        };
        words.within(m.start, m.end).any(|(s, e)| {
            let word = &text[s..e];
            word.chars().any(|c| changed.contains(&c))
                && !name.contains(word)
                && is_common_word(word)
        })
    }

    fn inserted(&self, n: usize, chars: &[(usize, char)], start: usize) -> Option<HanziMatch> {
        let name = &self.names[n];
        let window = chars.get(start..start + name.len() + 1)?;
        if !window.iter().all(|&(_, c)| is_han(c)) {
            return None;
        }
        (1..name.len()).find_map(|k| {
            let head = window[..k]
                .iter()
                .map(|&(_, c)| c)
                .eq(name[..k].iter().copied());
            let tail = window[k + 1..]
                .iter()
                .map(|&(_, c)| c)
                .eq(name[k..].iter().copied());
            (head && tail).then(|| HanziMatch {
                name: n,
                start: window[0].0,
                end: chars.get(start + name.len() + 1).map_or(
                    window[name.len()].0 + window[name.len()].1.len_utf8(),
                    |&(b, _)| b,
                ),
                how: HanziImitation::Inserted(window[k].1),
            })
        })
    }
}

/// A text cut into words by jieba (dictionary words only, no HMM guesses: an unknown run of
/// characters stays single characters, so an imitation is a run of whole words).
struct Words {
    /// Byte ranges of the words, in order.
    spans: Vec<(usize, usize)>,
    starts: HashSet<usize>,
    ends: HashSet<usize>,
}

impl Words {
    fn of(text: &str) -> Words {
        let base = text.as_ptr() as usize;
        let spans: Vec<(usize, usize)> = jieba()
            .cut(text, false)
            .into_iter()
            .map(|w| {
                let s = w.as_ptr() as usize - base;
                (s, s + w.len())
            })
            .collect();
        Words {
            starts: spans.iter().map(|s| s.0).collect(),
            ends: spans.iter().map(|s| s.1).collect(),
            spans,
        }
    }

    /// Whether `start..end` begins and ends on word boundaries.
    fn is_run(&self, start: usize, end: usize) -> bool {
        self.starts.contains(&start) && self.ends.contains(&end)
    }

    /// The words inside `start..end`.
    fn within(&self, start: usize, end: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.spans
            .iter()
            .copied()
            .filter(move |&(s, e)| start <= s && e <= end)
    }
}

/// Whether an occurrence of `real` in `text` overlaps the byte range `start..end`.
fn overlaps_occurrence(text: &str, real: &str, start: usize, end: usize) -> bool {
    text.match_indices(real)
        .any(|(at, _)| at < end && start < at + real.len())
}

fn rank(l: Likeness) -> u8 {
    match l {
        Likeness::Same => 0,
        Likeness::Shape => 1,
        Likeness::Sound => 2,
    }
}

/// For each wanted character, the common characters that sound like it, each with whether it
/// sounds *the same* (its usual reading, toneless, is a reading of the wanted character)
/// rather than merely alike (another of its readings, or a southern confusion). Only the CJK
/// Unified Ideographs block is searched (the characters titles are written in).
fn sound_alikes(wanted: &HashSet<char>) -> HashMap<char, Vec<(char, bool)>> {
    let mut by_sound: HashMap<String, Vec<char>> = HashMap::new();
    for &c in common_chars() {
        for s in sounds_of(c) {
            by_sound.entry(s).or_default().push(c);
        }
    }
    let mut out: HashMap<char, Vec<(char, bool)>> = HashMap::new();
    for &g in wanted {
        let plain: Vec<String> = g
            .to_pinyin_multi()
            .map(|m| m.into_iter().map(|p| p.plain().to_string()).collect())
            .unwrap_or_default();
        let mut alike: Vec<char> = sounds_of(g)
            .iter()
            .flat_map(|s| by_sound.get(s).into_iter().flatten().copied())
            .filter(|&w| w != g)
            .collect();
        alike.sort_unstable();
        alike.dedup();
        let entry = out.entry(g).or_default();
        for w in alike {
            let same = w
                .to_pinyin()
                .is_some_and(|p| plain.iter().any(|q| q == p.plain()));
            entry.push((w, same));
        }
    }
    out
}

/// Toneless readings of a character, with the confusable sounds merged.
fn sounds_of(c: char) -> Vec<String> {
    let Some(multi) = c.to_pinyin_multi() else {
        return Vec::new();
    };
    multi.into_iter().map(|p| fuzzy(p.plain())).collect()
}

/// s/sh, z/zh, c/ch and -ng/-n are one sound to many speakers (山 shan / 三 san).
fn fuzzy(plain: &str) -> String {
    let s = plain
        .strip_prefix("zh")
        .map(|r| format!("z{r}"))
        .or_else(|| plain.strip_prefix("ch").map(|r| format!("c{r}")))
        .or_else(|| plain.strip_prefix("sh").map(|r| format!("s{r}")))
        .unwrap_or_else(|| plain.to_string());
    match s.strip_suffix('g') {
        Some(r) if r.ends_with('n') => r.to_string(),
        _ => s,
    }
}

/// The GB2312 level-1 range is not in Unicode order, so "common" is approximated by the
/// characters GBK encodes in its GB2312 part: those a title is likely written in.
fn is_common(c: char) -> bool {
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(s);
    !unmappable && bytes.len() == 2 && (0xB0..=0xF7).contains(&bytes[0]) && bytes[1] >= 0xA1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(names: &[&str]) -> HanziMatcher {
        HanziMatcher::new(
            &names
                .iter()
                .map(|n| n.chars().collect())
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn swaps_splits_and_insertions_are_found_and_the_name_itself_is_not() {
        let m = matcher(&["雕牌", "六个核桃", "农夫山泉", "耐克"]);
        let names = |t: &str| m.imitations(t).iter().map(|x| x.name).collect::<Vec<_>>();
        assert_eq!(names("周隹牌 洗衣粉"), vec![0], "雕 = 周 + 隹");
        assert_eq!(names("六个土核桃 饮料"), vec![1]);
        assert_eq!(names("农夫三泉 矿泉水"), vec![2], "shan/san");
        assert_eq!(names("耐可 跑鞋"), vec![3]);
        assert!(names("耐克 跑鞋 农夫山泉").is_empty());
        let found = m.imitations("正品 耐可 跑鞋");
        assert_eq!(&"正品 耐可 跑鞋"[found[0].start..found[0].end], "耐可");
        assert!(
            names("正品 奈克 跑鞋").is_empty(),
            "奈克 is a name of jieba's dictionary"
        );
    }

    #[test]
    fn real_names_and_real_words_are_not_imitations() {
        let m = matcher(&["农夫山泉", "小米", "米家", "博世"]);
        let names = |m: &HanziMatcher, t: &str| m.imitations(t).len();
        assert_eq!(names(&m, "农夫三泉 饮用水"), 1);
        let m2 = m.clone().with_real_names(["农夫三泉".to_string()]);
        assert_eq!(names(&m2, "农夫三泉 饮用水"), 0, "a real name given later");
        assert_eq!(names(&m, "小迷你音箱"), 0, "小|迷你");
        assert_eq!(names(&m, "实木家具"), 0, "木 and 米 are in other words");
        assert_eq!(names(&m, "兔博士 口琴"), 0, "博士 is a common word");
    }

    #[test]
    fn shapes_come_from_the_decomposition_data() {
        let s = Shapes::get();
        let alike = |a: &str, b: &str| s.similarity(a, b);
        for (a, b) in [
            ("博", "搏"), // same phonetic 尃, radical changed
            ("雪", "雷"), // 雨 kept
            ("牛", "午"), // the same strokes rearranged
            ("木", "米"), // a stroke pair added
            ("大", "犬"),
            ("西", "酉"), // a component with one stroke more
            ("牛", "生"),
        ] {
            assert!(alike(a, b) >= SHAPE_SIMILARITY, "{a}/{b}: {}", alike(a, b));
            assert_eq!(alike(a, b), alike(b, a), "symmetric");
        }
        for (a, b) in [("牛", "本"), ("妈", "好"), ("星", "春"), ("公", "工")] {
            assert!(alike(a, b) < SHAPE_SIMILARITY, "{a}/{b}: {}", alike(a, b));
        }
        assert!(s.near_forms('牛').iter().any(|&(c, _)| c == '午'));
        assert!(s.splits('雕').contains(&"周隹".to_string()));
    }

    #[test]
    fn pinyin_is_read_with_the_southern_confusions() {
        assert_eq!(fuzzy("shan"), "san");
        assert_eq!(fuzzy("zhang"), "zan");
        assert_eq!(fuzzy("ming"), "min");
        assert!(sounds_of('山').contains(&"san".to_string()));
        assert!(is_common('山') && !is_common('兎'));
    }
}
