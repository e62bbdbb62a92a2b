//! Price strings as shops print them → an exact [`Decimal`] amount and an ISO 4217 currency.
//!
//! Handles grouping and decimal separators of every convention (`1,299.00`, `1.299,00`,
//! `1 299,-`, `1'299.50`), currency symbols and words before or after the number (`¥`, `￥`,
//! `元`, `Kč`, `руб.`, `US$`, `EUR`), full-width digits, `万` (×10 000) and `亿` (×10⁸), ranges
//! (`89-129`: the lower bound, range kept; `1-2万` is 10 000–20 000) and Chinese promotion wording (`券后价 ¥79 原价 ¥99`: the price the
//! buyer pays, the list price kept). Amounts never pass through a float.
//!
//! Every ISO 4217 code and the symbols and local abbreviations of the world's currencies are
//! known (`crate::currencies`, from the `iso_currency` crate). Symbols several currencies share
//! (`$`, `¥`, `kr`, `руб`, `Rs`, `元`) are resolved from a [`PriceHint`] (the site file's
//! locale and currency, the country of the domain, the page's declared locales); with no page
//! at all ([`PriceHint::none`]) they stay the symbol as printed, with no code.
//!
//! ```
//! use qsword_extract::price::{parse_price, PriceHint};
//! let p = parse_price("券后价 ¥79 原价 ¥99", &PriceHint::chinese()).unwrap();
//! assert_eq!(p.amount.to_string(), "79");
//! assert_eq!(p.currency.unwrap().as_str(), "CNY");
//! assert_eq!(p.list_price.unwrap().to_string(), "99");
//! ```

use crate::currencies;
use qsword_listing::{Currency, Price};
use rust_decimal::Decimal;
use std::str::FromStr;
use url::Url;

/// What the page around a price string tells about its currency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceHint {
    /// Page language, e.g. `zh-CN`, `en`, `ja` (from `<html lang>`).
    pub language: Option<String>,
    /// Country as an upper-case ISO 3166 code, e.g. `CN` (from the domain).
    pub country: Option<String>,
    /// Currency to assume when the string names none (e.g. a page-level `priceCurrency`).
    pub default_currency: Option<Currency>,
    /// The string is from a shop page: a shared symbol the locale does not settle reads as
    /// its usual currency (`$` → USD). Without a page (`qsword parse-price`) it stays `$`.
    pub on_page: bool,
}

impl PriceHint {
    /// No context at all: a bare number gets no currency.
    pub fn none() -> Self {
        PriceHint::default()
    }

    /// A Chinese page: `¥` is CNY, bare numbers are CNY.
    pub fn chinese() -> Self {
        PriceHint {
            language: Some("zh-CN".into()),
            country: Some("CN".into()),
            default_currency: Some(Currency::CNY),
            on_page: true,
        }
    }

    /// Hint from the page URL (country from the domain) and its `<html lang>`.
    pub fn for_page(url: &Url, language: Option<&str>) -> Self {
        Self::for_page_with(url, None, language.as_slice(), None)
    }

    /// Hint from everything that says where a page sells. `site_locale` and `currency` come
    /// from the site file (`[rules]` `locale`/`currency`): whoever configured the site knows,
    /// so they win. Then the country of the domain (`.ca`, `.com.ar`, `.co.uk`), then the
    /// region of the first declared locale that has one (`page_locales`, most authoritative
    /// first: `<html lang>`, `og:locale`, `content-language`). Bare numbers get the country's
    /// currency; a Chinese page with no other country gets CNY.
    pub fn for_page_with(
        url: &Url,
        site_locale: Option<&str>,
        page_locales: &[&str],
        currency: Option<Currency>,
    ) -> Self {
        // `content-language` may list several (`en-US, fr`): the first is the page's.
        let clean = |l: &str| {
            let l = l.split(',').next().unwrap_or("").trim();
            (!l.is_empty() && l.len() <= 35).then(|| l.to_string())
        };
        let site = site_locale.and_then(clean);
        let page: Vec<String> = page_locales.iter().filter_map(|l| clean(l)).collect();
        let country = site
            .as_deref()
            .and_then(locale_region)
            .or_else(|| domain_country(url))
            .or_else(|| page.iter().find_map(|l| locale_region(l)));
        let language = site.or_else(|| page.into_iter().next());
        let default_currency = currency.or_else(|| match country.as_deref() {
            Some(c) => currencies::country_currency(c),
            // A language spoken in one country (`ja`, `pl`, `zh`) names its currency.
            None => language
                .as_deref()
                .and_then(currencies::language_country)
                .and_then(currencies::country_currency),
        });
        PriceHint {
            language,
            country,
            default_currency,
            on_page: true,
        }
    }
}

/// The region of a locale (`es_AR`, `zh-Hant-TW` → `AR`, `TW`).
fn locale_region(locale: &str) -> Option<String> {
    locale
        .split(['-', '_'])
        .skip(1)
        .find(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_alphabetic()))
        .map(|r| r.to_ascii_uppercase())
}

