//! The cue signal: words that sellers of fakes use to reach buyers who want fakes (高仿, 原单,
//! 1:1, A货, replica, mirror copy, AAA quality, …), from `seeds/cues.toml`, with their weights.
//!
//! What it catches beyond the plain word: obfuscated spellings — letters spaced or punctuated
//! (r.e.p.l.i.c.a, r e p l i c a), digits and symbols for letters (rep1ica, repl!ca, r3plica),
//! look-alike Cyrillic/Greek letters, full-width letters, zero-width characters inside a word,
//! one letter off in a long word (replika), Chinese cues split by spaces or symbols (高 仿,
//! 高*仿).
//!
//! What it leaves alone, by principle rather than by listing phrases of any one shop:
//! - a negated cue ("拒绝高仿", "not a replica", "anti-counterfeit"): a genuine seller's boast;
//! - a cue after a compatibility marker ("for", "适用于", "兼容"): it describes what an
//!   accessory fits;
//! - "fake"/"imitation"/"faux" qualifying a material or a prop (fake fur, imitation leather,
//!   fake plants): a description of the goods, not of their origin;
//! - A货 (B货, C货) in a jade listing: the trade grades of jadeite (A = untreated);
//! - battery sizes (AAA batteries), office copying (copy paper, print/copy/scan) and display
//!   or scale ratios (1:1 pixel mapping, 1:1 scale): everyday uses of cue-like words;
//! - a Chinese cue whose edge character belongs to a common word running on past it (高仿真
//!   is 高 + 仿真 "lifelike"), read with jieba's dictionary;
//! - every cue when the seller is the official store of the listing's own brand: a brand's
//!   store sells its own product lines ("Replica Jersey"), not fakes of itself.
//!
//! Not for: judging whether a listing *without* such words is fake (the other signals do).

use crate::assessment::{Flag, Signal};
use crate::hanzi::is_common_word;
use qsword_listing::catalogue::{find_word, fold, Catalogue};
use qsword_listing::text::is_han;
use qsword_listing::Listing;
use serde_json::json;

/// Words that, just before a cue, negate it.
const NEGATIONS: &[&str] = &[
    "非",
    "不是",
    "拒绝",
    "杜绝",
    "谢绝",
    "严禁",
    "绝非",
    "防伪",
    "打假",
    "打击",
    "no",
    "not",
    "non",
    "never",
    "anti",
    "beware of",
    "avoid",
    "against",
    "zero",
];

/// How many characters before a cue a negation still applies ("拒绝 一切高仿").
const NEGATION_REACH: usize = 4;

/// A description-only cue counts less than one in the title: descriptions quote policies.
const DESCRIPTION_FACTOR: f64 = 0.8;

/// Compatibility markers that make the next word or two name what an accessory fits.
const COMPAT_WORDS: &[&str] = &["for", "fits", "replaces"];
const DETERMINERS: &[&str] = &["the", "a", "an", "your", "all", "most", "any"];
const COMPAT_HAN: &[&str] = &["适用于", "适用", "适配", "兼容", "配套", "专用于"];

/// Factory-order words: a brand's own production leaked from its factory. Without any brand
/// named in the listing they describe unbranded export surplus (外贸原单) and count
/// [`BRANDLESS_FACTOR`] of their weight.
const ORDER_WORDS: &[&str] = &[
    "原单",
    "尾单",
    "跟单",
    "尾货",
    "工厂货",
    "原單",
    "尾單",
    "跟單",
    "尾貨",
    "工廠貨",
];
const BRANDLESS_FACTOR: f64 = 0.75;

/// Cue words that qualify what follows them and, before a material or a prop, describe it.
const QUALIFIERS: &[&str] = &["fake", "imitation", "faux", "counterfeit"];

