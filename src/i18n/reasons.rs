//! A flag's reason in the reader's language, rebuilt from its signal and evidence numbers.
//!
//! The detector writes one English sentence per flag (`reason`, kept in its JSON output for
//! compatibility) and puts the numbers behind it in `evidence`. The kind of sentence — its
//! code — follows from the signal and the evidence's keys (`problem` for marks, `history_median`
//! for a listing's own price history, `reference_source` for the product's price, `genuine`
//! for brands); the catalogue has one message per code. A flag whose evidence lacks what its
//! sentence needs (one stored by an older detector) keeps its English reason.

use super::{tf, Arg, Lang};
use serde_json::Value;

/// Fewest other offers of the same product whose marks count (`mark.rs` MIN_PEERS).
const MIN_PEERS: u64 = 2;

/// The sentence of a flag in `lang`: the detector's own for English, else rebuilt.
pub fn reason(lang: Lang, signal: &str, evidence: &Value, english: &str) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    let built = match signal {
        "price" => price(lang, evidence, english),
        "mark" => mark(lang, evidence, english),
        "brand" => brand(lang, evidence),
        "cue" => cue(lang, evidence),
        "seller" => seller(lang, evidence, english),
        _ => None,
    };
    built.unwrap_or_else(|| english.to_string())
}

/// The name of a signal in `lang`.
pub fn signal_name(lang: Lang, signal: &str) -> String {
    match signal {
        "price" | "brand" | "mark" | "cue" | "seller" => {
            super::t(lang, &format!("signal-{signal}"))
        }
        other => other.to_string(),
    }
}

fn s<'a>(e: &'a Value, key: &str) -> Option<&'a str> {
    e.get(key)?.as_str()
}
fn n(e: &Value, key: &str) -> Option<f64> {
    e.get(key)?.as_f64()
}
fn pct(x: f64) -> String {
    format!("{:.0}", x * 100.0)
}

/// The currency symbol (or code) the English sentence writes its first price with.
fn currency_of(english: &str) -> String {
    english
        .split(|c: char| c.is_ascii_digit())
        .next()
        .unwrap_or("")
        .to_string()
}

fn shown(symbol: &str, amount: &str) -> String {
    super::money(&format!("{symbol}{amount}"))
}

fn price(lang: Lang, e: &Value, english: &str) -> Option<String> {
    let symbol = currency_of(english);
    if let Some(median) = s(e, "history_median") {
        let price = s(e, "price")?;
        return Some(tf(
            lang,
            "reason-price-history",
            vec![
                ("price", shown(&symbol, price).into()),
                ("drop", pct(n(e, "drop")?).into()),
                ("median", shown(&symbol, median).into()),
                ("count", n(e, "earlier_prices")?.into()),
            ],
        ));
    }
    let price = s(e, "price")?;
    let median = s(e, "median")?;
    let (p, m) = (price.parse::<f64>().ok()?, median.parse::<f64>().ok()?);
    if m <= 0.0 {
        return None;
    }
    let args = |extra: Vec<(&'static str, Arg)>| {
        let mut a: Vec<(&str, Arg)> = vec![
            ("price", shown(&symbol, price).into()),
            ("drop", pct(1.0 - p / m).into()),
            ("reference", shown(&symbol, median).into()),
            ("offers", n(e, "offers").unwrap_or(0.0).into()),
        ];
        a.extend(extra);
        a
    };
    let mut out = if s(e, "reference_source") == Some("price_model") {
        let spread = (n(e, "uncertainty").unwrap_or(0.0).exp() - 1.0) * 100.0;
        tf(
            lang,
            "reason-price-model",
            args(vec![("spread", format!("{spread:.0}").into())]),
        )
    } else {
        let mut s = tf(lang, "reason-price-median", args(Vec::new()));
        let anchors = n(e, "reference_anchors").unwrap_or(0.0);
        if anchors > 0.0 {
            s.push_str(&tf(
                lang,
                "reason-price-anchors",
                vec![("anchors", anchors.into())],
            ));
        }
        s
    };
    if e.get("official_store").and_then(Value::as_bool) == Some(true) {
        out.push_str(&tf(lang, "reason-price-official", Vec::new()));
    }
    if let Some(words) = s(e, "explained_by") {
        out.push_str(&tf(
            lang,
            "reason-price-explained",
            vec![("words", words.into())],
        ));
    }
    Some(out)
}