/// Country-code domains sold worldwide as generic names (`.io`, `.co`, `.tv`): they name a
/// country only under a second-level label (`.com.co`).
const VANITY_TLDS: &[&str] = &[
    "io", "co", "tv", "me", "ai", "fm", "ly", "gg", "cc", "ws", "nu", "to", "sh", "ac", "tk",
];
const SECOND_LEVEL: &[&str] = &[
    "com", "co", "net", "org", "edu", "gov", "ac", "or", "ne", "go", "gob", "gouv",
];

/// The country of a country-code domain (`shop.ca`, `x.com.ar`, `y.co.uk` → `CA`, `AR`, `GB`).
fn domain_country(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let mut labels = host.rsplit('.');
    let tld = labels.next()?.to_ascii_lowercase();
    let second = labels.next().unwrap_or("").to_ascii_lowercase();
    if tld == "uk" {
        return Some("GB".into());
    }
    if tld.len() != 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    if VANITY_TLDS.contains(&tld.as_str()) && !SECOND_LEVEL.contains(&second.as_str()) {
        return None;
    }
    Some(tld.to_ascii_uppercase())
}

/// A price read from a string.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPrice {
    /// The price the buyer pays (the lower bound of a range).
    pub amount: Decimal,
    /// ISO 4217 code; `None` when neither the string nor the hint names one.
    pub currency: Option<Currency>,
    /// The currency as printed (`"¥"`, `"руб."`), when the string holds one.
    pub currency_text: Option<String>,
    /// Upper bound when the string is a range (`89-129`).
    pub range_high: Option<Decimal>,
    /// The struck-through/original price printed next to it (`原价 ¥99`).
    pub list_price: Option<Decimal>,
}

impl ParsedPrice {
    /// As a [`Price`] for a listing; `None` without a currency.
    pub fn to_price(&self) -> Option<Price> {
        Some(Price {
            amount: self.amount,
            currency: self.currency?,
        })
    }

    /// The list price printed inside the same string (`券后 ¥79 原价 ¥99`), in its currency.
    pub fn to_list_price(&self) -> Option<Price> {
        Some(Price {
            amount: self.list_price?,
            currency: self.currency?,
        })
    }
}

/// Words before a number that mark the price a buyer pays.
const PAID_WORDS: &[&str] = &[
    "券后价",
    "券后",
    "到手价",
    "促销价",
    "活动价",
    "秒杀价",
    "折后价",
    "抢购价",
    "拼团价",
    "团购价",
    "现价",
    "优惠价",
    "特价",
    "sale price",
    "now",
];
/// Words before a number that mark a list (struck-through) price.
const LIST_WORDS: &[&str] = &[
    "原价",
    "划线价",
    "市场价",
    "参考价",
    "专柜价",
    "吊牌价",
    "门市价",
    "was",
    "rrp",
    "list price",
    "regular price",
    "uvp",
];
const FREE_WORDS: &[&str] = &["free", "gratis", "免费", "gratuit", "kostenlos"];

/// Characters of a price string that are read. A price as printed is short (`券后价 ¥79 原价
/// ¥99`, a range with a currency on each side); anything longer is a paragraph passed by
/// mistake or hostile input, and the scan tries every currency token at every position and
/// pairs every number with every currency, so an uncapped 200 KB string took seconds.
pub const MAX_PRICE_CHARS: usize = 512;