/// Materials and props that are made "fake" on purpose.
const MATERIALS: &[&str] = &[
    "fur",
    "leather",
    "suede",
    "silk",
    "wool",
    "cashmere",
    "pearl",
    "pearls",
    "diamond",
    "diamonds",
    "gem",
    "gems",
    "gemstone",
    "stone",
    "marble",
    "granite",
    "wood",
    "bamboo",
    "rattan",
    "grass",
    "plant",
    "plants",
    "flower",
    "flowers",
    "tree",
    "trees",
    "succulent",
    "succulents",
    "snow",
    "tan",
    "eyelashes",
    "lashes",
    "nails",
    "moustache",
    "mustache",
    "beard",
    "blood",
    "tattoo",
    "tattoos",
    "food",
    "fruit",
    "cake",
    "ice",
    "rock",
    "rocks",
    "brick",
    "crystal",
    "gold",
    "silver",
    "fireplace",
    "candle",
    "candles",
    "window",
    "camera",
    "cctv",
];

/// Words that make a jade listing, where A货/B货/C货 are grades.
const JADE: &[&str] = &["翡翠", "玉", "jade", "jadeite", "翡", "缅甸", "緬甸"];

/// Battery sizes: "AAA" before these, or a count before "AAA", is a battery.
const BATTERY: &[&str] = &["batter", "cell", "size", "alkaline", "rechargeable", "nimh"];

/// Office words around "copy": copying documents, not goods. Right after it (copy paper,
/// copy speed), right before it (hard copy, print/copy/scan), or what it is a copy of.
const OFFICE_AFTER: &[&str] = &[
    "paper",
    "center",
    "centre",
    "machine",
    "speed",
    "protection",
    "ppm",
    "shop",
];
const OFFICE_BEFORE: &[&str] = &[
    "hard", "soft", "carbon", "backup", "digital", "print", "scan", "fax", "photo",
];
const MEDIA: &[&str] = &[
    "disc", "disk", "dvd", "cd", "document", "file", "data", "photo", "page",
];

/// What a "mirror" finish is (a polished surface), and what "counterfeit" detectors check.
const SURFACES: &[&str] = &["finish", "polish", "surface", "shine", "reflect"];
const DETECTION: &[&str] = &[
    "detect", "money", "bill", "banknote", "currency", "pen", "check",
];

/// What "1:1" (or 1比1) measures when it is no cue.
const RATIO: &[&str] = &[
    "pixel",
    "scale",
    "aspect",
    "ratio",
    "macro",
    "magnification",
    "zoom",
    "mapping",
    "square",
    "像素",
    "比例",
    "微距",
    "放大",
];

