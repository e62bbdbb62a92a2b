//! Latin-script brand variants: evasions that need no lexicon, and imitations judged against
//! the [`BrandLexicon`] learnt from the batch.
//!
//! Evasions are tricks no honest listing needs, strong evidence on their own (risk ≥ 0.5):
//! - letters of two scripts inside one word (Ѕony with a Cyrillic Ѕ, Nikоn with a Cyrillic о),
//!   or a whole word of Cyrillic/Greek look-alikes in Latin text — per the UTS #39 skeleton
//!   (`unicode-security`), whatever the letters;
//! - full-width Latin letters (Ｎｉｋｅ) in a word or a text otherwise written half width;
//! - invisible characters (zero-width space/joiner, soft hyphen, …) inside a word;
//! - a digit standing for a letter inside a word that is otherwise a word (N1ke, S0ny, R0LEX),
//!   never a model number (HD9252, USB3.0, RX1R) or an ordinal (5th).
//!
//! Imitations need the lexicon: a claimed spelling (brand field, title head) that the lexicon
//! links to a more widespread established brand (look-alike, punctuated, transposed, one or
//! two letters off), or a title head one edit from the listing's own brand field (the listing
//! contradicts itself), or any title word close to a protected brand of the catalogue (plain
//! misspellings there only in a batch large enough to know its ordinary words). A plain
//! misspelling in a title with no brand field and none of the brand's models is as likely a
//! typo: it scores below the alert level, as evidence for the other signals. A misspelling
//! beside the brand's own name in the same text (正泰/chnt) is an alias, not a disguise.
//! Compatibility phrases ("for iPod", "compatible with", 适用于) make a mention of another
//! brand no claim; evasions are caught after them all the same ("Gift for him R0LEX").
//!
//! Not here: Chinese names ([`crate::hanzi`]), multi-word bent names ([`crate::brand`]).

use crate::assessment::round3;
use crate::lexicon::{claims, key_of, BrandLexicon, ClaimField, Likeness};
use qsword_listing::catalogue::{fold, follows_compatibility_marker};
use qsword_listing::text::is_cjk;
use qsword_listing::Listing;
use unicode_script::{Script, UnicodeScript};

/// Listings a batch needs before its ordinary words are known well enough to judge plain
/// misspellings in the middle of a title.
pub const MIN_WORD_BATCH: usize = 50;

/// A word of a text: a run of letters and digits (any script but CJK), with hyphens, dots,
/// apostrophes and invisible characters inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// As written.
    pub original: String,
    /// Byte offset in `fold(text)`.
    pub folded_start: usize,
    /// Inside 【…】, […], (…) or {…}.
    pub bracketed: bool,
}

/// Characters that render as nothing (Unicode's Default_Ignorable_Code_Point, the parts that
/// occur in text): zero-width space/joiners, soft hyphen, word joiner, BOM, variation selectors.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{E0000}'..='\u{E0FFF}')
}

fn is_inner_punct(c: char) -> bool {
    matches!(c, '-' | '.' | '\'' | '_' | '－' | '．' | '’')
}

/// The words of a text, in order.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut depth: usize = 0;
    let mut cur: Option<(String, usize, bool)> = None;
    let flush = |cur: &mut Option<(String, usize, bool)>, out: &mut Vec<Word>| {
        if let Some((s, start, bracketed)) = cur.take() {
            // Trim punctuation and invisibles at the ends, keeping offsets right.
            let lead: String = s
                .chars()
                .take_while(|&c| is_inner_punct(c) || is_invisible(c))
                .collect();
            let trimmed =
                s[lead.len()..].trim_end_matches(|c: char| is_inner_punct(c) || is_invisible(c));
            if trimmed.chars().any(|c| c.is_alphanumeric()) {
                out.push(Word {
                    original: trimmed.to_string(),
                    folded_start: start + lead.chars().map(folded_len).sum::<usize>(),
                    bracketed,
                });
            }
        }
    };
    for c in text.chars() {
        let f_len = folded_len(c);
        let part = (c.is_alphanumeric() && !is_cjk(c)) || is_invisible(c) || is_inner_punct(c);
        if part {
            let w = cur.get_or_insert_with(|| (String::new(), offset, depth > 0));
            w.0.push(c);
        } else {
            flush(&mut cur, &mut out);
            match c {
                '【' | '[' | '(' | '{' | '「' | '（' | '〔' | '［' => depth += 1,
                '】' | ']' | ')' | '}' | '」' | '）' | '〕' | '］' => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
        }
        offset += f_len;
    }
    flush(&mut cur, &mut out);
    out
}