/// The first [`MAX_PRICE_CHARS`] characters of `text`, trimmed.
fn capped(text: &str) -> &str {
    let text = text.trim();
    match text.char_indices().nth(MAX_PRICE_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// Parses one price string (only its first [`MAX_PRICE_CHARS`] characters). Returns `None`
/// when it holds no price, or only amounts too large to represent.
pub fn parse_price(text: &str, hint: &PriceHint) -> Option<ParsedPrice> {
    let norm = normalize(capped(text));
    let lower = norm.to_lowercase();
    let chars: Vec<char> = norm.chars().collect();
    let numbers = find_numbers(&chars);
    let currencies = find_currencies(&chars);

    if numbers.is_empty() {
        let free = FREE_WORDS.iter().any(|w| lower.contains(w));
        return free.then_some(ParsedPrice {
            amount: Decimal::ZERO,
            currency: None,
            currency_text: None,
            range_high: None,
            list_price: None,
        });
    }

    let lchars: Vec<char> = lower.chars().collect();
    let before = |n: &Number, words: &[&str]| -> bool {
        // A keyword within a few characters before the number (currency symbols between).
        let from = n.start.saturating_sub(8);
        let window: String = lchars[from..n.start].iter().collect();
        words.iter().any(|w| window.contains(w))
    };

    // When some number carries a currency, only those are prices (`Buy Now - 2 Litre $60`).
    let priced: Vec<bool> = numbers
        .iter()
        .map(|n| nearest_currency(n, &currencies, 2).is_some())
        .collect();
    let any_priced = priced.iter().any(|p| *p);
    let eligible = |i: usize| !any_priced || priced[i];
    let paid = (0..numbers.len()).find(|&i| eligible(i) && before(&numbers[i], PAID_WORDS));
    let list_idx = (0..numbers.len()).find(|&i| eligible(i) && before(&numbers[i], LIST_WORDS));
    let chosen = paid
        .or_else(|| {
            // Without a paid-price word, prefer a number that has a currency next to it and is
            // not marked as a list price.
            let candidates: Vec<usize> = (0..numbers.len())
                .filter(|&i| Some(i) != list_idx)
                .collect();
            candidates
                .iter()
                .copied()
                .find(|&i| nearest_currency(&numbers[i], &currencies, 2).is_some())
                .or_else(|| candidates.first().copied())
        })
        .unwrap_or(0);
    // `89-129元`: the currency printed after the upper bound covers the range; the price is
    // its lower bound.
    let chosen = match chosen.checked_sub(1) {
        Some(low)
            if paid.is_none()
                && Some(low) != list_idx
                && is_range_between(&chars, &numbers[low], &numbers[chosen], &currencies) =>
        {
            low
        }
        _ => chosen,
    };
    let number = &numbers[chosen];

    let mut amount = number.value;
    let mut range_high = None;
    if let Some(next) = numbers.get(chosen + 1) {
        if is_range_between(&chars, number, next, &currencies) {
            // `1-2万`: the unit printed after the upper bound applies to both.
            if number.unit.is_none() {
                if let Some(low) = next.unit.and_then(|u| scale(number.value, u)) {
                    if low <= next.value {
                        amount = low;
                    }
                }
            }
            if next.value >= amount {
                range_high = Some(next.value);
            }
        }
    }
    let list_price = list_idx.filter(|&i| i != chosen).map(|i| numbers[i].value);

    let found = nearest_currency(number, &currencies, usize::MAX);
    let (currency, currency_text) = match found {
        Some(c) => (resolve(c.token, hint), Some(c.text.clone())),
        None => (hint.default_currency, None),
    };
    Some(ParsedPrice {
        amount,
        currency,
        currency_text,
        range_high,
        list_price,
    })
}

/// Full-width forms → ASCII, the many Unicode spaces → one kind, so one scanner reads all.
fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FFE5}' => '¥',
            '\u{FFE0}' => '¢',
            '\u{FFE1}' => '£',
            '\u{3000}' | '\u{A0}' | '\u{202F}' | '\u{2009}' | '\u{2007}' | '\u{200A}' => ' ',
            '\u{3002}' => '.',
            _ => qsword_listing::text::fold_width(c),
        })
        .collect()
}

#[derive(Debug)]
struct Number {
    start: usize,
    /// After the digits, and after the unit when there is one.
    end: usize,
    /// The amount, its unit applied (`1.2万` is 12000).
    value: Decimal,
    /// The Chinese unit printed after the digits: `万` (×10⁴) or `亿` (×10⁸).
    unit: Option<u64>,
}

/// `value × unit`, normalised (`1.2万` is 12000, not 12000.0); `None` when it overflows.
fn scale(value: Decimal, unit: u64) -> Option<Decimal> {
    value
        .checked_mul(Decimal::from(unit))
        .map(|d| d.normalize())
}

fn is_sep(c: char) -> bool {
    matches!(c, '.' | ',' | '\'' | '’' | '٫' | '٬')
}

/// Scans every number: digits with group/decimal separators, spaces as thousands groups
/// (`1 299`) only when exactly three digits follow.
fn find_numbers(chars: &[char]) -> Vec<Number> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_here = c.is_ascii_digit()
            || (c == '.'
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && (i == 0 || !chars[i - 1].is_ascii_digit()));
        if !starts_here {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        let mut raw = String::new();
        while j < chars.len() {
            let c = chars[j];
            let digit_follows = chars.get(j + 1).is_some_and(|d| d.is_ascii_digit());
            if c.is_ascii_digit() || (is_sep(c) && digit_follows) {
                raw.push(c);
                j += 1;
            } else if matches!(c, ',' | '.')
                && chars.get(j + 1) == Some(&' ')
                && chars.get(j + 2).is_some_and(|d| d.is_ascii_digit())
                && chars.get(j + 3).is_some_and(|d| d.is_ascii_digit())
                && chars.get(j + 4).is_none_or(|d| !d.is_ascii_digit())
            {
                // `118, 99 TL`, `36. 24`: a decimal separator followed by a stray space.
                raw.push(c);
                j += 2;
            } else if c == ' '
                && !raw.is_empty()
                && !raw.contains([',', '.'])
                && (1..=3).all(|k| chars.get(j + k).is_some_and(|d| d.is_ascii_digit()))
                && chars.get(j + 4).is_none_or(|d| !d.is_ascii_digit())
            {
                raw.push(' ');
                j += 1;
            } else {
                break;
            }
        }
        // Percentages and quantities glued to units are not prices.
        let next = chars[j..].iter().find(|c| **c != ' ').copied();
        if next == Some('%') {
            i = j;
            continue;
        }
        let unit = match next {
            Some('万') => Some(10_000),
            Some('亿') => Some(100_000_000),
            _ => None,
        };
        let end = match unit {
            // The unit belongs to the number: `3.5万元` has its currency right after it.
            Some(_) => j + chars[j..].iter().take_while(|c| **c == ' ').count() + 1,
            None => j,
        };
        // An amount too large for a Decimal, before or after its unit, is no candidate.
        let value = to_decimal(&raw).and_then(|v| match unit {
            Some(u) => scale(v, u),
            None => Some(v),
        });
        if let Some(value) = value {
            out.push(Number {
                start,
                end,
                value,
                unit,
            });
        }
        i = end;
    }
    out
}