/// The cue flag of a listing, if its title or description uses a cue word.
pub fn cue_flag(catalogue: &Catalogue, listing: &Listing) -> Option<Flag> {
    let title = normalize(&listing.title);
    let description = listing
        .description
        .as_deref()
        .map(normalize)
        .unwrap_or_default();
    let (title_tokens, description_tokens) = (latin_tokens(&title), latin_tokens(&description));
    let mut branded: Option<bool> = None;
    let mut found: Vec<(&str, &'static str, f64)> = Vec::new();
    for cue in &catalogue.cues {
        let word = fold(&cue.word);
        let place = if used(&title, &title_tokens, &word) {
            "title"
        } else if used(&description, &description_tokens, &word) {
            "description"
        } else {
            continue;
        };
        let mut weight = cue.weight;
        if ORDER_WORDS.contains(&word.as_str())
            && !*branded.get_or_insert_with(|| names_a_brand(catalogue, listing))
        {
            weight *= BRANDLESS_FACTOR;
        }
        if place == "description" {
            weight *= DESCRIPTION_FACTOR;
        }
        found.push((&cue.word, place, weight));
    }
    if !found.is_empty() && sold_by_own_brand_store(catalogue, listing) {
        return None;
    }
    if found.is_empty() {
        return None;
    }
    let score = found.iter().map(|f| f.2).fold(0.0, f64::max);
    let quoted: Vec<String> = found
        .iter()
        .map(|(w, place, _)| format!("\"{w}\" in the {place}"))
        .collect();
    let reason = format!("uses words sellers of fakes use: {}", quoted.join(", "));
    let evidence = json!({
        "cues": found.iter().map(|(w, place, _)| json!({"word": w, "where": place})).collect::<Vec<_>>(),
    });
    Some(Flag::new(Signal::Cue, score, reason, evidence))
}

/// Whether the listing names a brand: its brand field, or a catalogue brand in its title.
fn names_a_brand(catalogue: &Catalogue, listing: &Listing) -> bool {
    if listing
        .brand
        .as_deref()
        .is_some_and(|b| !b.trim().is_empty())
    {
        return true;
    }
    let title = fold(&listing.title);
    catalogue
        .brands
        .iter()
        .flat_map(|b| b.names())
        .any(|n| find_word(&title, &fold(n)).next().is_some())
}

/// Whether the seller is the official store of a brand the listing is of (its brand field or a
/// name in its title).
fn sold_by_own_brand_store(catalogue: &Catalogue, listing: &Listing) -> bool {
    let Some(seller) = listing.seller.as_ref() else {
        return false;
    };
    let title = fold(&listing.title);
    let field = listing.brand.as_deref().map(fold);
    catalogue.brands.iter().any(|b| {
        b.is_official_store(&seller.name)
            && b.names().any(|n| {
                let n = fold(n);
                field.as_deref() == Some(n.as_str()) || find_word(&title, &n).next().is_some()
            })
    })
}

/// The text as cue words are matched: folded (case, width), zero-width and format characters
/// dropped, look-alike Cyrillic/Greek letters as Latin, letters written one by one with
/// separators joined (r.e.p.l.i.c.a), and spaces or symbols between Chinese characters
/// dropped (高 仿, 高*仿).
fn normalize(text: &str) -> String {
    let chars: Vec<char> = fold(text)
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(latin_look_alike)
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // Letters one by one: x.y.z… (at least four letters, one separator between each).
        if c.is_ascii_alphanumeric()
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_ascii_alphanumeric())
        {
            let mut j = i;
            let mut letters = String::new();
            while j < chars.len()
                && chars[j].is_ascii_alphanumeric()
                && !chars.get(j + 1).is_some_and(|n| n.is_ascii_alphanumeric())
            {
                letters.push(chars[j]);
                let single_next = chars.get(j + 2).is_some_and(|n| n.is_ascii_alphanumeric())
                    && !chars.get(j + 3).is_some_and(|n| n.is_ascii_alphanumeric());
                match chars.get(j + 1) {
                    Some(s) if is_letter_separator(*s) && single_next => j += 2,
                    _ => {
                        j += 1;
                        break;
                    }
                }
            }
            if letters.chars().count() >= 4 && letters.chars().any(|c| c.is_ascii_alphabetic()) {
                out.push_str(&letters);
                i = j;
                continue;
            }
        }
        // Separators between two Chinese characters (at most two of them).
        if is_han(c) {
            out.push(c);
            let mut j = i + 1;
            while j < chars.len() && j - i <= 2 && is_cue_separator(chars[j]) {
                j += 1;
            }
            // Only a word split apart leaves a lone character on one side (高 仿, 高*仿 手表);
            // two runs of several characters are two phrases (外贸原单 纯棉).
            let run = |mut k: usize, step: isize| {
                let mut n = 0;
                while k < chars.len() && is_han(chars[k]) {
                    n += 1;
                    match k.checked_add_signed(step) {
                        Some(next) => k = next,
                        None => break,
                    }
                }
                n
            };
            let lone = j < chars.len() && (run(i, -1) == 1 || run(j, 1) == 1);
            if j > i + 1 && j < chars.len() && is_han(chars[j]) && lone {
                i = j;
            } else {
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    ratio_spaces(&out)
}

/// "1 : 1" and "1 比 1" written with spaces, as 1:1 and 1比1.
fn ratio_spaces(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = chars[..i].iter().rev().find(|&&p| p != ' ');
            let next = chars[i + 1..].iter().find(|&&n| n != ' ');
            let around_ratio = match (prev, next) {
                (Some(p), Some(n)) => {
                    (p.is_ascii_digit() && matches!(n, ':' | '比'))
                        || (matches!(p, ':' | '比') && n.is_ascii_digit())
                }
                _ => false,
            };
            if around_ratio {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}'
    )
}

fn is_letter_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '_' | '*' | '·' | '/' | '|' | '~')
}