fn unverified(lang: Lang, e: &Value) -> String {
    if e.get("verified").and_then(Value::as_bool) == Some(false) {
        tf(
            lang,
            "reason-rule-unverified",
            vec![("source", s(e, "source").unwrap_or("").into())],
        )
    } else {
        String::new()
    }
}

fn mark(lang: Lang, e: &Value, _english: &str) -> Option<String> {
    let scheme = s(e, "scheme")?;
    let mut out = match s(e, "problem")? {
        "missing" => {
            let peers = n(e, "peers").unwrap_or(0.0);
            let showing = n(e, "peers_showing").unwrap_or(0.0);
            let mut r = tf(
                lang,
                "reason-mark-missing",
                vec![
                    ("scheme", scheme.into()),
                    ("category", s(e, "category").unwrap_or("").into()),
                ],
            );
            if peers >= MIN_PEERS as f64 && showing * 2.0 >= peers {
                r.push_str(&tf(
                    lang,
                    "reason-mark-missing-peers",
                    vec![("showing", showing.into()), ("peers", peers.into())],
                ));
            } else {
                r.push_str(&tf(lang, "reason-mark-missing-text-only", Vec::new()));
            }
            if let Some(words) = s(e, "claimed_in_words") {
                r.push_str(&tf(
                    lang,
                    "reason-mark-claimed",
                    vec![("words", words.into())],
                ));
            }
            r
        }
        "malformed" => {
            let mut r = tf(
                lang,
                "reason-mark-malformed",
                vec![
                    ("scheme", scheme.into()),
                    ("number", s(e, "number")?.into()),
                    ("expected", s(e, "expected").unwrap_or("").into()),
                ],
            );
            if e.get("letters_for_digits").and_then(Value::as_bool) == Some(true) {
                r.push_str(&tf(lang, "reason-mark-letters-for-digits", Vec::new()));
            }
            r
        }
        "impossible-year" => {
            let years = e.get("valid_years")?.as_array()?;
            tf(
                lang,
                "reason-mark-impossible-year",
                vec![
                    ("scheme", scheme.into()),
                    ("number", s(e, "number")?.into()),
                    ("year", n(e, "year")?.into()),
                    ("from", years.first()?.as_f64()?.into()),
                    ("to", years.get(1)?.as_f64()?.into()),
                ],
            )
        }
        "wrong-product" => {
            let number = s(e, "number")?;
            let product = s(e, "product")?;
            if let Some(code) = s(e, "peer_code") {
                tf(
                    lang,
                    "reason-mark-wrong-product-peers",
                    vec![
                        ("scheme", scheme.into()),
                        ("number", number.into()),
                        ("product", product.into()),
                        ("code", code.into()),
                        ("agree", n(e, "peers_agreeing")?.into()),
                        ("coded", n(e, "peers_coded")?.into()),
                    ],
                )
            } else {
                let codes: Vec<&str> = e
                    .get("category_codes")?
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                tf(
                    lang,
                    "reason-mark-wrong-product-category",
                    vec![
                        ("scheme", scheme.into()),
                        ("number", number.into()),
                        ("product", product.into()),
                        ("category", s(e, "category")?.into()),
                        ("codes", codes.join("、").into()),
                    ],
                )
            }
        }
        _ => return None,
    };
    out.push_str(&unverified(lang, e));
    Some(out)
}

fn field(lang: Lang, f: &str) -> String {
    match f {
        "title" | "description" | "brand" => super::t(lang, &format!("field-{f}")),
        other => other.to_string(),
    }
}

