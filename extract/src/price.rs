//! Price strings as shops print them → an exact [`Decimal`] amount and an ISO 4217 currency.
//!
//! Handles grouping and decimal separators of every convention (`1,299.00`, `1.299,00`,
//! `1 299,-`, `1'299.50`), currency symbols and words before or after the number (`¥`, `￥`,
//! `元`, `Kč`, `руб.`, `US$`, `EUR`), full-width digits, `万` (×10 000) and `亿` (×10⁸), ranges
//! (`89-129`: the lower bound, range kept; `1-2万` is 10 000–20 000) and Chinese promotion wording (`券后价 ¥79 原价 ¥99`: the price the
//! buyer pays, the list price kept). Amounts never pass through a float.
//!
//! Ambiguous symbols (`$`, `¥`, `kr`, `руб`, `Rs`) are resolved from a [`PriceHint`] (page
//! language, country from the domain).
//!
//! ```
//! use qsword_extract::price::{parse_price, PriceHint};
//! let p = parse_price("券后价 ¥79 原价 ¥99", &PriceHint::chinese()).unwrap();
//! assert_eq!(p.amount.to_string(), "79");
//! assert_eq!(p.currency.unwrap().as_str(), "CNY");
//! assert_eq!(p.list_price.unwrap().to_string(), "99");
//! ```

use qsword_listing::{Currency, Price};
use rust_decimal::Decimal;
use std::collections::HashMap;
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
        }
    }

    /// Hint from the page URL (country from the top-level domain) and its `<html lang>`.
    /// Chinese pages (by language or `.cn`) default to CNY.
    pub fn for_page(url: &Url, language: Option<&str>) -> Self {
        let host = url.host_str().unwrap_or("");
        let tld = host.rsplit('.').next().unwrap_or("").to_ascii_uppercase();
        let mut country = match tld.as_str() {
            "UK" => Some("GB".to_string()),
            t if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) => Some(t.into()),
            _ => None,
        };
        let language = language
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty());
        if country.is_none() {
            // `en-US`, `zh-CN`: the region subtag names a country.
            country = language
                .as_deref()
                .and_then(|l| l.split(['-', '_']).nth(1))
                .filter(|r| r.len() == 2)
                .map(|r| r.to_ascii_uppercase());
        }
        let chinese = country.as_deref() == Some("CN")
            || language
                .as_deref()
                .is_some_and(|l| l.to_ascii_lowercase().starts_with("zh"));
        let default_currency = if chinese {
            Some(Currency::CNY)
        } else {
            country.as_deref().and_then(country_currency)
        };
        PriceHint {
            language,
            country,
            default_currency,
        }
    }

    fn lang_is(&self, prefix: &str) -> bool {
        self.language
            .as_deref()
            .is_some_and(|l| l.to_ascii_lowercase().starts_with(prefix))
    }

    fn country_is(&self, code: &str) -> bool {
        self.country.as_deref() == Some(code)
    }
}