fn is_cue_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '_' | '*' | '·' | '/' | '|' | '~' | '#' | '+')
}

/// Cyrillic and Greek letters that look like Latin ones (after case folding).
fn latin_look_alike(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'е' | 'ε' => 'e',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' | 'χ' => 'x',
        'і' | 'ι' | 'ӏ' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'һ' => 'h',
        'ν' => 'v',
        'κ' | 'к' => 'k',
        'τ' | 'т' => 't',
        'м' => 'm',
        'п' => 'n',
        _ => c,
    }
}

/// Whether `word` (folded) occurs in `text` (normalized) as a cue at least once: as written or
/// obfuscated, not negated, not in a context that makes it an ordinary word.
fn used(text: &str, tokens: &[Token<'_>], word: &str) -> bool {
    occurrences(text, tokens, word)
        .into_iter()
        .any(|(start, end)| !negated(text, start) && !innocent(text, word, start, end))
}

/// Byte ranges of `word` in `text`: literally (whole Latin words), and for words of letters
/// also token by token under the leet skeleton (rep1ica), one letter off for long words.
fn occurrences(text: &str, tokens: &[Token<'_>], word: &str) -> Vec<(usize, usize)> {
    let mut found: Vec<(usize, usize)> = find_word(text, word)
        .map(|at| (at, at + word.len()))
        .collect();
    let words: Vec<&str> = word.split([' ', '-']).filter(|w| !w.is_empty()).collect();
    let lettered = words
        .iter()
        .all(|w| w.chars().all(|c| c.is_ascii_alphabetic()));
    if !lettered || words.is_empty() {
        return found;
    }
    let skeletons: Vec<String> = words.iter().map(|w| skeleton(w)).collect();
    for k in 0..tokens.len() {
        let Some(run) = tokens.get(k..k + words.len()) else {
            break;
        };
        let alike = run
            .iter()
            .zip(&skeletons)
            .all(|(t, s)| t.skeleton == *s || (s.len() >= 7 && within_one_edit(&t.skeleton, s)));
        if !alike {
            continue;
        }
        // Consecutive tokens: only spaces or hyphens between them.
        let joined = run.windows(2).all(|p| {
            text[p[0].end..p[1].start]
                .chars()
                .all(|c| c == ' ' || c == '-')
        });
        if joined
            && run
                .iter()
                .any(|t| t.text.chars().any(|c| c.is_ascii_alphabetic()))
        {
            let span = (run[0].start, run[run.len() - 1].end);
            if !found.contains(&span) {
                found.push(span);
            }
        }
    }
    // One word broken by single symbols (rep-lica, re.pli.ca): two or three pieces joined.
    if let [single] = skeletons.as_slice() {
        let glued = |m: usize| {
            let gap = &text[tokens[m - 1].end..tokens[m].start];
            gap.chars().count() == 1 && gap != " "
        };
        for k in 0..tokens.len() {
            if k + 1 >= tokens.len() || !glued(k + 1) {
                continue;
            }
            let mut joined = String::new();
            for m in k..(k + 3).min(tokens.len()) {
                if m > k && !glued(m) {
                    break;
                }
                joined.push_str(tokens[m].text);
                if m > k && skeleton(&joined) == *single {
                    let span = (tokens[k].start, tokens[m].end);
                    if !found.contains(&span) {
                        found.push(span);
                    }
                }
            }
        }
    }
    found
}

/// A Latin token: its byte range and text.
struct Token<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    /// [`skeleton`] of the text.
    skeleton: String,
}

/// Runs of Latin letters, digits and the symbols written for letters, with byte ranges.
fn latin_tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let part = c.is_ascii_alphanumeric() || matches!(c, '!' | '|' | '@' | '$');
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len(), &text[s..]));
    }
    // A trailing "!" is punctuation, not an i.
    out.into_iter()
        .map(|(s, _, t)| {
            let trimmed = t.trim_end_matches('!');
            (s, s + trimmed.len(), trimmed)
        })
        .filter(|t| !t.2.is_empty())
        .map(|(start, end, text)| Token {
            start,
            end,
            text,
            skeleton: skeleton(text),
        })
        .collect()
}

