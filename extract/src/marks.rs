//! Certification and licence marks claimed on a page: CCC/3C certificates (with or without a
//! number), production licences (`XK..-...-.....`), fertilizer registrations
//! (`农肥(2019)准字1234号`), CE (with a notified-body number if printed), FCC ID, UL file
//! numbers, China energy labels.
//!
//! Numbers are kept **exactly as printed**: a malformed number is evidence of a fake, so it is
//! never "fixed" here (the detector checks the shapes in `seeds/marks.toml`). Negated claims
//! (`无3C认证`, `不需要3C`) are not claims.

use qsword_listing::Mark;
use regex::Regex;
use scraper::{Html, Selector};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Scheme names, as in `seeds/marks.toml`.
pub const CCC: &str = "CCC";
pub const XK: &str = "XK";
pub const CE: &str = "CE";
pub const FCC: &str = "FCC";
pub const UL: &str = "UL";
pub const ENERGY: &str = "ENERGY";
/// Fertilizer registration certificate (肥料登记证); `seeds/marks.toml` calls it this.
pub const FERTILIZER: &str = "FERTILIZER-REG";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

/// `3C证书编号：2021010701234567`, `CCC认证: 2021…`, `证书编号 …`, `CCC No. …`.
static CCC_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^0-9A-Za-z])(?:(?:3C|CCC)\s*(?:认证|認證)?\s*(?:证书|證書)?\s*(?:编号|編號|号码|号|No\.?|number)?|证书编号|證書編號)\s*[:：]?\s*([0-9A-Za-z][0-9A-Za-z\-]*(?: \d+)*)",
    )
});
/// A bare claim: `3C认证`, `CCC认证`, `通过3C`, `强制性产品认证`, `3C标志`.
static CCC_CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^0-9A-Za-z])(?:3C|CCC)\s*(?:认证|認證|标志|标识|证书|certified|certification|mark)|强制性产品认证|通过\s*(?:3C|CCC)",
    )
});
static XK_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:XK|xk)\s*\d{2}[0-9A-Za-z\-—－]{2,22}|(?:生产许可证|生产许可)\s*(?:编号|号)?\s*[:：]\s*([0-9A-Za-z][0-9A-Za-z\-]{3,24})",
    )
});
static FERT_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\p{Han}?农肥\s*[（(]\s*\d{2,4}\s*[）)]\s*\p{Han}?\s*字\s*[0-9A-Za-z]+\s*号?")
});
static CE_MARK: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[^A-Za-z0-9])CE(?:\s*(\d{4}))?(?:$|[^A-Za-z0-9])"));
static FCC_MARK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^A-Za-z0-9])FCC(?:\s*ID\s*[:：#]?\s*([0-9A-Za-z][0-9A-Za-z\-]{3,18}))?(?:$|[^A-Za-z0-9])",
    )
});
static UL_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:^|[^A-Za-z0-9])UL\s*(?:File\s*(?:No\.?)?\s*[:：]?\s*)?(E\d{4,6})(?:$|[^0-9])")
});
static ENERGY_LABEL: LazyLock<Regex> =
    LazyLock::new(|| re(r"能效标识|能效等级|中国能效|能源效率标识|能效\s*[1-5一二三四五]\s*级"));
static IMAGE_FILE_CCC: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:^|[^a-z0-9])(?:3c|ccc)(?:[^a-z0-9]|$)"));

/// Whether a claim right before `start` is negated (`无3C认证`, `不需要`, `未通过`).
/// `start` is where the match begins; its first character (possibly the boundary) is included.
fn negated(text: &str, start: usize) -> bool {
    let first = text[start..].chars().next().map_or(0, char::len_utf8);
    let before: String = text[..start + first]
        .chars()
        .rev()
        .take(5)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    [
        "无", "没有", "未", "不需", "不含", "免", "非", "no ", "without",
    ]
    .iter()
    .any(|n| before.contains(n))
}

fn mark(scheme: &str, number: Option<&str>, source: &str) -> Mark {
    Mark {
        scheme: scheme.to_string(),
        number: number
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        source: Some(source.to_string()),
    }
}

/// Every mark claimed in `text`; `source` says where the text was (`text`, `specs`, …).
pub fn from_text(text: &str, source: &str) -> Vec<Mark> {
    let mut out = Vec::new();
    for c in CCC_NUMBER.captures_iter(text) {
        let whole = c.get(0).expect("group 0");
        let number = c.get(1).map(|m| m.as_str()).unwrap_or("");
        // A certificate number has digits; `CCC认证` followed by a word is a bare claim.
        if number.chars().filter(char::is_ascii_digit).count() >= 4 && !negated(text, whole.start())
        {
            out.push(mark(CCC, Some(number), source));
        }
    }
    for m in CCC_CLAIM.find_iter(text) {
        if !negated(text, m.start()) {
            out.push(mark(CCC, None, source));
        }
    }
    for c in XK_NUMBER.captures_iter(text) {
        let whole = c.get(0).expect("group 0");
        let number = c.get(1).map_or(whole.as_str(), |m| m.as_str());
        out.push(mark(XK, Some(number), source));
    }
    for m in FERT_NUMBER.find_iter(text) {
        out.push(mark(
            FERTILIZER,
            Some(m.as_str().trim_start_matches(['：', ':', ' '])),
            source,
        ));
    }
    for c in CE_MARK.captures_iter(text) {
        out.push(mark(CE, c.get(1).map(|m| m.as_str()), source));
    }
    for c in FCC_MARK.captures_iter(text) {
        out.push(mark(FCC, c.get(1).map(|m| m.as_str()), source));
    }
    for c in UL_NUMBER.captures_iter(text) {
        out.push(mark(UL, c.get(1).map(|m| m.as_str()), source));
    }
    if ENERGY_LABEL.is_match(text) {
        out.push(mark(ENERGY, None, source));
    }
    out
}