/// The length in bytes of a character once folded as [`fold`] folds it (width, then case).
fn folded_len(c: char) -> usize {
    if c.is_ascii() {
        return 1;
    }
    qsword_listing::text::fold_width(c)
        .to_lowercase()
        .map(char::len_utf8)
        .sum()
}

/// A name without hyphens, dots, apostrophes, spaces and invisible characters.
pub fn bare(s: &str) -> String {
    s.chars()
        .filter(|&c| !(is_inner_punct(c) || c == ' ' || is_invisible(c)))
        .collect()
}

/// What a name looks like to a hurried reader: the UTS #39 skeleton (Cyrillic/Greek/full-width
/// look-alikes, 0 for O, 1 and I for l, rn for m), lower case, then the look-alikes UTS #39
/// leaves apart in lower case — i/l/1/|/!, 0/o, 5/$/s, @/a, ri/n, vv/w — without punctuation.
pub fn loose_skeleton(s: &str) -> String {
    let once: String = unicode_security::skeleton(s)
        .collect::<String>()
        .to_lowercase();
    let twice: String = unicode_security::skeleton(&once)
        .collect::<String>()
        .to_lowercase();
    let b = bare(&twice)
        .replace("rn", "m")
        .replace("nn", "m")
        .replace("ri", "n")
        .replace("vv", "w")
        .replace("lc", "k");
    b.chars()
        .map(|c| match c {
            '1' | 'i' | '|' | '!' | 'l' => 'l',
            '0' => 'o',
            '5' | '$' => 's',
            '@' => 'a',
            // UTS #39 maps Greek kappa to the kra (ĸ), which reads as k.
            'ĸ' => 'k',
            c => c,
        })
        .collect()
}

/// An evasion trick in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evasion {
    /// Letters of two scripts in one word that reads as Latin (Ѕony).
    MixedScript,
    /// A whole word of Cyrillic or Greek look-alikes in Latin text (Ѕоnу).
    ForeignLookAlike,
    /// Full-width and half-width letters mixed inside the word (Soｎｙ).
    MixedWidth,
    /// A full-width word in a text otherwise written half width (Ｎｉｋｅ shoes).
    FullWidth,
    /// The whole Latin text in full width (ＰＨＩＬＩＰＳ 空气炸锅): only a known brand counts.
    AllFullWidth,
    /// An invisible character inside the word (Ni\u{200D}ke).
    Invisible,
    /// A digit for a letter in an otherwise ordinary word (N1ke, R0LEX).
    DigitForLetter,
}

impl Evasion {
    pub fn describe(&self) -> &'static str {
        match self {
            Evasion::MixedScript => "letters of another script mixed into the word",
            Evasion::ForeignLookAlike => "Cyrillic/Greek letters that look Latin",
            Evasion::MixedWidth => "full-width letters mixed into the word",
            Evasion::FullWidth => "full-width letters in half-width text",
            Evasion::AllFullWidth => "the name in full-width letters",
            Evasion::Invisible => "invisible characters inside the word",
            Evasion::DigitForLetter => "a digit in place of a letter",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Evasion::MixedScript => "mixed-script",
            Evasion::ForeignLookAlike => "foreign-look-alike",
            Evasion::MixedWidth => "mixed-width",
            Evasion::FullWidth => "full-width",
            Evasion::AllFullWidth => "full-width",
            Evasion::Invisible => "invisible-character",
            Evasion::DigitForLetter => "digit-for-letter",
        }
    }

    /// Score without a known brand behind it.
    fn alone(&self) -> f64 {
        match self {
            Evasion::MixedScript | Evasion::Invisible | Evasion::MixedWidth => 0.8,
            Evasion::ForeignLookAlike => 0.6,
            // Chinese input methods switch width by themselves: flagged, below the alert level
            // of Chinese titles unless a known brand is written so.
            Evasion::FullWidth => 0.55,
            // A digit among letters is as often a model number: only when the word, digits
            // read as letters, is a known brand.
            Evasion::DigitForLetter | Evasion::AllFullWidth => 0.0,
        }
    }

    /// Score when the word is (or looks like) an established brand.
    fn with_brand(&self) -> f64 {
        match self {
            Evasion::AllFullWidth => 0.5,
            _ => 0.9,
        }
    }
}