/// What a word looks like with digits and symbols read as the letters they stand for.
fn skeleton(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' | '|' | 'i' | 'l' => 'l',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            c => c,
        })
        .collect()
}

/// Whether two words differ by at most one letter added, dropped or changed (compared as
/// bytes: a changed non-ASCII letter counts as more than one).
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    a.len().max(b.len()) - prefix - suffix <= 1
}

/// Whether a negation stands just before byte `start`.
fn negated(text: &str, start: usize) -> bool {
    let before: Vec<char> = text[..start].chars().collect();
    let window: String = before[before.len().saturating_sub(NEGATION_REACH + 10)..]
        .iter()
        .collect();
    NEGATIONS.iter().any(|n| {
        find_word(&window, n).any(|p| window[p + n.len()..].chars().count() <= NEGATION_REACH)
    })
}

/// The words of `text` (Latin, lower case) right after byte `end`, at most `n`.
fn words_after(text: &str, end: usize, n: usize) -> Vec<&str> {
    text[end..]
        .split(|c: char| !c.is_ascii_alphanumeric() && !is_han(c))
        .filter(|w| !w.is_empty())
        .take(n)
        .collect()
}

fn words_before(text: &str, start: usize, n: usize) -> Vec<&str> {
    let mut w: Vec<&str> = text[..start]
        .split(|c: char| !c.is_ascii_alphanumeric() && !is_han(c))
        .filter(|w| !w.is_empty())
        .collect();
    w.reverse();
    w.truncate(n);
    w
}

/// Whether the cue at `start..end` is an ordinary word in its context (see the module docs).
fn innocent(text: &str, word: &str, start: usize, end: usize) -> bool {
    let after = words_after(text, end, 2);
    let before = words_before(text, start, 2);
    // Right after a compatibility marker ("case for replica watches", "适用于高仿表"): it names
    // what the accessory fits. Further on, the marker's clause has ended ("gift for him:
    // replica watch").
    let marker = |w: Option<&&str>| w.is_some_and(|w| COMPAT_WORDS.contains(w));
    let compat_word = marker(before.first())
        || (before.first().is_some_and(|w| DETERMINERS.contains(w)) && marker(before.get(1)))
        || (before.first() == Some(&"with") && before.get(1) == Some(&"compatible"));
    let compat_han = text[..start]
        .chars()
        .rev()
        .take(4)
        .collect::<String>()
        .chars()
        .rev()
        .collect::<String>();
    if compat_word || COMPAT_HAN.iter().any(|m| compat_han.ends_with(m)) {
        return true;
    }
    let starts_any =
        |w: Option<&&str>, list: &[&str]| w.is_some_and(|w| list.iter().any(|m| w.starts_with(m)));
    let last = word.split([' ', '-']).next_back().unwrap_or(word);
    if QUALIFIERS.contains(&last) && starts_any(after.first(), MATERIALS) {
        return true;
    }
    if (word.ends_with('货') || word.ends_with('貨'))
        && word.chars().count() == 2
        && JADE.iter().any(|j| text.contains(j))
    {
        return true;
    }
    if word.starts_with("aaa") {
        // "2 AAA": a count of one or two digits right before.
        let counted = before
            .first()
            .is_some_and(|w| w.len() <= 2 && w.chars().all(|c| c.is_ascii_digit()));
        if counted || starts_any(after.first(), BATTERY) {
            return true;
        }
    }
    if word.contains("copy") || word == "1 to 1" {
        let of_media = after.first() == Some(&"of")
            && words_after(text, end, 3)
                .iter()
                .skip(1)
                .any(|w| MEDIA.iter().any(|m| w.starts_with(m)));
        if starts_any(after.first(), OFFICE_AFTER)
            || starts_any(before.first(), OFFICE_BEFORE)
            || of_media
        {
            return true;
        }
    }
    if word.starts_with('1') || word.starts_with('一') {
        let ratio = |w: &&str| RATIO.iter().any(|m| w.starts_with(m) || w.contains(m));
        if after.iter().any(ratio) || before.iter().any(ratio) {
            return true;
        }
    }
    if word.starts_with("mirror") && starts_any(after.first(), SURFACES) {
        return true;
    }
    if word == "counterfeit" && starts_any(after.first(), DETECTION) {
        return true;
    }
    // A re-edition of a dated model (2005复刻): a brand's own retro release.
    if word == "复刻" || word == "復刻" {
        let digits: String = text[..start]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if digits.len() == 4 {
            return true;
        }
    }
    if word.chars().all(is_han) && runs_on_as_a_word(text, start, end) {
        return true;
    }
    false
}