/// Marks in spec rows (`3C证书编号` → `2021010701234567`), read as `key：value`.
pub fn from_specs(specs: &BTreeMap<String, String>) -> Vec<Mark> {
    let mut out = Vec::new();
    for (k, v) in specs {
        let row = format!("{k}：{v}");
        let mut found = from_text(&row, "specs");
        // `3C认证` → `是`: a claim without a number.
        if found.is_empty() && scheme_of(k).as_deref() == Some(CCC) {
            let yes = ["是", "有", "已认证", "yes", "Yes", "通过"]
                .iter()
                .any(|y| v.contains(y));
            if yes {
                found.push(mark(CCC, None, "specs"));
            }
        }
        out.extend(found);
    }
    out
}

/// Claims in image alt text and file names (`<img alt="3C认证" src="/img/ccc-logo.png">`).
pub fn from_image_alts(doc: &Html) -> Vec<Mark> {
    let sel = Selector::parse("img").expect("static selector");
    let mut out = Vec::new();
    for img in doc.select(&sel).take(2000) {
        if let Some(alt) = img.value().attr("alt") {
            out.extend(from_text(alt, "image-alt"));
        }
        let file = img
            .value()
            .attr("src")
            .and_then(|s| s.rsplit('/').next())
            .unwrap_or("");
        if IMAGE_FILE_CCC.is_match(file) {
            out.push(mark(CCC, None, "image-alt"));
        }
    }
    out
}

/// The scheme a label names (`3C认证` → `CCC`, `FCC ID` → `FCC`), if any.
pub fn scheme_of(label: &str) -> Option<String> {
    let l = label.to_ascii_uppercase();
    let scheme = if l.contains("3C") || l.contains("CCC") || label.contains("强制性产品认证")
    {
        CCC
    } else if l.contains("XK") || label.contains("生产许可") {
        XK
    } else if label.contains("肥料登记") {
        FERTILIZER
    } else if l.contains("FCC") {
        FCC
    } else if l
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "CE")
    {
        CE
    } else if label.contains("能效") {
        ENERGY
    } else {
        return None;
    };
    Some(scheme.to_string())
}

/// One mark per (scheme, number), first source kept; a numberless claim is dropped when the
/// same scheme also appears with a number.
pub fn dedup(marks: Vec<Mark>) -> Vec<Mark> {
    let mut out: Vec<Mark> = Vec::new();
    for m in marks {
        if out
            .iter()
            .any(|o| o.scheme == m.scheme && o.number == m.number)
        {
            continue;
        }
        out.push(m);
    }
    let numbered: Vec<String> = out
        .iter()
        .filter(|m| m.number.is_some())
        .map(|m| m.scheme.clone())
        .collect();
    out.retain(|m| m.number.is_some() || !numbered.contains(&m.scheme));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<(String, Option<String>)> {
        dedup(from_text(text, "text"))
            .into_iter()
            .map(|m| (m.scheme, m.number))
            .collect()
    }

    fn s(scheme: &str, number: Option<&str>) -> (String, Option<String>) {
        (scheme.to_string(), number.map(str::to_string))
    }

    #[test]
    fn ccc_numbers_in_their_printed_forms() {
        assert_eq!(
            numbers("3C证书编号：2021010701234567"),
            vec![s("CCC", Some("2021010701234567"))]
        );
        assert_eq!(
            numbers("CCC证书编号 2019011606223344"),
            vec![s("CCC", Some("2019011606223344"))]
        );
        assert_eq!(
            numbers("证书编号:2020010307654321"),
            vec![s("CCC", Some("2020010307654321"))]
        );
        assert_eq!(
            numbers("已通过CCC认证：2021010701234567，放心购买"),
            vec![s("CCC", Some("2021010701234567"))]
        );
    }

    #[test]
    fn a_malformed_number_is_kept_as_evidence() {
        // Letter O instead of zero, and too short: both are kept verbatim.
        assert_eq!(
            numbers("3C证书编号：2021O1070123"),
            vec![s("CCC", Some("2021O1070123"))]
        );
    }

    #[test]
    fn bare_claims_and_negations() {
        assert_eq!(numbers("本品通过3C认证，安全放心"), vec![s("CCC", None)]);
        assert_eq!(numbers("此款无3C认证"), vec![]);
    }

    #[test]
    fn licences_registrations_and_foreign_marks() {
        assert_eq!(
            numbers("生产许可证：XK06-014-00345"),
            vec![s("XK", Some("XK06-014-00345"))]
        );
        assert_eq!(
            numbers("登记证号 农肥(2019)准字1234号"),
            vec![s(FERTILIZER, Some("农肥(2019)准字1234号"))]
        );
        assert_eq!(numbers("CE 0123 marked"), vec![s("CE", Some("0123"))]);
        assert_eq!(
            numbers("FCC ID: 2AB3C-X100"),
            vec![s("FCC", Some("2AB3C-X100"))]
        );
        assert_eq!(numbers("PRICE ONLY"), vec![]);
    }

    #[test]
    fn spec_rows_count_as_claims() {
        let mut specs = BTreeMap::new();
        specs.insert("3C认证".to_string(), "是".to_string());
        specs.insert("品牌".to_string(), "公牛".to_string());
        assert_eq!(from_specs(&specs), vec![mark(CCC, None, "specs")]);
    }
}