fn is_full_width_letter(c: char) -> bool {
    matches!(c, '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}')
}

/// Facts about the whole text that decide whether a word's oddity is a trick.
struct TextContext {
    /// Half-width ASCII letters in the text.
    half_letters: usize,
    /// Words in Cyrillic or Greek that do not read as Latin: the text is (partly) in that
    /// language, so look-alike words may be honest.
    foreign_words: usize,
}

impl TextContext {
    fn of(ws: &[Word]) -> TextContext {
        let half_letters = ws
            .iter()
            .flat_map(|w| w.original.chars())
            .filter(|c| c.is_ascii_alphabetic())
            .count();
        let foreign_words = ws
            .iter()
            .filter(|w| {
                !w.original.is_ascii()
                    && w.original.chars().any(|c| {
                        matches!(
                            c.script(),
                            Script::Cyrillic | Script::Greek | Script::Armenian
                        )
                    })
                    && !loose_skeleton(&w.original).is_ascii()
            })
            .count();
        TextContext {
            half_letters,
            foreign_words,
        }
    }
}

/// The evasion trick in a word, if any.
pub fn evasion_in(word: &str) -> Option<Evasion> {
    let ws = vec![Word {
        original: word.to_string(),
        folded_start: 0,
        bracketed: false,
    }];
    evasion(&ws[0], &TextContext::of(&ws))
}

fn evasion(w: &Word, ctx: &TextContext) -> Option<Evasion> {
    if w.original.is_ascii() {
        // Plain ASCII: only a digit can stand in for a letter (the fast path of most words).
        let chars: Vec<char> = w.original.chars().collect();
        return digit_for_letter(&chars).then_some(Evasion::DigitForLetter);
    }
    let chars: Vec<char> = w.original.chars().collect();
    let letters = chars.iter().filter(|c| c.is_alphabetic()).count();
    if letters < 2 {
        return None;
    }
    // Invisible characters between two visible ones.
    if letters >= 3
        && chars
            .iter()
            .enumerate()
            .any(|(i, &c)| is_invisible(c) && i > 0 && i + 1 < chars.len())
    {
        return Some(Evasion::Invisible);
    }
    // Scripts of the letters (Common and Inherited do not count).
    let mut scripts: Vec<Script> = Vec::new();
    for &c in &chars {
        if !c.is_alphabetic() {
            continue;
        }
        let s = c.script();
        if !matches!(s, Script::Common | Script::Inherited | Script::Unknown)
            && !scripts.contains(&s)
        {
            scripts.push(s);
        }
    }
    let skeleton = loose_skeleton(&w.original);
    let reads_latin = skeleton.chars().all(|c| c.is_ascii_alphanumeric());
    if reads_latin {
        if scripts.len() >= 2 && scripts.contains(&Script::Latin) {
            return Some(Evasion::MixedScript);
        }
        if letters >= 3
            && scripts.len() == 1
            && matches!(
                scripts[0],
                Script::Cyrillic | Script::Greek | Script::Armenian | Script::Cherokee
            )
            && ctx.half_letters > 0
            && ctx.foreign_words == 0
        {
            return Some(Evasion::ForeignLookAlike);
        }
    }
    let full = chars.iter().filter(|&&c| is_full_width_letter(c)).count();
    if full > 0 {
        let half_here = chars.iter().filter(|c| c.is_ascii_alphabetic()).count();
        if half_here > 0 {
            return Some(Evasion::MixedWidth);
        }
        if ctx.half_letters > 0 {
            return Some(Evasion::FullWidth);
        }
        return Some(Evasion::AllFullWidth);
    }
    if digit_for_letter(&chars) {
        return Some(Evasion::DigitForLetter);
    }
    None
}