/// Digits with separators → a decimal, deciding which separator is the decimal point.
fn to_decimal(raw: &str) -> Option<Decimal> {
    let mut s: String = raw.chars().filter(|c| *c != ' ').collect();
    // `$.750.30`: a stray leading dot before a normal number.
    if s.starts_with('.') && s[1..].contains(['.', ',']) {
        s.remove(0);
    }
    let seps: Vec<(usize, char)> = s.char_indices().filter(|(_, c)| is_sep(*c)).collect();
    let digits_only = |t: &str| t.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    let plain = match seps.last() {
        None => s.clone(),
        Some(&(pos, last)) => {
            let tail = &s[pos + last.len_utf8()..];
            let same = seps.iter().all(|(_, c)| *c == last);
            let decimal_here = if seps.len() > 1 && same {
                false // 1,299,000 — all group separators
            } else if seps.len() > 1 {
                true // 1.299,00 — the last, different one is the decimal point
            } else {
                // One separator: three digits after it read as a thousands group (1,299), unless
                // the part before is 0 (0.299) or it is an apostrophe-free dot after 4+ digits.
                let head = &s[..pos];
                !(tail.len() == 3 && head != "0" && !head.is_empty() && head.len() <= 3)
            };
            if decimal_here {
                format!("{}.{}", digits_only(&s[..pos]), tail)
            } else {
                digits_only(&s)
            }
        }
    };
    let plain = if plain.starts_with('.') {
        format!("0{plain}")
    } else {
        plain
    };
    Decimal::from_str(&plain).ok()
}

/// A found currency token: an index into the symbol table ([`currencies::TABLE`]).
type Token = usize;

#[derive(Debug)]
struct FoundCurrency {
    start: usize,
    end: usize,
    token: Token,
    text: String,
    /// Single letters and other weak tokens count only right next to the number.
    weak: bool,
    /// `R 299`: a single letter counts only before the amount.
    prefix_only: bool,
    /// Names one currency (`€`, `AUD`), not a shared symbol (`$`, `kr`).
    unique: bool,
}

fn find_currencies(chars: &[char]) -> Vec<FoundCurrency> {
    let table = &*currencies::TABLE;
    let lower: Vec<char> = chars.iter().flat_map(|c| c.to_lowercase()).collect();
    // Lower-casing can change lengths for a few scripts; fall back to exact matching then.
    let folded = if lower.len() == chars.len() {
        &lower[..]
    } else {
        chars
    };
    let mut out: Vec<FoundCurrency> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // Inside a word no token can start: a token beginning with a letter needs a word
        // boundary before it. Most letters of a string are skipped here, unlooked-up.
        if i > 0 && currencies::is_word(&chars[i]) && currencies::is_word(&chars[i - 1]) {
            i += 1;
            continue;
        }
        let mut best: Option<(usize, &currencies::Needle, bool)> = None;
        // Case-insensitive needles are filed under their lower-case first character,
        // case-sensitive ones under the character as written.
        let firsts = [folded[i], chars[i]];
        let lists = firsts
            .iter()
            .enumerate()
            .filter(|(k, c)| *k == 0 || **c != firsts[0])
            .filter_map(|(_, c)| table.needles.get(c));
        // Each list runs longest first: its first match that passes is its best.
        for list in lists {
            for needle in list {
                let n = needle.chars.len();
                let hay = if needle.case_sensitive { chars } else { folded };
                if i + n > hay.len() || hay[i..i + n] != needle.chars[..] {
                    continue;
                }
                if needle.first_alpha && i > 0 && currencies::is_word(&chars[i - 1]) {
                    continue;
                }
                if needle.last_alpha && chars.get(i + n).is_some_and(currencies::is_word) {
                    continue;
                }
                let mut weak = needle.weak;
                if needle.code {
                    // `EUR`, `eur`: a code in capitals is trusted anywhere near; in lower case,
                    // or a code that is also a word (`ALL`), only touching the amount.
                    let upper = chars[i..i + n].iter().all(char::is_ascii_uppercase);
                    if needle.word_like && !upper {
                        continue;
                    }
                    weak |= needle.word_like || !upper;
                }
                if best.is_none_or(|(len, _, _)| n > len) {
                    best = Some((n, needle, weak));
                }
                break;
            }
        }
        match best {
            Some((n, needle, weak)) => {
                out.push(FoundCurrency {
                    start: i,
                    end: i + n,
                    token: needle.symbol,
                    text: chars[i..i + n].iter().collect(),
                    weak,
                    prefix_only: needle.prefix_only,
                    unique: table.symbols[needle.symbol].currencies.len() == 1,
                });
                i += n;
            }
            None => i += 1,
        }
    }
    out
}

