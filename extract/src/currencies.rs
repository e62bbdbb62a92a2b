//! Which currencies a printed token (`$`, `zł`, `EUR`, `руб.`) may stand for, and which
//! currencies a country uses: the price parser's lookup tables.
//!
//! Codes, symbols and the countries using each currency come from the `iso_currency` crate
//! (ISO 4217 as Wikipedia lists it), so every code is known without a hand list. The crate
//! gives one symbol per currency; shops also print local abbreviations (`zł`, `руб.`, `KSh`,
//! `ש"ח`) and prefixed dollars (`US$`, `C$`), which [`LOCAL`] adds. Built once, hashed by
//! first character: the parser looks up each position of a string, not every symbol.

use qsword_listing::Currency;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Local abbreviations and spellings the crate lacks, written from how shops across the world
/// print prices (not from any test corpus). A text listed more than once is shared; case
/// variants of one text share too (`Kr`, `kr`), so `LE` (Egyptian pound) is left to `L.E.`
/// lest it share with `Le` (leone).
const LOCAL: &[(&str, &str)] = &[
    // Dollars with a country prefix or suffix.
    ("US$", "USD"),
    ("US $", "USD"),
    ("U$S", "USD"),
    ("U$", "USD"),
    ("USD$", "USD"),
    ("U$D", "USD"),
    ("A$", "AUD"),
    ("AU$", "AUD"),
    ("AU $", "AUD"),
    ("AUD$", "AUD"),
    ("C$", "CAD"),
    ("CA$", "CAD"),
    ("CAN$", "CAD"),
    ("CAD$", "CAD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("S$", "SGD"),
    ("SG$", "SGD"),
    ("R$", "BRL"),
    ("MX$", "MXN"),
    ("Mex$", "MXN"),
    ("M.N.", "MXN"),
    ("NT$", "TWD"),
    ("TT$", "TTD"),
    ("J$", "JMD"),
    ("EC$", "XCD"),
    ("BZ$", "BZD"),
    ("BD$", "BMD"),
    ("B$", "BSD"),
    ("CI$", "KYD"),
    ("SI$", "SBD"),
    ("T$", "TOP"),
    ("G$", "GYD"),
    ("Z$", "ZWL"),
    ("CUC$", "CUC"),
    ("COL$", "COP"),
    ("CLP$", "CLP"),
    ("CH$", "CLP"),
    ("AR$", "ARS"),
    ("ARS$", "ARS"),
    ("$U", "UYU"),
    ("$b", "BOB"),
    // `10 $US`, `CDN$ 12`: the French, Spanish and Canadian orders.
    ("$US", "USD"),
    ("$ US", "USD"),
    ("$CA", "CAD"),
    ("$ CA", "CAD"),
    ("$CAN", "CAD"),
    ("CDN$", "CAD"),
    ("CDN $", "CAD"),
    ("$AU", "AUD"),
    ("$NZ", "NZD"),
    ("$HK", "HKD"),
    ("dollar", "USD"),
    ("dollar", "CAD"),
    ("dollar", "AUD"),
    ("dollar", "NZD"),
    ("dollar", "SGD"),
    ("dollar", "HKD"),
    ("dollars", "USD"),
    ("dollars", "CAD"),
    ("dollars", "AUD"),
    ("dollars", "NZD"),
    ("dollars", "SGD"),
    ("dollars", "HKD"),
    // Europe.
    ("euro", "EUR"),
    ("euros", "EUR"),
    ("pound", "GBP"),
    ("pounds", "GBP"),
    ("Fr.", "CHF"),
    ("SFr", "CHF"),
    ("SFr.", "CHF"),
    ("sFr", "CHF"),
    ("Kč", "CZK"),
    ("Kc", "CZK"),
    ("korun", "CZK"),
    ("Zl", "PLN"),
    ("złotych", "PLN"),
    ("zlotych", "PLN"),
    ("forint", "HUF"),
    ("lira", "TRY"),
    ("francs", "CHF"),
    ("kroner", "NOK"),
    ("kroner", "DKK"),
    ("kronor", "SEK"),
    ("krona", "SEK"),
    ("krone", "NOK"),
    ("krone", "DKK"),
    ("zł", "PLN"),
    ("zl", "PLN"),
    ("Ft", "HUF"),
    ("FT", "HUF"),
    ("lei", "RON"),
    ("leu", "MDL"),
    ("лей", "MDL"),
    ("kr", "SEK"),
    ("kr", "NOK"),
    ("kr", "DKK"),
    ("kr", "ISK"),
    ("Kr", "SEK"),
    ("Kr", "NOK"),
    ("Kr", "DKK"),
    ("Kr", "ISK"),
    ("kr.", "DKK"),
    ("kr.", "SEK"),
    ("kr.", "NOK"),
    ("kr.", "ISK"),
    ("Kr.", "DKK"),
    ("Kr.", "SEK"),
    ("Kr.", "NOK"),
    ("Kr.", "ISK"),
    ("Skr", "SEK"),
    ("NKr", "NOK"),
    ("Dkr", "DKK"),
    ("kn", "HRK"),
    ("Kn", "HRK"),
    ("KN", "HRK"),
    ("лв", "BGN"),
    ("лв.", "BGN"),
    ("Lek", "ALL"),
    ("lekë", "ALL"),
    ("KM", "BAM"),
    ("км", "BAM"),
    ("ден", "MKD"),
    ("ден.", "MKD"),
    ("дин", "RSD"),
    ("дин.", "RSD"),
    ("din", "RSD"),
    ("din.", "RSD"),
    ("Dinara", "RSD"),
    ("₺", "TRY"),
    ("TL", "TRY"),
    ("YTL", "TRY"),
    // Former Soviet Union.
    ("руб", "RUB"),
    ("руб", "BYN"),
    ("руб.", "RUB"),
    ("руб.", "BYN"),
    ("рублей", "RUB"),
    ("рублей", "BYN"),
    ("рубля", "RUB"),
    ("рубль", "RUB"),
    ("rubles", "RUB"),
    ("roubles", "RUB"),
    ("р.", "RUB"),
    ("р.", "BYN"),
    ("Р", "RUB"),
    ("Rbl", "RUB"),
    ("RUR", "RUB"),
    ("Br", "BYN"),
    ("бел. руб.", "BYN"),
    ("₴", "UAH"),
    ("грн", "UAH"),
    ("грн.", "UAH"),
    ("гривні", "UAH"),
    ("гривен", "UAH"),
    ("гривень", "UAH"),
    ("₸", "KZT"),
    ("тг", "KZT"),
    ("тг.", "KZT"),
    ("тңг", "KZT"),
    ("тенге", "KZT"),
    ("сом", "KGS"),
    ("сўм", "UZS"),
    ("сум", "UZS"),
    ("so'm", "UZS"),
    ("soʻm", "UZS"),
    ("S'", "UZS"),
    ("Sʻ", "UZS"),
    ("сомонӣ", "TJS"),
    ("смн", "TJS"),
    ("смн.", "TJS"),
    ("₼", "AZN"),
    ("man.", "AZN"),
    ("ман.", "AZN"),
    ("₾", "GEL"),
    ("lari", "GEL"),
    ("ლარი", "GEL"),
    ("դր.", "AMD"),
    ("₮", "MNT"),
    ("төг", "MNT"),
    // East and South-East Asia.
    ("¥", "CNY"),
    ("¥", "JPY"),
    ("元", "CNY"),
    ("元", "TWD"),
    ("元", "HKD"),
    ("圆", "CNY"),
    ("圓", "TWD"),
    ("圓", "HKD"),
    ("圓", "CNY"),
    ("块", "CNY"),
    ("人民币", "CNY"),
    ("RMB", "CNY"),
    ("yuan", "CNY"),
    ("yen", "JPY"),
    ("NTD", "TWD"),
    ("baht", "THB"),
    ("ringgit", "MYR"),
    ("rupiah", "IDR"),
    ("円", "JPY"),
    ("₩", "KRW"),
    ("원", "KRW"),
    ("฿", "THB"),
    ("บาท", "THB"),
    ("₫", "VND"),
    ("đ", "VND"),
    ("VNĐ", "VND"),
    ("đồng", "VND"),
    ("RM", "MYR"),
    ("Rp", "IDR"),
    ("Rp.", "IDR"),
    ("RP", "IDR"),
    ("₱", "PHP"),
    ("₭", "LAK"),
    ("ກີບ", "LAK"),
    ("៛", "KHR"),
    ("Ks", "MMK"),
    ("ကျပ်", "MMK"),
    // South Asia.
    ("₹", "INR"),
    ("र", "INR"),
    ("रु", "NPR"),
    ("रू", "NPR"),
    ("₨", "INR"),
    ("Rs", "INR"),
    ("Rs", "PKR"),
    ("Rs", "LKR"),
    ("Rs", "NPR"),
    ("Rs", "MUR"),
    ("Rs.", "INR"),
    ("Rs.", "PKR"),
    ("Rs.", "LKR"),
    ("Rs.", "NPR"),
    ("RS", "INR"),
    ("RS.", "INR"),
    ("Re", "INR"),
    ("Re.", "INR"),
    ("rs.", "INR"),
    ("ரூ", "INR"),
    ("ரூ", "LKR"),
    ("rupee", "INR"),
    ("rupees", "INR"),
    ("rupees", "PKR"),
    ("rupees", "LKR"),
    ("rupees", "NPR"),
    ("රු", "LKR"),
    ("৳", "BDT"),
    ("Tk", "BDT"),
    ("টাকা", "BDT"),
    ("Nu", "BTN"),
    ("Af", "AFN"),
    // Middle East and North Africa.
    ("₪", "ILS"),
    ("nis", "ILS"),
    ("shekel", "ILS"),
    ("shekels", "ILS"),
    ("ש\"ח", "ILS"),
    ("ש״ח", "ILS"),
    ("שח", "ILS"),
    ("E£", "EGP"),
    ("L.E.", "EGP"),
    ("ج.م", "EGP"),
    ("ج.م.", "EGP"),
    ("جنيه", "EGP"),
    ("د.إ", "AED"),
    ("Dhs", "AED"),
    ("درهم", "AED"),
    ("درهم", "MAD"),
    ("ر.س", "SAR"),
    ("ر.س.", "SAR"),
    ("SR", "SAR"),
    ("ريال", "SAR"),
    ("ريال", "QAR"),
    ("ريال", "OMR"),
    ("ريال", "YER"),
    ("ريال", "IRR"),
    ("ر.ق", "QAR"),
    ("QR", "QAR"),
    ("ر.ع", "OMR"),
    ("ر.ي", "YER"),
    ("KD", "KWD"),
    ("د.ك", "KWD"),
    ("دينار كويتي", "KWD"),
    ("BD", "BHD"),
    ("د.ب", "BHD"),
    ("JD", "JOD"),
    ("د.أ", "JOD"),
    ("د.ا", "JOD"),
    ("دينار أردني", "JOD"),
    ("د.ع", "IQD"),
    ("ع.د", "IQD"),
    ("ل.ل", "LBP"),
    ("ل.س", "SYP"),
    ("تومان", "IRR"),
    ("ریال", "IRR"),
    ("DA", "DZD"),
    ("د.ج", "DZD"),
    ("DH", "MAD"),
    ("Dh", "MAD"),
    ("د.م.", "MAD"),
    ("DT", "TND"),
    ("LD", "LYD"),
    // Sub-Saharan Africa.
    ("R", "ZAR"),
    ("rand", "ZAR"),
    ("naira", "NGN"),
    ("₦", "NGN"),
    ("₵", "GHS"),
    ("GH₵", "GHS"),
    ("GH¢", "GHS"),
    ("KSh", "KES"),
    ("KShs", "KES"),
    ("Ksh", "KES"),
    ("Kshs", "KES"),
    ("TSh", "TZS"),
    ("Tsh", "TZS"),
    ("USh", "UGX"),
    ("Ush", "UGX"),
    ("ብር", "ETB"),
    ("Birr", "ETB"),
    ("FCFA", "XOF"),
    ("FCFA", "XAF"),
    ("F CFA", "XOF"),
    ("F CFA", "XAF"),
    ("CFA", "XAF"),
    ("FRw", "RWF"),
    ("R₣", "RWF"),
    ("FBu", "BIF"),
    ("Fbu", "BIF"),
    ("GFr", "GNF"),
    ("FG", "GNF"),
    ("Ar", "MGA"),
    ("Db", "STN"),
    ("Esc", "CVE"),
    ("MK", "MWK"),
    ("MT", "MZN"),
    ("MTn", "MZN"),
    ("Kz", "AOA"),
    ("ZK", "ZMW"),
    ("Nfk", "ERN"),
    ("ናቕፋ", "ERN"),
    // Americas.
    ("B/.", "PAB"),
    ("S/", "PEN"),
    ("S/.", "PEN"),
    ("reais", "BRL"),
    ("Bs", "VES"),
    ("Bs.", "VES"),
    ("Bs.S", "VES"),
    ("Bs.F", "VEF"),
    ("Gs", "PYG"),
    ("Gs.", "PYG"),
    ("₡", "CRC"),
    ("Q", "GTQ"),
    ("ƒ", "ANG"),
    ("Afl", "AWG"),
    // Oceania.
    ("VT", "VUV"),
    ("K", "PGK"),
];

/// ISO codes that are also everyday words, brands or abbreviations (`ALL items`, `TOP 10`,
/// `AMD 3600`, `PHP 8`): currencies only when upper-case and right next to an amount.
const WORD_LIKE_CODES: &[&str] = &[
    "ALL", "AMD", "ANG", "ARS", "AWG", "BAM", "BOB", "BTN", "CAD", "COP", "CRC", "CUP", "CVE",
    "DOP", "GEL", "KGS", "LAK", "MAD", "MDL", "MNT", "MOP", "MUR", "NAD", "PAB", "PEN", "PHP",
    "RON", "RUB", "SAR", "SHP", "SOS", "SVC", "TOP", "TRY",
];

/// What a symbol shared by several currencies answers when the page names none of them:
/// `alone` with no page at all (`£` is GBP; `$` stays `$`), `fallback` on a page whose locale
/// is known but uses none of the candidates (`$` on a German page is USD).
const SHARED: &[(&str, Option<&str>, &str)] = &[
    ("$", None, "USD"),
    ("£", Some("GBP"), "GBP"),
    ("¥", None, "CNY"),
    ("元", Some("CNY"), "CNY"),
    ("圓", None, "TWD"),
    ("ரூ", None, "INR"),
    ("kr", None, "SEK"),
    ("kr.", None, "SEK"),
    ("руб", None, "RUB"),
    ("руб.", None, "RUB"),
    ("рублей", None, "RUB"),
    ("р.", None, "RUB"),
    ("rs", None, "INR"),
    ("rs.", None, "INR"),
    ("₨", None, "INR"),
    ("br", Some("BYN"), "BYN"),
    ("₩", Some("KRW"), "KRW"),
    ("₱", Some("PHP"), "PHP"),
    ("s$", Some("SGD"), "SGD"),
    ("c$", None, "CAD"),
    ("dollar", None, "USD"),
    ("dollars", None, "USD"),
    ("rupees", None, "INR"),
    ("kroner", None, "NOK"),
    ("krone", None, "NOK"),
];

/// Short Latin abbreviations that are currencies however placed; other one- and two-letter
/// ones (`RM`, `KM`, `TL`) must touch the amount.
const STRONG_SHORT: &[&str] = &[
    "kr", "Kr", "kr.", "Kr.", "Ft", "FT", "kn", "Rs", "Rs.", "RS", "RS.", "Rp", "Rp.",
];

/// Single Latin letters kept as currencies (before the amount, touching it): `R 299` (rand),
/// `Q 150` (quetzal), `K 20` (kina/kwacha/kyat), `L 250` (lek/lempira/leu), `P 99` (pula).
/// Others the crate lists (`D`, `E`, `G`, `M`) read as sizes and grades far more often.
const SINGLE_LETTERS: &[&str] = &["R", "Q", "K", "L", "P"];

/// A printed currency and what it may stand for.
pub(crate) struct Symbol {
    /// Every currency printed this way.
    pub currencies: Vec<Currency>,
    /// The answer with no page context (see [`SHARED`]); the sole currency if only one.
    pub alone: Option<Currency>,
    /// The answer on a page whose locale names none of `currencies`.
    pub fallback: Option<Currency>,
}

/// One way a symbol is written, prepared for matching.
pub(crate) struct Needle {
    /// The text lower-cased (or as written when `case_sensitive`).
    pub chars: Vec<char>,
    pub symbol: usize,
    /// Counts only right next to the number (short or word-like tokens).
    pub weak: bool,
    /// Matched against the original characters, not the lower-cased ones.
    pub case_sensitive: bool,
    /// Only before the amount (`R 299`, never `4K`).
    pub prefix_only: bool,
    /// A three-letter ISO code: weak unless upper-case.
    pub code: bool,
    /// An ISO code that is also a word: only upper-case, and weak.
    pub word_like: bool,
    /// Word boundaries matter for alphabetic scripts only: `万元` is a unit and a currency.
    pub first_alpha: bool,
    pub last_alpha: bool,
}

pub(crate) struct Table {
    pub symbols: Vec<Symbol>,
    /// By first (lower-cased unless case-sensitive) character, longest first; looked up at
    /// every word start of every price string, hence the fast hasher.
    pub needles: foldhash::HashMap<char, Vec<Needle>>,
    /// ISO 3166 alpha-2 → the currencies in use there (funds and superseded ones left out).
    pub countries: HashMap<String, Vec<Currency>>,
}

pub(crate) static TABLE: LazyLock<Table> = LazyLock::new(build);

pub(crate) fn is_word(c: &char) -> bool {
    c.is_alphabetic() && (*c as u32) < 0x2E80
}

fn cur(code: &str) -> Currency {
    code.parse().expect("a three-letter code")
}

fn build() -> Table {
    let mut countries: HashMap<String, Vec<Currency>> = HashMap::new();
    let mut codes: Vec<Currency> = Vec::new();
    // (text as written, currency); the crate's symbols first, then the local ones.
    let mut written: Vec<(String, Currency)> = Vec::new();
    let mut successor: HashMap<Currency, Currency> = HashMap::new();
    // Numeric codes span 1..=999: walking them lists every currency without the crate's
    // optional iterator feature.
    for n in 1..1000u16 {
        let Some(c) = iso_currency::Currency::from_numeric(n) else {
            continue;
        };
        if c.is_fund() || c.is_special() {
            continue;
        }
        let code = cur(c.code());
        codes.push(code);
        match c.is_superseded() {
            Some(next) => {
                successor.insert(code, cur(next.latest().code()));
            }
            None => {
                for country in c.used_by() {
                    countries.entry(country.to_string()).or_default().push(code);
                }
            }
        }
        let symbol = c.symbol().symbol;
        let letters = symbol.chars().filter(|ch| ch.is_alphabetic()).count();
        let single_ascii = letters == 1 && symbol.chars().count() == 1 && symbol.is_ascii();
        if symbol.is_empty()
            || symbol == "¤"
            || (single_ascii && !SINGLE_LETTERS.contains(&symbol.as_str()))
        {
            continue;
        }
        written.push((symbol, code));
    }
    written.extend(LOCAL.iter().map(|(t, c)| (t.to_string(), cur(c))));

    let mut symbols: Vec<Symbol> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut needles: foldhash::HashMap<char, Vec<Needle>> = Default::default();
    let mut seen: std::collections::HashSet<(Vec<char>, bool)> = Default::default();
    let mut add = |text: &str, currency: Currency, code: bool| {
        let key = text.to_lowercase();
        let idx = *by_key.entry(key).or_insert_with(|| {
            symbols.push(Symbol {
                currencies: Vec::new(),
                alone: None,
                fallback: None,
            });
            symbols.len() - 1
        });
        if !symbols[idx].currencies.contains(&currency) {
            symbols[idx].currencies.push(currency);
        }
        let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
        let short_latin = !code
            && !letters.is_empty()
            && letters.len() <= 2
            && text.chars().all(|c| c.is_ascii_alphabetic() || c == '.');
        let case_sensitive = short_latin;
        let chars: Vec<char> = if case_sensitive {
            text.chars().collect()
        } else {
            text.chars().flat_map(char::to_lowercase).collect()
        };
        if !seen.insert((chars.clone(), case_sensitive)) {
            return;
        }
        let word_like = code && WORD_LIKE_CODES.contains(&text);
        let weak = (short_latin && !STRONG_SHORT.contains(&text))
            // One letter of an alphabet (`Р`), not a CJK sign (`元`, `円`).
            || (text.chars().count() == 1 && text.chars().all(|c| is_word(&c)));
        needles.entry(chars[0]).or_default().push(Needle {
            symbol: idx,
            weak,
            case_sensitive,
            prefix_only: short_latin && letters.len() == 1,
            code,
            word_like,
            first_alpha: text.chars().next().is_some_and(|c| is_word(&c)),
            last_alpha: text.chars().last().is_some_and(|c| is_word(&c)),
            chars,
        });
    };
    // Codes first: a symbol spelled like a code (none today) must not take its rules.
    for code in &codes {
        add(code.as_str(), *code, true);
    }
    for (text, currency) in &written {
        add(text, *currency, false);
    }

    for s in &mut symbols {
        // A superseded currency beside its successor under one symbol (`Le`: SLL and SLE)
        // is the same money renamed: the successor stands.
        let all = s.currencies.clone();
        s.currencies
            .retain(|c| successor.get(c).is_none_or(|next| !all.contains(next)));
        if let [one] = s.currencies[..] {
            s.alone = Some(one);
            s.fallback = Some(one);
        }
    }
    for (text, alone, fallback) in SHARED {
        if let Some(&idx) = by_key.get(*text) {
            symbols[idx].alone = alone.map(cur);
            symbols[idx].fallback = Some(cur(fallback));
        }
    }
    // Longest first, so the parser stops at a position's first match (ties keep table order).
    for list in needles.values_mut() {
        list.sort_by_key(|n| std::cmp::Reverse(n.chars.len()));
    }
    Table {
        symbols,
        needles,
        countries,
    }
}

/// The currency a country's shops price in: the one whose code starts with the country
/// (ISO 4217's own rule, `SE` → `SEK`), else its only one; `None` where several circulate.
pub(crate) fn country_currency(country: &str) -> Option<Currency> {
    let list = TABLE.countries.get(country)?;
    list.iter()
        .find(|c| c.as_str().starts_with(country))
        .or(match list.as_slice() {
            [one] => Some(one),
            _ => None,
        })
        .copied()
}

/// The country where a language is mainly spoken, for languages tied to one country's
/// currency (`da` → DK for `kr`, `ja` → JP for `¥`); world languages (`en`, `es`, `ar`) name
/// none.
pub(crate) fn language_country(language: &str) -> Option<&'static str> {
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    Some(match primary.as_str() {
        "ja" => "JP",
        "zh" => "CN",
        "ko" => "KR",
        "da" => "DK",
        "sv" => "SE",
        "nb" | "nn" | "no" => "NO",
        "is" => "IS",
        "ru" => "RU",
        "be" => "BY",
        "uk" => "UA",
        "kk" => "KZ",
        "ky" => "KG",
        "uz" => "UZ",
        "tg" => "TJ",
        "az" => "AZ",
        "ka" => "GE",
        "hy" => "AM",
        "mn" => "MN",
        "pl" => "PL",
        "cs" => "CZ",
        "hu" => "HU",
        "ro" => "RO",
        "bg" => "BG",
        "sr" => "RS",
        "mk" => "MK",
        "sq" => "AL",
        "bs" => "BA",
        "tr" => "TR",
        "he" | "iw" => "IL",
        "fa" => "IR",
        "hi" => "IN",
        "ur" => "PK",
        "bn" => "BD",
        "si" => "LK",
        "ne" => "NP",
        "th" => "TH",
        "vi" => "VN",
        "id" => "ID",
        "ms" => "MY",
        "fil" | "tl" => "PH",
        "km" => "KH",
        "lo" => "LA",
        "my" => "MM",
        "am" => "ET",
        "sw" => "KE",
        _ => return None,
    })
}