/// N1ke, S0ny, R0LEX, Tosh1ba: one or two digits, each between two letters, each a letter's
/// look-alike (0 o, 1 i/l, 3 e, 4 a, 5 s), in a word of plain ASCII letters otherwise, which
/// reads as a word once the digits are letters (two vowels at least) and is cased as a word
/// (Capitalised, lower or upper case). Model numbers (HD9252, RX1R, USB3.0) and ordinals (5th)
/// fail one test or another.
fn digit_for_letter(chars: &[char]) -> bool {
    if !chars.iter().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let digits: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_ascii_digit())
        .collect();
    let letters = chars.len() - digits.len();
    if digits.is_empty() || digits.len() > 2 || letters < 3 {
        return false;
    }
    let between = digits.iter().all(|&i| {
        i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_ascii_alphabetic()
            && chars[i + 1].is_ascii_alphabetic()
            && matches!(chars[i], '0' | '1' | '3' | '4' | '5')
    });
    if !between {
        return false;
    }
    let mapped: String = chars
        .iter()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    // An ordinal or unit glued on (5th, 1st, 3rd) is no word.
    let ordinal = digits.iter().any(|&i| {
        let rest: String = chars[i + 1..]
            .iter()
            .take(2)
            .collect::<String>()
            .to_lowercase();
        matches!(rest.as_str(), "st" | "nd" | "rd" | "th")
    });
    let vowels = mapped.chars().filter(|c| "aeiouy".contains(*c)).count();
    let letters_only: Vec<char> = chars
        .iter()
        .copied()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let cased = letters_only.iter().all(|c| c.is_ascii_lowercase())
        || letters_only.iter().all(|c| c.is_ascii_uppercase())
        || (letters_only[0].is_ascii_uppercase()
            && letters_only[1..].iter().all(|c| c.is_ascii_lowercase()));
    !ordinal && vowels >= 2 && cased
}

/// A brand the variant imitates.
#[derive(Debug, Clone, PartialEq)]
pub struct Imitated {
    /// The brand's name as the market writes it.
    pub name: String,
    /// The catalogue brand id, when protected.
    pub protected: Option<String>,
    /// Sellers of the brand in the batch.
    pub sellers: usize,
    /// How the written name resembles it (None: the same name, evasively written).
    pub likeness: Option<Likeness>,
}

/// A Latin-script brand variant in a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct LatinVariant {
    /// As written.
    pub written: String,
    /// `brand` or `title`.
    pub field: &'static str,
    pub evasion: Option<Evasion>,
    pub imitates: Option<Imitated>,
    /// Sellers using the written spelling in the batch (0 when not a claimed spelling).
    pub written_sellers: usize,
    /// The listing sells a model number also sold under the imitated brand.
    pub copied_models: bool,
    pub score: f64,
}

impl LatinVariant {
    pub fn describe(&self) -> String {
        match (&self.evasion, &self.imitates) {
            (Some(e), Some(_)) => e.describe().to_string(),
            (Some(e), None) => e.describe().to_string(),
            (
                None,
                Some(Imitated {
                    likeness: Some(l), ..
                }),
            ) => l.describe(),
            _ => "a variant".into(),
        }
    }

    pub fn label(&self) -> &'static str {
        match (&self.evasion, &self.imitates) {
            (Some(e), _) => e.label(),
            (
                None,
                Some(Imitated {
                    likeness: Some(l), ..
                }),
            ) => l.label(),
            _ => "variant",
        }
    }
}

fn field_bonus(field: &'static str) -> f64 {
    // A brand field is a deliberate claim, a title may just be keyword soup.
    if field == "brand" {
        0.1
    } else {
        0.0
    }
}

/// Score of a full-width word in text with Chinese (or other CJK) characters.
const CJK_FULL_WIDTH: f64 = 0.55;

/// Score of a plain misspelling in a title without a brand field or copied models.
const TYPO_SCORE: f64 = 0.45;

fn likeness_score(l: &Likeness) -> f64 {
    match l {
        Likeness::LookAlike => 0.85,
        Likeness::Punctuated => 0.8,
        Likeness::Edited { distance } if *distance >= 2 => 0.55,
        _ => 0.7,
    }
}