/// Characters between two spans, or `usize::MAX` if they overlap oddly.
fn gap(a_end: usize, b_start: usize) -> usize {
    b_start.saturating_sub(a_end)
}

fn nearest_currency<'a>(
    n: &Number,
    found: &'a [FoundCurrency],
    max: usize,
) -> Option<&'a FoundCurrency> {
    let distance = |c: &FoundCurrency| {
        let d = if c.end <= n.start {
            gap(c.end, n.start)
        } else {
            gap(n.end, c.start)
        };
        if c.weak && d > 1 {
            usize::MAX
        } else {
            d
        }
    };
    found
        .iter()
        .map(|c| (distance(c), c))
        .filter(|(d, c)| *d <= max && *d != usize::MAX && !(c.prefix_only && c.start >= n.end))
        // Prefer a strong token, then the nearest; at equal distance the one after the number
        // (`100 € 200` reads as 100 €).
        // A named code beats a shared symbol (`$1,190.00 AUD` is AUD).
        .min_by_key(|(d, c)| (c.weak, !c.unique, *d, c.end <= n.start))
        .map(|(_, c)| c)
}

/// `89-129`, `¥89 ~ ¥129`, `841,00 zł – 995,00 zł`, `89 至 129`, `89 to 129`.
fn is_range_between(chars: &[char], a: &Number, b: &Number, found: &[FoundCurrency]) -> bool {
    let mut between: String = chars[a.end..b.start].iter().collect();
    for c in found
        .iter()
        .filter(|c| c.start >= a.end && c.end <= b.start)
    {
        between = between.replace(&c.text, "");
    }
    matches!(
        between.trim(),
        "-" | "–" | "—" | "~" | "～" | "至" | "to" | "-~"
    )
}

/// Picks the currency a token stands for on this page: its only currency; else the one the
/// page's currency, country or language names among those it may stand for; else its usual
/// one on a page ([`currencies::SHARED`]'s fallback); else, with no
/// page at all, only a dominant one (`£`), so a bare `$` stays `$`.
fn resolve(token: Token, hint: &PriceHint) -> Option<Currency> {
    let symbol = &currencies::TABLE.symbols[token];
    if let [one] = symbol.currencies[..] {
        return Some(one);
    }
    let among = |c: &Currency| symbol.currencies.contains(c);
    if let Some(c) = hint.default_currency.filter(among) {
        return Some(c);
    }
    let countries = hint.country.as_deref().into_iter().chain(
        hint.language
            .as_deref()
            .and_then(currencies::language_country),
    );
    for country in countries {
        let used = currencies::TABLE.countries.get(country);
        if let Some(c) = used.and_then(|list| list.iter().copied().find(among)) {
            return Some(c);
        }
    }
    if hint.on_page || hint.country.is_some() || hint.language.is_some() {
        symbol.fallback.or(symbol.alone)
    } else {
        symbol.alone
    }
}

