//! The languages of the console and the e-mail digests (issue 21): Simplified Chinese by
//! default — the center's staff read Chinese — and English on request.
//!
//! The messages are Fluent catalogues in `locales/{zh-CN,en}/qsword.ftl`, compiled into the
//! binary by `fluent-templates` (Fluent rather than a key → string table because English needs
//! plurals and both need arguments, looked up at run time from templates). Templates call
//! `t("key", name=value, …)` (see [`add_to_environment`]); Rust code calls [`t`] / [`tf`].
//! A flag's reason sentence is rebuilt in the reader's language from its signal and evidence
//! numbers ([`reasons`]); the detector's JSON keeps its English `reason`.

pub mod reasons;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // No Unicode isolation marks around arguments: they would end up in e-mail subjects,
        // CSV cells and test assertions, and every text here is left-to-right.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that keeps a browser's choice (set by the footer's language links).
pub const COOKIE: &str = "qsword_lang";

/// A language the console and digests are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The BCP 47 tag: `zh-CN` or `en` (also the `lang` attribute, cookie and query value).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// A tag as the user or a config gives it: `zh`, `zh-CN`, `zh-Hans`, `en`, `en-GB`, …
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers among ours (highest q, first on a
    /// tie); Chinese when it names neither.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    fn id(self) -> LanguageIdentifier {
        self.code().parse().expect("static language tags parse")
    }
}

tokio::task_local! {
    /// The language of the request being served (set by the console's middleware).
    pub static CURRENT: Lang;
}

/// The current request's language; Chinese outside a request.
pub fn current() -> Lang {
    CURRENT.try_with(|l| *l).unwrap_or_default()
}

/// An argument of a message.
pub enum Arg {
    Str(String),
    Num(f64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Str(s.clone())
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n as f64)
    }
}
impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Num(n as f64)
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(n as f64)
    }
}
impl From<f64> for Arg {
    fn from(n: f64) -> Arg {
        Arg::Num(n)
    }
}

/// The message `key` in `lang`.
pub fn t(lang: Lang, key: &str) -> String {
    tf(lang, key, Vec::new())
}

/// The message `key` in `lang` with its arguments.
pub fn tf(lang: Lang, key: &str, args: Vec<(&str, Arg)>) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Arg::Str(s) => FluentValue::from(s),
                Arg::Num(n) => FluentValue::from(n),
            };
            (Cow::Owned(k.to_string()), v)
        })
        .collect();
    lookup(lang, key, &args)
}

fn lookup(lang: Lang, key: &str, args: &HashMap<Cow<'static, str>, FluentValue>) -> String {
    let args = (!args.is_empty()).then_some(args);
    LOCALES
        .try_lookup_complete(&lang.id(), key, args)
        .unwrap_or_else(|| {
            // A missing message shows its key (and the catalogue test fails in CI).
            tracing::warn!("no message {key:?} in {}", lang.code());
            key.to_string()
        })
}

/// Registers, for templates: `t("key", arg=value, …)` in the language of the context's `lang`
/// (else the request's), and the filters `money` and `datetime`.
pub fn add_to_environment(env: &mut minijinja::Environment<'static>) {
    use minijinja::value::{Kwargs, Value, ValueKind};
    env.add_function(
        "t",
        |state: &minijinja::State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().and_then(Lang::parse))
                .unwrap_or_else(current);
            let mut args = HashMap::new();
            for name in kwargs.args() {
                let v: Value = kwargs.get(name)?;
                let fv = match v.kind() {
                    ValueKind::Number => f64::try_from(v.clone())
                        .map(FluentValue::from)
                        .unwrap_or_else(|_| FluentValue::from(v.to_string())),
                    ValueKind::None | ValueKind::Undefined => FluentValue::from(""),
                    _ => FluentValue::from(v.to_string()),
                };
                args.insert(Cow::Owned(name.to_string()), fv);
            }
            kwargs.assert_all_used()?;
            Ok(lookup(lang, key, &args))
        },
    );
    env.add_filter("money", |s: String| money(&s));
    env.add_filter("datetime", |s: String| datetime(&s));
}

/// A price as `Price`'s `Display` writes it (`¥1299.5`, `USD 12`), written the zh-CN way:
/// thousands separated, two decimals (`¥1,299.50`). Anything else is returned as it is.
pub fn money(s: &str) -> String {
    let start = s
        .find(|c: char| c.is_ascii_digit() || c == '-')
        .unwrap_or(s.len());
    let end = s[start..]
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .map_or(s.len(), |e| start + e);
    let Ok(amount) = s[start..end].parse::<rust_decimal::Decimal>() else {
        return s.to_string();
    };
    format!("{}{}{}", &s[..start], grouped(amount), &s[end..])
}

/// `1299.5` → `1,299.50`.
pub fn grouped(amount: rust_decimal::Decimal) -> String {
    let fixed = format!("{:.2}", amount.round_dp(2));
    let (sign, fixed) = match fixed.strip_prefix('-') {
        Some(rest) => ("-", rest.to_string()),
        None => ("", fixed),
    };
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}.{frac}")
}

/// An RFC 3339 time as `2026-12-07 18:30` (UTC, as the pages' headings say); anything else
/// as it is.
pub fn datetime(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests;