/// What kind of imitation, from the evidence's `kind` label.
fn kind(lang: Lang, label: &str) -> String {
    let key = format!("brand-kind-{label}");
    if KINDS.contains(&label) {
        super::t(lang, &key)
    } else {
        label.to_string()
    }
}

/// Every imitation label the detector writes (brand.rs, latin.rs, lexicon.rs).
pub const KINDS: &[&str] = &[
    "full-width",
    "homoglyph",
    "misspelling",
    "bent-words",
    "near-homophone",
    "near-form",
    "split-character",
    "inserted-character",
    "mixed-script",
    "foreign-look-alike",
    "mixed-width",
    "invisible-character",
    "digit-for-letter",
    "look-alike",
    "punctuated",
    "transposition",
    "repetition",
    "omission",
    "addition",
    "vowel-swap",
    "variant",
];

fn brand(lang: Lang, e: &Value) -> Option<String> {
    let written = s(e, "written")?;
    let at = field(lang, s(e, "field").unwrap_or(""));
    let how = kind(lang, s(e, "kind").unwrap_or("variant"));
    let genuine = s(e, "genuine");
    if let Some(id) = s(e, "brand") {
        // The catalogue's id says nothing more when it is the genuine name itself.
        let key = if genuine.is_some_and(|g| g.eq_ignore_ascii_case(id)) {
            "reason-brand-protected-same"
        } else {
            "reason-brand-protected"
        };
        return Some(tf(
            lang,
            key,
            vec![
                ("written", written.into()),
                ("field", at.into()),
                ("genuine", genuine.unwrap_or(id).into()),
                ("brand", id.into()),
                ("kind", how.into()),
            ],
        ));
    }
    Some(match genuine {
        Some(genuine) => tf(
            lang,
            "reason-brand-learnt",
            vec![
                ("written", written.into()),
                ("field", at.into()),
                ("genuine", genuine.into()),
                ("sellers", n(e, "genuine_sellers").unwrap_or(0.0).into()),
                (
                    "written_sellers",
                    n(e, "written_sellers").unwrap_or(0.0).into(),
                ),
                ("kind", how.into()),
            ],
        ),
        None => tf(
            lang,
            "reason-brand-dodging",
            vec![
                ("written", written.into()),
                ("field", at.into()),
                ("kind", how.into()),
            ],
        ),
    })
}

fn cue(lang: Lang, e: &Value) -> Option<String> {
    let words: Vec<String> = e
        .get("cues")?
        .as_array()?
        .iter()
        .filter_map(|c| {
            Some(tf(
                lang,
                "reason-cue-word",
                vec![
                    ("word", s(c, "word")?.into()),
                    ("field", field(lang, s(c, "where").unwrap_or("")).into()),
                ],
            ))
        })
        .collect();
    Some(tf(
        lang,
        "reason-cue",
        vec![(
            "words",
            words.join(super::t(lang, "list-separator").as_str()).into(),
        )],
    ))
}

fn seller(lang: Lang, e: &Value, _english: &str) -> Option<String> {
    let network: Vec<&str> = e
        .get("network")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let who = if network.len() > 1 {
        let linked: Vec<&str> = e
            .get("linked_by")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        tf(
            lang,
            "reason-seller-network",
            vec![
                ("sellers", network.join("、").into()),
                ("linked", linked.join("、").into()),
            ],
        )
    } else {
        tf(
            lang,
            "reason-seller-one",
            vec![("seller", s(e, "seller")?.into())],
        )
    };
    let undercut = e
        .get("discounted_brands")
        .and_then(Value::as_array)
        .map(|a| a.len())
        .unwrap_or(0);
    Some(tf(
        lang,
        "reason-seller",
        vec![
            ("who", who.into()),
            (
                "likely",
                pct(n(e, "posterior_without_this_listing")?).into(),
            ),
            ("undercut", undercut.into()),
            ("brands", n(e, "brands_priced").unwrap_or(0.0).into()),
            ("flagged", n(e, "others_flagged").unwrap_or(0.0).into()),
            ("listings", n(e, "listings").unwrap_or(0.0).into()),
        ],
    ))
}