/// The currency of a country (ISO 3166 → ISO 4217), for bare numbers on a national shop.
/// Only countries with one currency in everyday use; `.com` and friends get none.
fn country_currency(country: &str) -> Option<Currency> {
    let code = match country {
        "CN" => "CNY",
        "HK" => "HKD",
        "TW" => "TWD",
        "JP" => "JPY",
        "KR" => "KRW",
        "KZ" => "KZT",
        "RU" => "RUB",
        "BY" => "BYN",
        "UA" => "UAH",
        "PL" => "PLN",
        "CZ" => "CZK",
        "HU" => "HUF",
        "RO" => "RON",
        "BG" => "BGN",
        "SE" => "SEK",
        "NO" => "NOK",
        "DK" => "DKK",
        "CH" => "CHF",
        "GB" => "GBP",
        "DE" | "FR" | "IT" | "ES" | "NL" | "BE" | "AT" | "PT" | "FI" | "IE" | "GR" | "SK"
        | "SI" | "LT" | "LV" | "EE" => "EUR",
        "IN" => "INR",
        "PK" => "PKR",
        "IL" => "ILS",
        "TR" => "TRY",
        "BR" => "BRL",
        "AR" => "ARS",
        "MX" => "MXN",
        "CL" => "CLP",
        "CO" => "COP",
        "CA" => "CAD",
        "AU" => "AUD",
        "NZ" => "NZD",
        "SG" => "SGD",
        "TH" => "THB",
        "VN" => "VND",
        "ID" => "IDR",
        "MY" => "MYR",
        "PH" => "PHP",
        "AE" => "AED",
        "SA" => "SAR",
        "EG" => "EGP",
        "ZA" => "ZAR",
        _ => return None,
    };
    code.parse().ok()
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Iso(&'static str),
    /// `$`-like: several currencies use it.
    Dollar,
    Yen,
    Krona,
    Ruble,
    Rupee,
}

#[derive(Debug)]
struct FoundCurrency {
    start: usize,
    end: usize,
    token: Token,
    text: String,
    /// Single letters and other weak tokens count only right next to the number.
    weak: bool,
}

/// Currency tokens as printed; matched case-insensitively, longest first. Letters-only tokens
/// must stand alone (not inside a word).
const TOKENS: &[(&str, Token)] = &[
    ("US$", Token::Iso("USD")),
    ("US $", Token::Iso("USD")),
    ("U$S", Token::Iso("USD")),
    ("A$", Token::Iso("AUD")),
    ("AU$", Token::Iso("AUD")),
    ("AU $", Token::Iso("AUD")),
    ("C$", Token::Iso("CAD")),
    ("CA$", Token::Iso("CAD")),
    ("CAN$", Token::Iso("CAD")),
    ("NZ$", Token::Iso("NZD")),
    ("HK$", Token::Iso("HKD")),
    ("S$", Token::Iso("SGD")),
    ("R$", Token::Iso("BRL")),
    ("MX$", Token::Iso("MXN")),
    ("NT$", Token::Iso("TWD")),
    ("TT$", Token::Iso("TTD")),
    ("T$", Token::Iso("TOP")),
    ("G$", Token::Iso("GYD")),
    ("Z$", Token::Iso("ZWL")),
    ("CUC$", Token::Iso("CUC")),
    ("$U", Token::Iso("UYU")),
    ("$b", Token::Iso("BOB")),
    ("$", Token::Dollar),
    ("€", Token::Iso("EUR")),
    ("euro", Token::Iso("EUR")),
    ("euros", Token::Iso("EUR")),
    ("£", Token::Iso("GBP")),
    ("E£", Token::Iso("EGP")),
    ("pound", Token::Iso("GBP")),
    ("¥", Token::Yen),
    ("円", Token::Iso("JPY")),
    ("元", Token::Iso("CNY")),
    ("圆", Token::Iso("CNY")),
    ("人民币", Token::Iso("CNY")),
    ("RMB", Token::Iso("CNY")),
    ("₩", Token::Iso("KRW")),
    ("원", Token::Iso("KRW")),
    ("₹", Token::Iso("INR")),
    ("र", Token::Iso("INR")),
    ("₨", Token::Rupee),
    ("Rs", Token::Rupee),
    ("Rs.", Token::Rupee),
    ("Re", Token::Rupee),
    ("₪", Token::Iso("ILS")),
    ("nis", Token::Iso("ILS")),
    ("ש\"ח", Token::Iso("ILS")),
    ("₽", Token::Iso("RUB")),
    ("руб", Token::Ruble),
    ("руб.", Token::Ruble),
    ("рублей", Token::Ruble),
    ("р.", Token::Ruble),
    ("Р", Token::Ruble),
    ("Rbl", Token::Ruble),
    ("Br", Token::Iso("BYN")),
    ("Kč", Token::Iso("CZK")),
    ("zł", Token::Iso("PLN")),
    ("zl", Token::Iso("PLN")),
    ("Ft", Token::Iso("HUF")),
    ("lei", Token::Iso("RON")),
    ("kr", Token::Krona),
    ("kr.", Token::Krona),
    ("Fr.", Token::Iso("CHF")),
    ("SFr", Token::Iso("CHF")),
    ("CHf", Token::Iso("CHF")),
    ("GFr", Token::Iso("GNF")),
    ("₺", Token::Iso("TRY")),
    ("TL", Token::Iso("TRY")),
    ("₴", Token::Iso("UAH")),
    ("грн", Token::Iso("UAH")),
    ("грн.", Token::Iso("UAH")),
    ("฿", Token::Iso("THB")),
    ("บาท", Token::Iso("THB")),
    ("₫", Token::Iso("VND")),
    ("đ", Token::Iso("VND")),
    ("лв", Token::Iso("BGN")),
    ("лв.", Token::Iso("BGN")),
    ("KD", Token::Iso("KWD")),
    ("دينار كويتي", Token::Iso("KWD")),
    ("دينار أردني", Token::Iso("JOD")),
    ("ريال", Token::Iso("SAR")),
    ("ر.س", Token::Iso("SAR")),
    ("ر.ع", Token::Iso("OMR")),
    ("ر.ي", Token::Iso("YER")),
    ("د.إ", Token::Iso("AED")),
    ("د.أ", Token::Iso("JOD")),
    ("د.ج", Token::Iso("DZD")),
    ("د.ع", Token::Iso("IQD")),
    ("ع.د", Token::Iso("IQD")),
    ("ل.ل", Token::Iso("LBP")),
    ("ج.م", Token::Iso("EGP")),
    ("تومان", Token::Iso("IRR")),
    ("RM", Token::Iso("MYR")),
    ("Rp", Token::Iso("IDR")),
    ("₱", Token::Iso("PHP")),
    ("৳", Token::Iso("BDT")),
    ("₭", Token::Iso("LAK")),
    ("៛", Token::Iso("KHR")),
    ("₡", Token::Iso("CRC")),
    ("₦", Token::Iso("NGN")),
    ("₵", Token::Iso("GHS")),
    ("₼", Token::Iso("AZN")),
    ("₸", Token::Iso("KZT")),
    ("тг", Token::Iso("KZT")),
    ("тг.", Token::Iso("KZT")),
    ("₾", Token::Iso("GEL")),
    ("ლ", Token::Iso("GEL")),
    ("lari", Token::Iso("GEL")),
    ("₣", Token::Iso("FRF")),
    ("R₣", Token::Iso("RWF")),
    ("ƒ", Token::Iso("ANG")),
    ("KSh", Token::Iso("KES")),
    ("KShs", Token::Iso("KES")),
    ("USh", Token::Iso("UGX")),
    ("kn", Token::Iso("HRK")),
    ("KM", Token::Iso("BAM")),
    ("км", Token::Iso("BAM")),
    ("ден", Token::Iso("MKD")),
    ("дин", Token::Iso("RSD")),
    ("din", Token::Iso("RSD")),
    ("Dinara", Token::Iso("RSD")),
    ("so'm", Token::Iso("UZS")),
    ("S'", Token::Iso("UZS")),
    ("Sʻ", Token::Iso("UZS")),
    ("Ar", Token::Iso("MGA")),
    ("DT", Token::Iso("TND")),
    ("Db", Token::Iso("STD")),
    ("Dh", Token::Iso("MAD")),
    ("Esc", Token::Iso("CVE")),
    ("FG", Token::Iso("GNF")),
    ("Fbu", Token::Iso("BIF")),
    ("LD", Token::Iso("LYD")),
    ("MK", Token::Iso("MWK")),
    ("MT", Token::Iso("MZN")),
    ("Nu", Token::Iso("BTN")),
    ("Nu.", Token::Iso("BTN")),
    ("VT", Token::Iso("VUV")),
    ("ZK", Token::Iso("ZMW")),
    ("ናቕፋ", Token::Iso("ERN")),
];

/// ISO 4217 codes recognised as words (`249,00 EUR`, `CHF 47.00`).
const ISO_CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AZN", "BAM", "BDT", "BGN", "BHD",
    "BOB", "BRL", "BYN", "CAD", "CHF", "CLP", "CNY", "COP", "CRC", "CZK", "DKK", "DOP", "DZD",
    "EGP", "ETB", "EUR", "GBP", "GEL", "GHS", "HKD", "HRK", "HUF", "IDR", "ILS", "INR", "IQD",
    "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KRW", "KWD", "KZT", "LBP", "LKR", "MAD", "MDL",
    "MKD", "MXN", "MYR", "NGN", "NOK", "NZD", "OMR", "PEN", "PHP", "PKR", "PLN", "QAR", "RON",
    "RSD", "RUB", "SAR", "SEK", "SGD", "THB", "TND", "TRY", "TWD", "UAH", "USD", "UYU", "UZS",
    "VND", "XAF", "XOF", "ZAR",
];