/// The strongest Latin-script brand variant in a listing's brand field and title.
pub fn latin_variant(listing: &Listing, lexicon: &BrandLexicon) -> Option<LatinVariant> {
    let mut best: Option<LatinVariant> = None;
    let mut offer = |v: LatinVariant| {
        if best.as_ref().is_none_or(|b| v.score > b.score) {
            best = Some(v);
        }
    };
    // Folded only when a compatibility phrase must be looked for.
    let folded_cell = std::cell::OnceCell::new();
    let folded_title = || folded_cell.get_or_init(|| fold(&listing.title)).as_str();
    let title_words = words(&listing.title);
    let title_ctx = TextContext::of(&title_words);

    // 1. Evasions, in every word of the brand field and the title.
    let cjk_text = listing.title.chars().any(is_cjk)
        || listing
            .brand
            .as_deref()
            .is_some_and(|b| b.chars().any(is_cjk));
    let brand_words = listing.brand.as_deref().map(words).unwrap_or_default();
    let brand_ctx = TextContext::of(&brand_words);
    for (field, ws, ctx) in [
        ("brand", &brand_words, &brand_ctx),
        ("title", &title_words, &title_ctx),
    ] {
        for w in ws.iter() {
            let Some(e) = evasion(w, ctx) else { continue };
            let key = key_of(&w.original);
            let skel = loose_skeleton(&key);
            // The brand the word spells, evasion undone.
            let target = if matches!(
                e,
                Evasion::AllFullWidth | Evasion::FullWidth | Evasion::MixedWidth
            ) && lexicon.is_established(&key)
            {
                lexicon.get(&key)
            } else {
                lexicon
                    .by_skeleton(&skel)
                    .filter(|t| t.key != key)
                    .max_by_key(|t| (t.protected.is_some(), t.sellers))
            };
            let mut score = match target {
                Some(_) => e.with_brand(),
                None => e.alone(),
            };
            // Chinese input methods write whole words in full width by habit: beside Chinese
            // text a widened word is evidence, below the alert level; a word of mixed widths
            // or scripts is not a habit.
            if e == Evasion::FullWidth && cjk_text {
                score = score.min(CJK_FULL_WIDTH);
            }
            if score <= 0.0 {
                continue;
            }
            offer(LatinVariant {
                written: w.original.clone(),
                field,
                evasion: Some(e),
                imitates: target.map(|t| Imitated {
                    name: t.name.clone(),
                    protected: t.protected.clone(),
                    sellers: t.sellers,
                    likeness: None,
                }),
                written_sellers: lexicon.get(&key).map_or(0, |e| e.sellers),
                copied_models: false,
                score: round3((score + field_bonus(field)).min(0.95)),
            });
        }
    }

    // 2. Claimed spellings the lexicon links to a brand they imitate.
    let cl = claims(listing);
    let field_key = cl
        .iter()
        .find(|c| c.field == ClaimField::Brand)
        .map(|c| c.key.clone());
    for c in &cl {
        let field = match c.field {
            ClaimField::Brand => "brand",
            ClaimField::TitleHead => "title",
            ClaimField::Store => continue,
        };
        if c.field == ClaimField::TitleHead
            && follows_compatibility_marker(folded_title(), c.folded_start)
        {
            continue;
        }
        let entry = lexicon.get(&c.key);
        let linked = match entry {
            Some(e) => e
                .imitates
                .as_ref()
                .and_then(|(k, l)| lexicon.get(k).map(|t| (t, l.clone(), e.copied_models > 0))),
            // Not learnt (a listing judged against another batch's lexicon): judge it now.
            None => lexicon
                .judge(&c.key, 1, c.field == ClaimField::Brand)
                .map(|j| (j.target, j.likeness, false)),
        };
        if let Some((t, likeness, copied)) = linked {
            let bonus = if copied { 0.1 } else { 0.0 };
            // A plain misspelling in a free-text title, with no brand field claiming anything
            // and none of the brand's models, is as likely a typo: evidence, not an alarm.
            let typo = !likeness.is_look_alike() && !copied && listing.brand.is_none();
            let base = if typo {
                TYPO_SCORE
            } else {
                likeness_score(&likeness) + bonus + field_bonus(field)
            };
            offer(LatinVariant {
                written: c.written.clone(),
                field,
                evasion: None,
                imitates: Some(Imitated {
                    name: t.name.clone(),
                    protected: t.protected.clone(),
                    sellers: t.sellers,
                    likeness: Some(likeness.clone()),
                }),
                written_sellers: entry.map_or(0, |e| e.sellers),
                copied_models: copied,
                score: round3(base.min(0.95)),
            });
            continue;
        }
        // The title's head one edit from the listing's own brand field: the listing
        // contradicts itself, and only one of the two is the established brand.
        if c.field == ClaimField::TitleHead {
            if let (Some(fk), Some(own)) = (
                &field_key,
                field_key.as_deref().and_then(|k| lexicon.get(k)),
            ) {
                let (hb, fb) = (bare(&c.key), bare(fk));
                if own.established
                    && !lexicon.is_established(&c.key)
                    && !lexicon.is_word(&hb)
                    && hb != fb
                    && hb.is_ascii()
                    && hb.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 3
                    && strsim::osa_distance(&hb, &fb) == 1
                {
                    let d = 1;
                    let likeness = crate::lexicon::Likeness::Edited { distance: d };
                    offer(LatinVariant {
                        written: c.written.clone(),
                        field,
                        evasion: None,
                        imitates: Some(Imitated {
                            name: own.name.clone(),
                            protected: own.protected.clone(),
                            sellers: own.sellers,
                            likeness: Some(likeness),
                        }),
                        written_sellers: entry.map_or(0, |e| e.sellers),
                        copied_models: false,
                        score: 0.7,
                    });
                }
            }
        }
    }

    // 3. Any other title word close to a protected brand (the catalogue's priority list).
    let head_start = cl
        .iter()
        .find(|c| c.field == ClaimField::TitleHead)
        .map(|c| c.folded_start);
    for w in &title_words {
        if Some(w.folded_start) == head_start {
            continue;
        }
        // A look-alike name is mostly letters: model numbers (HD9252) are not judged.
        let letters = w.original.chars().filter(|c| c.is_alphabetic()).count();
        let digits = w.original.chars().filter(|c| c.is_ascii_digit()).count();
        if letters < 3 || digits > 2 {
            continue;
        }
        let key = key_of(&w.original);
        let Some(j) = lexicon.judge_mid(&key) else {
            continue;
        };
        if lexicon.is_established(&key)
            || lexicon.is_word(&key)
            || lexicon.is_common(&key)
            || follows_compatibility_marker(folded_title(), w.folded_start)
        {
            continue;
        }
        // Plain misspellings mid-title only when the batch is large enough to know its
        // ordinary words (Made in China is no CHINT); visual tricks always.
        if j.target.protected.is_none()
            || (!j.likeness.is_look_alike() && lexicon.listings < MIN_WORD_BATCH)
        {
            continue;
        }
        offer(LatinVariant {
            written: w.original.clone(),
            field: "title",
            evasion: None,
            imitates: Some(Imitated {
                name: j.target.name.clone(),
                protected: j.target.protected.clone(),
                sellers: j.target.sellers,
                likeness: Some(j.likeness.clone()),
            }),
            written_sellers: 0,
            copied_models: false,
            score: if !j.likeness.is_look_alike() && listing.brand.is_none() {
                TYPO_SCORE
            } else {
                likeness_score(&j.likeness)
            },
        });
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use qsword_listing::catalogue::Catalogue;
    use qsword_listing::Seller;

    fn listing(i: usize, title: &str, brand: Option<&str>, seller: &str) -> Listing {
        let mut l = Listing::new(format!("https://shop.example/{i}"), title);
        l.platform = Some("shop.example".into());
        l.brand = brand.map(str::to_string);
        l.seller = Some(Seller {
            name: seller.into(),
            id: None,
            url: None,
        });
        l
    }

    /// A small market of my own making: several makers, each sold by several sellers, with
    /// everyday words (converter, China, screwdriver) under many of them.
    fn market() -> Vec<Listing> {
        let makers = [
            "Velmora", "Quintra", "Harbex", "Sony", "Tolvane", "Brisket", "Corvana",
        ];
        let goods = [
            "Digital Converter Box, Made in China",
            "Phillips Screwdriver Set with case, Made in China",
            "Travel Adapter and Converter for laptops",
            "Wireless Speaker with stand",
            "Leather Case for iPod nano",
        ];
        let mut out = Vec::new();
        for (m, maker) in makers.iter().enumerate() {
            for (g, goods) in goods.iter().enumerate() {
                for s in 0..2 {
                    let i = out.len();
                    out.push(listing(
                        i,
                        &format!("{maker} {goods} M{m}{g}0{s}"),
                        Some(maker),
                        &format!("Seller {}", (m + g + s) % 9),
                    ));
                }
            }
        }
        out
    }

    fn found(title: &str, brand: Option<&str>) -> Option<LatinVariant> {
        let mut batch = market();
        batch.push(listing(9999, title, brand, "Someone New"));
        let lexicon = BrandLexicon::learn(&batch, &Catalogue::embedded());
        latin_variant(batch.last().unwrap(), &lexicon)
    }

    fn caught(title: &str) -> (Option<Evasion>, String, f64) {
        let v = found(title, None).unwrap_or_else(|| panic!("{title} not caught"));
        let target = v.imitates.as_ref().map_or(String::new(), |t| fold(&t.name));
        (v.evasion, target, v.score)
    }

    #[test]
    fn evasions_are_caught_with_the_brand_behind_them() {
        let (e, t, score) = caught("Ｎｉｋｅ running shoes for men");
        assert_eq!((e, t.as_str()), (Some(Evasion::FullWidth), "nike"));
        assert!(score >= 0.5);
        let (e, _, score) = caught("ＳＯＮＹ 无线耳机 WH10");
        assert_eq!(
            (e, score),
            (Some(Evasion::FullWidth), 0.55),
            "an input-method habit"
        );
        let (e, t, _) = caught("\u{0405}ony wireless headphones");
        assert_eq!(
            (e, t.as_str()),
            (Some(Evasion::MixedScript), "sony"),
            "Cyrillic Ѕ"
        );
        let (e, t, _) = caught("N1ke air sneakers");
        assert_eq!((e, t.as_str()), (Some(Evasion::DigitForLetter), "nike"));
        let (e, t, _) = caught("Ni\u{200D}ke running shoes");
        assert_eq!((e, t.as_str()), (Some(Evasion::Invisible), "nike"));
        let (e, t, _) = caught("Gift for him R0LEX watch, steel");
        assert_eq!(
            (e, t.as_str()),
            (Some(Evasion::DigitForLetter), "rolex"),
            "an evasion is caught after \"for\" too"
        );
        for title in ["So-ny wireless headphones", "So ny wireless headphones"] {
            let v = found(title, None).expect(title);
            assert_eq!(
                v.imitates.and_then(|t| t.likeness),
                Some(Likeness::Punctuated),
                "{title}"
            );
        }
        let v = found("Walking shoes, light", Some("Ｓｏｎｙ")).expect("full-width brand field");
        assert_eq!(v.field, "brand");
    }

    #[test]
    fn evasions_alone_need_no_lexicon() {
        assert_eq!(evasion_in("Mo\u{0441}kingbird"), Some(Evasion::MixedScript));
        assert_eq!(evasion_in("Flo\u{00AD}ratex"), Some(Evasion::Invisible));
        assert_eq!(evasion_in("Zenｍark"), Some(Evasion::MixedWidth));
        for model in [
            "HD9252",
            "USB3.0",
            "RX1R",
            "5th",
            "A7R",
            "KXTG1033S",
            "MP3",
            "4K",
        ] {
            assert_eq!(evasion_in(model), None, "{model} is a model number");
        }
        assert_eq!(evasion_in("Tr1ton"), Some(Evasion::DigitForLetter));
        // A digit for a letter only counts where the word is a known brand.
        let lexicon = BrandLexicon::learn(&[], &Catalogue::embedded());
        let l = Listing::new("u", "Tr1ton camping lantern");
        assert_eq!(latin_variant(&l, &lexicon), None);
    }

    #[test]
    fn words_compatibility_and_real_brands_are_not_variants() {
        for title in [
            "Quintra Digital Converter Box, Made in China M9",
            "Phillips Screwdriver Set, Made in China",
            "Converter for travel, universal",
            "Leather case for iPod classic",
            "Case compatible with Nike+ sensor",
            "Sony wireless headphones WH1000",
            "Velmora Wireless Speaker HD9252 USB3.0",
        ] {
            assert_eq!(found(title, None), None, "{title}");
        }
    }

    #[test]
    fn two_real_brands_one_edit_apart_are_both_real() {
        let mut batch = market();
        // Two makers one letter apart, each with its own sellers and models.
        for i in 0..8 {
            batch.push(listing(
                500 + i,
                &format!("Marvona Stand Mixer KM{i}10"),
                Some("Marvona"),
                &format!("Kitchen Shop {}", i % 4),
            ));
            batch.push(listing(
                600 + i,
                &format!("Marvina Hair Dryer HD{i}20"),
                Some("Marvina"),
                &format!("Beauty Shop {}", i % 3),
            ));
        }
        let lexicon = BrandLexicon::learn(&batch, &Catalogue::embedded());
        for l in &batch {
            assert_eq!(latin_variant(l, &lexicon), None, "{}", l.title);
        }
        // A one-seller spelling that sells the bigger maker's model is an imitation.
        batch.push(listing(
            700,
            "Marvonna Stand Mixer KM310",
            Some("Marvonna"),
            "Lone",
        ));
        batch.last_mut().unwrap().model = Some("KM310".into());
        for l in batch.iter_mut() {
            l.model = l.title.split_whitespace().last().map(str::to_string);
        }
        let lexicon = BrandLexicon::learn(&batch, &Catalogue::embedded());
        let v = latin_variant(batch.last().unwrap(), &lexicon).expect("Marvonna");
        assert_eq!(v.imitates.map(|t| t.name), Some("Marvona".to_string()));
        assert!(v.copied_models && v.score >= 0.8);
    }

    #[test]
    fn a_spelling_many_fake_sellers_share_still_imitates_when_it_sells_the_brands_models() {
        let mut batch = market();
        for i in 0..30 {
            let mut l = listing(
                1000 + i,
                &format!("Velmora Air Fryer AF{}0", i % 5),
                Some("Velmora"),
                &format!("Seller {}", i % 15),
            );
            l.model = Some(format!("AF{}0", i % 5));
            batch.push(l);
        }
        for i in 0..4 {
            let mut l = listing(
                1100 + i,
                &format!("Velmorra Air Fryer AF{}0", i % 5),
                Some("Velmorra"),
                &format!("Bulk {i}"),
            );
            l.model = Some(format!("AF{}0", i % 5));
            batch.push(l);
        }
        let lexicon = BrandLexicon::learn(&batch, &Catalogue::embedded());
        let e = lexicon.get("velmorra").unwrap();
        assert!(e.established, "four sellers");
        for l in &batch[batch.len() - 4..] {
            let v = latin_variant(l, &lexicon).expect("Velmorra");
            assert_eq!(v.imitates.map(|t| t.name), Some("Velmora".to_string()));
        }
    }

    #[test]
    fn a_many_part_name_written_another_way_is_no_trick() {
        let mut batch = market();
        for i in 0..6 {
            batch.push(listing(
                800 + i,
                &format!("Morel-Dane Table Lamp ML{i}1"),
                Some("Morel-Dane"),
                &format!("Lamp Shop {i}"),
            ));
        }
        batch.push(listing(
            900,
            "Morel Dane Floor Lamp FL2",
            Some("Morel Dane"),
            "Lone",
        ));
        batch.push(listing(
            901,
            "Vel-mora Speaker stand",
            Some("Vel-mora"),
            "Lone",
        ));
        let lexicon = BrandLexicon::learn(&batch, &Catalogue::embedded());
        assert_eq!(latin_variant(&batch[batch.len() - 2], &lexicon), None);
        let v = latin_variant(batch.last().unwrap(), &lexicon).expect("Vel-mora");
        assert_eq!(
            v.imitates.and_then(|t| t.likeness),
            Some(Likeness::Punctuated)
        );
    }

    #[test]
    fn skeletons_undo_look_alikes() {
        for (a, b) in [
            ("\u{0405}ony", "Sony"),
            ("S0NY", "sony"),
            ("PhiIips", "philips"),
            ("Ｎｉｋｅ", "nike"),
            ("\u{039D}\u{03B9}\u{03BA}\u{03BF}n", "nikon"),
            ("Sarnsung", "samsung"),
            ("Ni\u{200B}ke", "nike"),
        ] {
            assert_eq!(loose_skeleton(a), loose_skeleton(b), "{a} / {b}");
        }
        assert_ne!(loose_skeleton("Sony"), loose_skeleton("Sonic"));
    }
}