/// The ISO code a printed currency (`"€"`, `"руб."`) stands for under `hint`, if known.
pub fn currency_for_symbol(symbol: &str, hint: &PriceHint) -> Option<Currency> {
    let chars: Vec<char> = normalize(capped(symbol)).chars().collect();
    let found = find_currencies(&chars);
    match found.as_slice() {
        [one] if one.start == 0 && one.end == chars.len() => resolve(one.token, hint),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str, hint: &PriceHint) -> (String, Option<String>) {
        let parsed = parse_price(text, hint).unwrap_or_else(|| panic!("no price in {text:?}"));
        (
            parsed.amount.normalize().to_string(),
            parsed.currency.map(|c| c.to_string()),
        )
    }

    fn cn() -> PriceHint {
        PriceHint::chinese()
    }

    #[test]
    fn chinese_shop_formats() {
        assert_eq!(p("¥1,299.00", &cn()), ("1299".into(), Some("CNY".into())));
        assert_eq!(p("￥89", &cn()), ("89".into(), Some("CNY".into())));
        assert_eq!(
            p("８９．５０元", &PriceHint::none()),
            ("89.5".into(), Some("CNY".into()))
        );
        assert_eq!(p("1.2万", &cn()), ("12000".into(), Some("CNY".into())));
        assert_eq!(
            p("3.5万元", &PriceHint::none()),
            ("35000".into(), Some("CNY".into()))
        );
        assert_eq!(p("39.90", &cn()), ("39.9".into(), Some("CNY".into())));
    }

    #[test]
    fn european_and_other_formats() {
        let none = PriceHint::none();
        assert_eq!(p("1.299,00 €", &none), ("1299".into(), Some("EUR".into())));
        // Shared symbols with no page around them: the symbol, no code.
        assert_eq!(p("$1,299", &none), ("1299".into(), None));
        assert_eq!(
            parse_price("$1,299", &none)
                .unwrap()
                .currency_text
                .as_deref(),
            Some("$")
        );
        assert_eq!(p("Kč 1 299,-", &none), ("1299".into(), Some("CZK".into())));
        assert_eq!(p("1 299 руб.", &none), ("1299".into(), None));
        assert_eq!(
            p("CHF 1'299.50", &none),
            ("1299.5".into(), Some("CHF".into()))
        );
        assert_eq!(p("249,00 EUR", &none), ("249".into(), Some("EUR".into())));
        assert_eq!(
            p("-20% 49,90 €", &none),
            ("49.9".into(), Some("EUR".into()))
        );
    }

    #[test]
    fn the_amount_is_exact_not_a_float() {
        let parsed = parse_price("1.11000000000000009770", &PriceHint::none()).unwrap();
        assert_eq!(parsed.amount.to_string(), "1.11000000000000009770");
        assert_eq!(parsed.currency, None);
    }

    #[test]
    fn ranges_keep_both_ends() {
        let r = parse_price("¥89-129", &cn()).unwrap();
        assert_eq!(r.amount, Decimal::from(89));
        assert_eq!(r.range_high, Some(Decimal::from(129)));
        let r = parse_price("841,00 zł – 995,00 zł", &PriceHint::none()).unwrap();
        assert_eq!(r.amount.normalize().to_string(), "841");
        assert_eq!(r.range_high.unwrap().normalize().to_string(), "995");
    }

    #[test]
    fn the_price_paid_wins_over_the_list_price() {
        let r = parse_price("券后价 ¥79 原价 ¥99", &cn()).unwrap();
        assert_eq!(
            (r.amount, r.list_price),
            (Decimal::from(79), Some(Decimal::from(99)))
        );
        let r = parse_price("原价：¥99 到手价：¥69", &cn()).unwrap();
        assert_eq!(
            (r.amount, r.list_price),
            (Decimal::from(69), Some(Decimal::from(99)))
        );
    }

    #[test]
    fn ambiguous_symbols_follow_the_page() {
        let ja = PriceHint {
            language: Some("ja".into()),
            ..Default::default()
        };
        assert_eq!(p("¥1,280", &ja).1, Some("JPY".into()));
        assert_eq!(p("¥1,280", &cn()).1, Some("CNY".into()));
        let ca = PriceHint::for_page(&Url::parse("https://www.bestbuy.ca/x").unwrap(), Some("en"));
        assert_eq!(p("$19.99", &ca).1, Some("CAD".into()));
        let dk = PriceHint {
            language: Some("da".into()),
            ..Default::default()
        };
        assert_eq!(p("199 kr", &dk).1, Some("DKK".into()));
    }

    fn code(text: &str, hint: &PriceHint) -> Option<String> {
        parse_price(text, hint).and_then(|p| p.currency.map(|c| c.to_string()))
    }

    #[test]
    fn codes_and_symbols_of_every_continent() {
        let none = PriceHint::none();
        let cases = [
            // Europe
            ("12 EUR", "EUR"),
            ("eur 12", "EUR"),
            ("EUR12", "EUR"),
            ("12CHF", "CHF"),
            ("chf 12.50", "CHF"),
            ("1.299,00 zł", "PLN"),
            ("1 299 Kč", "CZK"),
            ("12 000 Ft", "HUF"),
            ("49,99 lei", "RON"),
            ("12 лв.", "BGN"),
            ("1 499 SEK", "SEK"),
            ("₺49,90", "TRY"),
            // Former Soviet Union, Caucasus, Central Asia
            ("1 200 грн", "UAH"),
            ("₸ 12 000", "KZT"),
            ("₼ 12", "AZN"),
            ("₾ 12", "GEL"),
            ("₮ 12,000", "MNT"),
            // Asia
            ("12元", "CNY"),
            ("1,280円", "JPY"),
            ("12,000원", "KRW"),
            ("Rp 120.000", "IDR"),
            ("RM 12.90", "MYR"),
            ("₹1,299", "INR"),
            ("฿1,290", "THB"),
            ("৳ 1,200", "BDT"),
            ("NT$ 1,200", "TWD"),
            // Middle East, Africa
            ("120 ש\"ח", "ILS"),
            ("د.إ 120", "AED"),
            ("120 ر.س", "SAR"),
            ("KSh 1,200", "KES"),
            ("R 299", "ZAR"),
            ("₦5,000", "NGN"),
            ("GH₵ 50", "GHS"),
            ("XOF 5000", "XOF"),
            // Americas, Oceania
            ("S/ 49.90", "PEN"),
            ("R$ 49,90", "BRL"),
            ("Q 150.00", "GTQ"),
            ("49.90 NZD", "NZD"),
            ("A$ 49.90", "AUD"),
            ("MOP 50", "MOP"),
            ("Fr. 12.50", "CHF"),
            // The crate lists `Le` for the old and the new leone: the current one stands.
            ("Le 100", "SLE"),
        ];
        for (text, want) in cases {
            assert_eq!(code(text, &none).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn every_iso_code_is_known() {
        // From the crate's list, not ours: any code printed next to an amount is read.
        let mut n = 0;
        for numeric in 1..1000 {
            let Some(c) = iso_currency::Currency::from_numeric(numeric) else {
                continue;
            };
            if c.is_fund() || c.is_special() {
                continue;
            }
            n += 1;
            let text = format!("{} 1,299.00", c.code());
            let got = parse_price(&text, &PriceHint::none()).unwrap();
            assert_eq!(
                got.currency.map(|c| c.to_string()).as_deref(),
                Some(c.code())
            );
            assert_eq!(got.amount.normalize().to_string(), "1299", "{text}");
        }
        assert!(n > 150, "{n} codes");
    }

    #[test]
    fn every_symbol_the_crate_lists_is_read_in_its_country() {
        // A shared symbol (`$`, `kr`, `£`, `K`) names each of its currencies on a page of
        // that currency's country.
        let mut n = 0;
        for numeric in 1..1000 {
            let Some(c) = iso_currency::Currency::from_numeric(numeric) else {
                continue;
            };
            let symbol = c.symbol().symbol;
            let skipped_letter = symbol.len() == 1
                && symbol.chars().all(|c| c.is_ascii_alphabetic())
                && !["R", "Q", "K", "L", "P"].contains(&&*symbol);
            if c.is_fund()
                || c.is_special()
                || c.is_superseded().is_some()
                || symbol == "¤"
                || skipped_letter
            {
                continue;
            }
            let Some(country) = c.used_by().first().map(|c| c.to_string()) else {
                continue;
            };
            let hint = PriceHint {
                country: Some(country.clone()),
                on_page: true,
                ..Default::default()
            };
            let got = currency_for_symbol(&symbol, &hint);
            assert_eq!(
                got.map(|g| g.to_string()).as_deref(),
                Some(c.code()),
                "{symbol} in {country}"
            );
            n += 1;
        }
        assert!(n > 120, "{n} symbols");
    }

    #[test]
    fn words_that_are_codes_are_not_currencies() {
        let none = PriceHint::none();
        for text in [
            "ALL items 12.99",
            "all 12 items",
            "Shop all 3",
            "Top 10",
            "cup 2",
            "Pen 4 pack",
            "Try 30 days",
            "4K TV 55",
            "AMD Ryzen 5 3600",
            "12 km",
        ] {
            let p = parse_price(text, &none);
            assert_eq!(p.and_then(|p| p.currency_text), None, "{text}");
        }
        // In capitals right beside the amount they are the currencies.
        assert_eq!(code("ALL 1,200", &none).as_deref(), Some("ALL"));
        assert_eq!(code("PEN 49.90", &none).as_deref(), Some("PEN"));
        assert_eq!(code("TOP 12.50", &none).as_deref(), Some("TOP"));
    }

    #[test]
    fn shared_symbols_follow_the_locale_or_stay_symbols() {
        let page = |url: &str, locales: &[&str]| {
            PriceHint::for_page_with(&Url::parse(url).unwrap(), None, locales, None)
        };
        let none = PriceHint::none();
        // `$`: the country's dollar or peso; USD on a page that names no such country; no
        // code at all without a page.
        assert_eq!(
            code("$19.99", &page("https://www.shop.ca/x", &[])).as_deref(),
            Some("CAD")
        );
        assert_eq!(
            code("$ 2.449", &page("https://www.shop.com/x", &["es_AR"])).as_deref(),
            Some("ARS")
        );
        assert_eq!(
            code("$ 2.449", &page("https://www.shop.com.ar/x", &[])).as_deref(),
            Some("ARS")
        );
        assert_eq!(
            code("$19.99", &page("https://www.shop.com.au/x", &["en"])).as_deref(),
            Some("AUD")
        );
        assert_eq!(
            code("$19.99", &page("https://www.shop.de/x", &["de"])).as_deref(),
            Some("USD")
        );
        assert_eq!(
            code("$19.99", &page("https://shop.example/x", &[])).as_deref(),
            Some("USD")
        );
        let bare = parse_price("$19.99", &none).unwrap();
        assert_eq!(
            (bare.currency, bare.currency_text.as_deref()),
            (None, Some("$"))
        );
        // `kr` by language or domain.
        for (url, locales, want) in [
            ("https://www.shop.com/x", &["sv-SE"][..], "SEK"),
            ("https://www.shop.com/x", &["nb"][..], "NOK"),
            ("https://www.shop.com/x", &["da"][..], "DKK"),
            ("https://www.shop.no/x", &[][..], "NOK"),
            ("https://www.shop.dk/x", &["en"][..], "DKK"),
            ("https://www.shop.is/x", &[][..], "ISK"),
        ] {
            assert_eq!(
                code("199 kr", &page(url, locales)).as_deref(),
                Some(want),
                "{url}"
            );
        }
        assert_eq!(code("199 kr", &none), None);
        // `¥`, `£`, `元`, `руб.` the same way; `€` is EUR anywhere.
        assert_eq!(
            code("¥1,280", &page("https://shop.jp/x", &[])).as_deref(),
            Some("JPY")
        );
        assert_eq!(
            code("£12", &page("https://shop.com.eg/x", &[])).as_deref(),
            Some("EGP")
        );
        assert_eq!(code("£12", &none).as_deref(), Some("GBP"));
        assert_eq!(
            code("1 200元", &page("https://shop.com.tw/x", &[])).as_deref(),
            Some("TWD")
        );
        assert_eq!(
            code("12 руб.", &page("https://shop.by/x", &[])).as_deref(),
            Some("BYN")
        );
        assert_eq!(
            code("12 руб.", &page("https://shop.ru/x", &[])).as_deref(),
            Some("RUB")
        );
        assert_eq!(
            code("12 €", &page("https://shop.co.uk/x", &[])).as_deref(),
            Some("EUR")
        );
        // A site file's currency outranks the page.
        let site = PriceHint::for_page_with(
            &Url::parse("https://shop.example/x").unwrap(),
            Some("zh-CN"),
            &["en-US"],
            Some(Currency::CNY),
        );
        assert_eq!(code("129.00", &site).as_deref(), Some("CNY"));
        assert_eq!(site.country.as_deref(), Some("CN"));
    }

    #[test]
    fn the_domain_and_the_locales_name_the_country() {
        let country = |url: &str, locales: &[&str]| {
            PriceHint::for_page_with(&Url::parse(url).unwrap(), None, locales, None).country
        };
        assert_eq!(country("https://a.co.uk/", &[]).as_deref(), Some("GB"));
        assert_eq!(country("https://a.com.ar/", &[]).as_deref(), Some("AR"));
        assert_eq!(country("https://a.com.tw/", &[]).as_deref(), Some("TW"));
        // A vanity domain names no country; a locale does.
        assert_eq!(country("https://a.io/", &[]), None);
        assert_eq!(country("https://a.com.co/", &[]).as_deref(), Some("CO"));
        assert_eq!(
            country("https://a.com/", &["zh-Hant-TW"]).as_deref(),
            Some("TW")
        );
        assert_eq!(
            country("https://a.com/", &["", "es_MX"]).as_deref(),
            Some("MX")
        );
        assert_eq!(
            country("https://a.com/", &["en-US, fr"]).as_deref(),
            Some("US")
        );
        // Bare numbers: the country's currency; a Taiwanese Chinese page is not CNY.
        let hint = PriceHint::for_page(&Url::parse("https://a.com/").unwrap(), Some("zh-TW"));
        assert_eq!(
            hint.default_currency.map(|c| c.to_string()).as_deref(),
            Some("TWD")
        );
        let hint = PriceHint::for_page(&Url::parse("https://a.com/").unwrap(), Some("zh"));
        assert_eq!(hint.default_currency, Some(Currency::CNY));
    }

    #[test]
    fn no_price_no_answer() {
        assert_eq!(parse_price("No longer available", &PriceHint::none()), None);
        assert_eq!(
            parse_price("Free!", &PriceHint::none()).unwrap().amount,
            Decimal::ZERO
        );
    }

    #[test]
    fn huge_amounts_are_dropped_not_panicked_on() {
        let max_wan = "¥79228162514264337593543950335万";
        assert_eq!(parse_price(max_wan, &cn()), None);
        assert_eq!(parse_price("99999999999999999999999亿元", &cn()), None);
        // The huge list price is dropped; the price paid is still read.
        let r = parse_price(&format!("券后价 ¥99 原价 {max_wan}"), &cn()).unwrap();
        assert_eq!((r.amount, r.list_price), (Decimal::from(99), None));
    }

    #[test]
    fn yi_is_a_hundred_million_and_ranges_keep_their_unit() {
        assert_eq!(
            p("１０亿元", &PriceHint::none()),
            ("1000000000".into(), Some("CNY".into()))
        );
        assert_eq!(
            p("¥2.5 亿", &cn()),
            ("250000000".into(), Some("CNY".into()))
        );
        let r = parse_price("¥1万-2万", &cn()).unwrap();
        assert_eq!(
            (r.amount, r.range_high),
            (Decimal::from(10_000), Some(Decimal::from(20_000)))
        );
        let r = parse_price("89-129元", &PriceHint::none()).unwrap();
        assert_eq!(
            (r.amount, r.range_high, r.currency),
            (
                Decimal::from(89),
                Some(Decimal::from(129)),
                Some(Currency::CNY)
            )
        );
        let r = parse_price("1.5-2万元", &PriceHint::none()).unwrap();
        assert_eq!(
            (r.amount, r.range_high),
            (Decimal::from(15_000), Some(Decimal::from(20_000)))
        );
        let r = parse_price("原价 1.5万 券后价 1.2万", &cn()).unwrap();
        assert_eq!(
            (r.amount, r.list_price),
            (Decimal::from(12_000), Some(Decimal::from(15_000)))
        );
    }

    #[test]
    fn only_the_start_of_a_long_string_is_read() {
        // 5 MB: without the cap this scan takes minutes; with it, the first price is read.
        let long = "¥39.90 ".repeat(5 * 1024 * 1024 / 8);
        let r = parse_price(&long, &cn()).unwrap();
        assert_eq!(
            (r.amount.to_string(), r.currency),
            ("39.90".into(), Some(Currency::CNY))
        );
        let junk = "x".repeat(5 * 1024 * 1024) + "¥39.90";
        assert_eq!(parse_price(&junk, &cn()), None, "the price is past the cap");
        assert_eq!(currency_for_symbol(&"€".repeat(1 << 20), &cn()), None);
    }
}