/// Tokens too short or common to trust unless glued to the number.
const WEAK: &[&str] = &[
    "Р", "Re", "Ar", "Db", "Dh", "MT", "LD", "FG", "KM", "TL", "RM", "Br",
];

/// A currency token prepared for matching: lower-cased once, filed under its first character.
struct Needle {
    folded: Vec<char>,
    token: Token,
    weak: bool,
    /// Word boundaries matter for alphabetic scripts only: `万元` is a unit and a currency.
    first_alpha: bool,
    last_alpha: bool,
}

fn is_word(c: &char) -> bool {
    c.is_alphabetic() && (*c as u32) < 0x2E80
}

/// Every token of [`TOKENS`] then [`ISO_CODES`], by first lower-cased character, in that order
/// (the first of two equally long matches wins).
static NEEDLES: std::sync::LazyLock<HashMap<char, Vec<Needle>>> = std::sync::LazyLock::new(|| {
    let mut by_first: HashMap<char, Vec<Needle>> = HashMap::new();
    let all = TOKENS
        .iter()
        .map(|(tok, token)| (*tok, *token))
        .chain(ISO_CODES.iter().map(|code| (*code, Token::Iso(code))));
    for (tok, token) in all {
        let folded: Vec<char> = tok.chars().flat_map(|c| c.to_lowercase()).collect();
        let Some(&first) = folded.first() else {
            continue;
        };
        by_first.entry(first).or_default().push(Needle {
            folded,
            token,
            weak: WEAK.contains(&tok),
            first_alpha: tok.chars().next().is_some_and(|c| is_word(&c)),
            last_alpha: tok.chars().last().is_some_and(|c| is_word(&c)),
        });
    }
    by_first
});