/// Whether the first or last character of the Chinese word at `start..end` belongs to a common
/// word that runs on past it (高仿|真 reads 仿真 "lifelike").
fn runs_on_as_a_word(text: &str, start: usize, end: usize) -> bool {
    let inside: Vec<char> = text[start..end].chars().collect();
    let after: Vec<char> = text[end..]
        .chars()
        .take_while(|c| is_han(*c))
        .take(2)
        .collect();
    let before: Vec<char> = {
        let mut b: Vec<char> = text[..start]
            .chars()
            .rev()
            .take_while(|c| is_han(*c))
            .take(2)
            .collect();
        b.reverse();
        b
    };
    let (Some(&first), Some(&last)) = (inside.first(), inside.last()) else {
        return false;
    };
    (1..=after.len()).any(|k| {
        let w: String = std::iter::once(last)
            .chain(after[..k].iter().copied())
            .collect();
        is_common_word(&w)
    }) || (1..=before.len()).any(|k| {
        let w: String = before[before.len() - k..]
            .iter()
            .copied()
            .chain(std::iter::once(first))
            .collect();
        is_common_word(&w)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qsword_listing::Seller;

    fn flag(title: &str, description: Option<&str>) -> Option<Flag> {
        let mut l = Listing::new("u", title);
        l.description = description.map(str::to_string);
        cue_flag(&Catalogue::embedded(), &l)
    }

    fn cued(title: &str) -> bool {
        flag(title, None).is_some()
    }

    #[test]
    fn cue_words_are_flagged_in_title_and_description() {
        let f = flag("高仿 乐高 积木 1：1 复刻", None).unwrap();
        assert_eq!(f.signal, Signal::Cue);
        assert_eq!(f.score, 0.9, "the strongest cue sets the score");
        assert!(f.reason.contains("\"高仿\" in the title"), "{}", f.reason);
        assert!(
            f.reason.contains("\"1:1\" in the title"),
            "full-width colon folds: {}",
            f.reason
        );
        let f = flag("Sneakers", Some("Top REPLICA quality")).unwrap();
        assert!(
            f.score < 0.85 && f.score >= 0.5,
            "description cues count less: {}",
            f.score
        );
    }

    #[test]
    fn obfuscated_cues_are_caught() {
        for t in [
            "Watch r3plica steel",
            "Watch rep1ica steel",
            "Watch repl!ca steel",
            "Watch replika steel",
            "Watch r.e.p.l.i.c.a steel",
            "Watch r e p l i c a steel",
            "Watch rеplica steel",         // Cyrillic е
            "Watch ＲＥＰＬＩＣＡ steel",  // full width
            "Watch rep\u{200B}lica steel", // zero-width space
            "Bag high-copy edition",
            "高 仿 手表",
            "高仿 真皮 包包",
            "原單 名牌 手袋",
            "仿品 手表",
            "高*仿 手表",
            "精-仿 包包",
            "Sneakers AAA+ quality",
            "Mouse 910-000298 - AAA Grade",
            "Sony DVD player - High Copy",
            "Digital watch high copy",
            "Exact copy of the original bag",
            "Gift for him: replica watch",
            "Sneakers knock-off",
            "Watch 1 : 1 edition",
            "Watch rep-lica steel",
            "Watch re.pli.ca steel",
            "蓝牙无线高仿耳机",
            "防水 高仿 手表",
        ] {
            assert!(cued(t), "{t}");
        }
    }

    #[test]
    fn negated_cues_and_innocent_words_are_not_flagged() {
        assert!(flag("正品保证 拒绝高仿 乐高积木", None).is_none());
        assert!(flag("Genuine, not a replica", None).is_none());
        assert!(
            flag("Fakery-free kettle", None).is_none(),
            "cues match whole words only"
        );
        assert!(flag("飞利浦 空气炸锅", Some("官方正品 原装正品 品质保证")).is_none());
        assert!(!cued("Anti-counterfeit hologram label"));
    }

    #[test]
    fn materials_grades_batteries_and_office_words_are_not_cues() {
        for t in [
            "Winter coat with fake fur hood",
            "Faux leather sofa cover",
            "Imitation pearl necklace",
            "Fake plants for the office, set of 3",
            "缅甸翡翠 A货 手镯 天然",
            "和田玉 a货 吊坠",
            "Remote control, uses 2 AAA batteries",
            "AAA battery charger",
            "Copy paper A4 500 sheets",
            "Printer: print, copy, scan and fax",
            "27\" monitor with 1:1 pixel mapping",
            "Diecast car 1:1 scale display",
            "高仿真 仿真花 客厅摆件",
            "仿古 仿皮 仿木 装饰",
            "Genuine OEM replacement part",
            "Case for replica watches", // compatibility: describes the accessory
            "适用于高仿手表 表带",
            "Square photo, aspect ratio 1:1",
            "Cookware with mirror quality finish",
            "Counterfeit money detector pen, UV",
            "DVD duplicator makes an exact copy of the disc",
            "Scanner: copy speed 20 ppm",
        ] {
            assert!(!cued(t), "{t}");
        }
        assert!(cued("翡翠 高仿 A货"), "高仿 is a cue even in jade");
        assert!(cued("LV bag A货"), "A货 outside jade is a replica grade");
        assert!(cued("Fake Rolex watch"));
        assert!(!cued("air jordan 4 白红 2005复刻"), "a dated re-edition");
        let export = flag("外贸原单 纯棉 T恤", None).unwrap();
        let branded = flag("耐克 外贸原单 跑鞋", None).unwrap();
        assert!(
            export.score < branded.score && branded.score >= 0.6,
            "export surplus without a brand counts less: {} vs {}",
            export.score,
            branded.score
        );
    }

    #[test]
    fn the_brands_own_store_sells_product_lines_not_fakes() {
        let c = Catalogue::embedded();
        let store = c
            .brands
            .iter()
            .find(|b| b.id == "nike")
            .and_then(|b| b.official_stores.first().cloned())
            .expect("nike has an official store in the seeds");
        let mut l = Listing::new("u", "Nike Replica Jersey 2024 home");
        l.brand = Some("Nike".into());
        l.seller = Some(Seller {
            name: store,
            ..Default::default()
        });
        assert!(cue_flag(&c, &l).is_none(), "the brand's own store");
        l.seller = Some(Seller {
            name: "Best Deals 88".into(),
            ..Default::default()
        });
        assert!(cue_flag(&c, &l).is_some(), "another seller's replica");
    }
}