fn find_currencies(chars: &[char]) -> Vec<FoundCurrency> {
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
        let mut best: Option<(usize, Token, bool)> = None;
        for needle in NEEDLES.get(&folded[i]).map_or(&[][..], Vec::as_slice) {
            let n = needle.folded.len();
            if i + n > folded.len() || folded[i..i + n] != needle.folded[..] {
                continue;
            }
            if needle.first_alpha && i > 0 && is_word(&chars[i - 1]) {
                continue;
            }
            if needle.last_alpha && chars.get(i + n).is_some_and(is_word) {
                continue;
            }
            if best.is_none_or(|(len, _, _)| n > len) {
                best = Some((n, needle.token, needle.weak));
            }
        }
        match best {
            Some((n, token, weak)) => {
                out.push(FoundCurrency {
                    start: i,
                    end: i + n,
                    token,
                    text: chars[i..i + n].iter().collect(),
                    weak,
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
        .filter(|(d, _)| *d <= max && *d != usize::MAX)
        // Prefer a strong token, then the nearest; at equal distance the one after the number
        // (`100 € 200` reads as 100 €).
        // A named code beats a shared symbol (`$1,190.00 AUD` is AUD).
        .min_by_key(|(d, c)| {
            (
                c.weak,
                !matches!(c.token, Token::Iso(_)),
                *d,
                c.end <= n.start,
            )
        })
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

/// Picks the currency an ambiguous token stands for on this page.
fn resolve(token: Token, hint: &PriceHint) -> Option<Currency> {
    let code = match token {
        Token::Iso(code) => code,
        Token::Dollar => match hint.country.as_deref() {
            Some("CA") => "CAD",
            Some("AU") => "AUD",
            Some("NZ") => "NZD",
            Some("HK") => "HKD",
            Some("SG") => "SGD",
            Some("MX") => "MXN",
            Some("TW") => "TWD",
            _ => "USD",
        },
        Token::Yen => {
            if hint.lang_is("ja") || hint.country_is("JP") {
                "JPY"
            } else {
                "CNY"
            }
        }
        Token::Krona => {
            if hint.lang_is("da") || hint.country_is("DK") {
                "DKK"
            } else if hint.lang_is("nb") || hint.lang_is("no") || hint.country_is("NO") {
                "NOK"
            } else if hint.lang_is("is") || hint.country_is("IS") {
                "ISK"
            } else {
                "SEK"
            }
        }
        Token::Ruble => {
            if hint.country_is("BY") {
                "BYN"
            } else {
                "RUB"
            }
        }
        Token::Rupee => match hint.country.as_deref() {
            Some("PK") => "PKR",
            Some("LK") => "LKR",
            Some("NP") => "NPR",
            _ => "INR",
        },
    };
    code.parse().ok()
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
        assert_eq!(p("$1,299", &none), ("1299".into(), Some("USD".into())));
        assert_eq!(p("Kč 1 299,-", &none), ("1299".into(), Some("CZK".into())));
        assert_eq!(p("1 299 руб.", &none), ("1299".into(), Some("RUB".into())));
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
