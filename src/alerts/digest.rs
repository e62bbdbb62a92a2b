//! A digest: the one mail an investigator gets per run. Plain text and HTML from templates
//! (HTML auto-escaped: crawled titles are hostile), the alerts as a CSV attachment, a subject
//! with the counts. Non-ASCII headers become RFC 2047 encoded words (lettre does that).

use super::routing::Digest;
use crate::config::AlertsConfig;
use crate::i18n::{self, Lang};
use crate::spreadsheet::cell;
use anyhow::{Context, Result};
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::{context, Environment};

/// Risk from which an alert counts as "high" in the subject.
const HIGH_RISK: f64 = 0.8;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    i18n::add_to_environment(&mut env);
    // The `.html` name turns on minijinja's HTML auto-escaping: crawled titles are hostile.
    env.add_template("digest.html", include_str!("templates/digest.html"))
        .expect("digest.html template parses");
    env.add_template("digest.txt", include_str!("templates/digest.txt"))
        .expect("digest.txt template parses");
    env
}

/// A digest rendered: subject, plain text, HTML, CSV.
pub struct RenderedDigest {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub csv: String,
}

/// The subject: who it is for and how many alerts (`[alerts] language`, Chinese by default).
fn subject(lang: Lang, digest: &Digest, run_id: &str) -> String {
    let n = digest.items.len();
    let high = digest.items.iter().filter(|i| i.risk >= HIGH_RISK).count();
    i18n::tf(
        lang,
        "digest-subject",
        vec![
            ("recipient", (&digest.recipient_name).into()),
            ("count", n.into()),
            ("high", high.into()),
            ("run", run_id.into()),
        ],
    )
}

fn console_link(cfg: &AlertsConfig, listing_id: i64) -> String {
    format!(
        "{}/listing/{listing_id}",
        cfg.console_url.trim_end_matches('/')
    )
}

/// Renders the digest's subject, both bodies and the CSV.
pub fn render_parts(cfg: &AlertsConfig, digest: &Digest, run_id: &str) -> Result<RenderedDigest> {
    let lang = cfg.lang();
    let subject = subject(lang, digest, run_id);
    let alerts: Vec<serde_json::Value> = digest
        .items
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).expect("AlertItem serialises");
            v["risk"] = format!("{:.2}", i.risk).into();
            v["price"] = i18n::money(&i.price).into();
            v["console_link"] = console_link(cfg, i.listing_id).into();
            v["evidence"] = i.evidence_in(lang).into();
            v["flags"] = i
                .flags
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "signal": i18n::reasons::signal_name(lang, &f.signal),
                        "score": format!("{:.2}", f.score),
                        "reason": f.reason_in(lang),
                    })
                })
                .collect();
            v
        })
        .collect();
    let env = environment();
    let ctx = context! {
        lang => lang.code(),
        subject => &subject, recipient_name => &digest.recipient_name,
        count => digest.items.len(), run_id => run_id, alerts => alerts,
    };
    let html = env.get_template("digest.html")?.render(&ctx)?;
    let text = env.get_template("digest.txt")?.render(&ctx)?;
    Ok(RenderedDigest {
        subject,
        text,
        html,
        csv: csv_of(cfg, lang, digest)?,
    })
}

/// The CSV's columns; their headers are the catalogue's `csv-*` messages.
pub const CSV_COLUMNS: [&str; 13] = [
    "risk", "title", "price", "platform", "seller", "category", "brand", "region", "signals",
    "reasons", "url", "console", "evidence",
];

/// The alerts as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese right).
fn csv_of(cfg: &AlertsConfig, lang: Lang, digest: &Digest) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS.map(|c| i18n::t(lang, &format!("csv-{c}"))))?;
    for i in &digest.items {
        let signals: Vec<String> = i
            .flags
            .iter()
            .map(|f| i18n::reasons::signal_name(lang, &f.signal))
            .collect();
        let reasons: Vec<String> = i.flags.iter().map(|f| f.reason_in(lang)).collect();
        w.write_record([
            format!("{:.2}", i.risk),
            cell(&i.title),
            cell(&i18n::money(&i.price)),
            cell(&i.platform),
            cell(&i.seller),
            cell(i.category.as_deref().unwrap_or("")),
            cell(i.brand.as_deref().unwrap_or("")),
            cell(i.region.as_deref().unwrap_or("")),
            signals.join(" "),
            cell(&reasons.join(if lang == Lang::Zh { "；" } else { "; " })),
            cell(&i.url),
            console_link(cfg, i.listing_id),
            i.evidence_in(lang),
        ])?;
    }
    let bytes = w.into_inner().context("writing the CSV")?;
    Ok(format!(
        "\u{feff}{}",
        String::from_utf8(bytes).expect("CSV of strings is UTF-8")
    ))
}

/// The sender, parsed (checked at config load, so this only fails on a config bypassing it).
pub fn sender(cfg: &AlertsConfig) -> Result<Mailbox> {
    cfg.from
        .parse()
        .with_context(|| format!("alerts.from {:?}", cfg.from))
}

/// Renders the digest as one message: multipart/mixed of (text | HTML) and the CSV, with the
/// given Message-ID (stable per outbox message, so a resend can be recognised).
pub fn render(
    cfg: &AlertsConfig,
    digest: &Digest,
    run_id: &str,
    message_id: &str,
) -> Result<(Message, String)> {
    let parts = render_parts(cfg, digest, run_id)?;
    let to: Mailbox = format!("{} <{}>", digest.recipient_name, digest.address)
        .parse()
        .or_else(|_| digest.address.parse())
        .with_context(|| format!("recipient address {:?}", digest.address))?;
    let csv_name = format!("qsword-alerts-{}.csv", run_id.replace([':', ' '], ""));
    let message = Message::builder()
        .from(sender(cfg)?)
        .to(to)
        .subject(parts.subject.clone())
        .message_id(Some(format!("<{message_id}>")))
        .multipart(
            MultiPart::mixed()
                .multipart(
                    MultiPart::alternative()
                        .singlepart(
                            SinglePart::builder()
                                .header(ContentType::TEXT_PLAIN)
                                .body(parts.text),
                        )
                        .singlepart(
                            SinglePart::builder()
                                .header(ContentType::TEXT_HTML)
                                .body(parts.html),
                        ),
                )
                .singlepart(Attachment::new(csv_name).body(
                    parts.csv,
                    ContentType::parse("text/csv; charset=utf-8").expect("valid content type"),
                )),
        )?;
    Ok((message, parts.subject))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::route;
    use crate::alerts::routing::tests::{investigator, item};
    use crate::config::Investigator;

    #[test]
    fn hostile_titles_are_escaped_in_html_and_csv() {
        let cfg = AlertsConfig::default();
        let items = vec![item(
            7,
            "<script>alert(1)</script> 公牛插座\"><img src=x>",
            0.95,
            "a",
            "toys",
        )];
        let d = route(&cfg, &items);
        let parts = render_parts(&cfg, &d[0], "2026-11-24T02:00").unwrap();
        assert!(!parts.html.contains("<script>alert(1)"), "{}", parts.html);
        assert!(!parts.html.contains("<img src=x>"), "{}", parts.html);
        assert!(
            parts
                .html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; 公牛插座"),
            "{}",
            parts.html
        );
        // The plain-text part is shown as text by mail clients: it keeps the title verbatim.
        assert!(parts.text.contains("<script>alert(1)</script> 公牛插座"));
        assert_eq!(
            parts.subject,
            "[qsword] 值班调查员：1 条风险线索（1 条高风险）— 批次 2026-11-24T02:00"
        );
        let formula = vec![item(8, "=HYPERLINK(\"http://evil\")", 0.9, "a", "toys")];
        let parts = render_parts(&cfg, &route(&cfg, &formula)[0], "r").unwrap();
        assert!(
            parts.csv.contains("'=HYPERLINK"),
            "a formula from a page must not run in a spreadsheet:\n{}",
            parts.csv
        );
    }

    #[test]
    fn message_is_mixed_with_alternative_parts_a_csv_and_encoded_chinese_headers() {
        let cfg = AlertsConfig {
            investigators: vec![Investigator {
                name: "李明".into(),
                ..investigator("li", &[])
            }],
            ..Default::default()
        };
        let items = vec![item(1, "公牛插座", 0.7, "a", "toys")];
        let (msg, subject) = render(&cfg, &route(&cfg, &items)[0], "r1", "r1-0@qsword").unwrap();
        assert!(subject.contains("李明"));
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/csv"), "{raw}");
        assert!(raw.contains("Message-ID: <r1-0@qsword>"), "{raw}");
        assert!(
            raw.contains("To: =?utf-8?b?"),
            "non-ASCII name must be an encoded word:\n{raw}"
        );
        assert!(
            raw.contains("Subject: [qsword] =?utf-8?b?"),
            "non-ASCII subject must be an encoded word:\n{raw}"
        );
    }

    fn price_flag_item() -> crate::alerts::AlertItem {
        let mut i = item(3, "公牛插座 GN-H3", 0.85, "a", "toys");
        i.price = "¥1299".into();
        i.flags = vec![crate::alerts::item::AlertFlag {
            signal: "price".into(),
            score: 0.85,
            reason: "¥89 is 70% below the median ¥299 of 12 other offers of 公牛 GN-H3".into(),
            evidence: serde_json::json!({"median": "299.00", "offers": 12, "price": "89.00",
                "reference_source": "median", "reference_anchors": 0}),
        }];
        i
    }

    #[test]
    fn a_digest_is_chinese_with_the_reasons_numbers_by_default() {
        let cfg = AlertsConfig::default();
        let items = vec![price_flag_item()];
        let parts = render_parts(&cfg, &route(&cfg, &items)[0], "r7").unwrap();
        assert_eq!(
            parts.subject,
            "[qsword] 值班调查员：1 条风险线索（1 条高风险）— 批次 r7"
        );
        let reason = "¥89.00 比同款商品其他 12 个报价的中位价 ¥299.00 低 70%";
        for body in [&parts.text, &parts.html] {
            assert!(
                body.contains("qsword 风险线索摘要，收件人 值班调查员"),
                "{body}"
            );
            assert!(body.contains(reason), "{body}");
            assert!(body.contains("价格"), "{body}");
            assert!(body.contains("¥1,299.00"), "money the zh-CN way: {body}");
            assert!(
                body.contains("请在控制台中逐条确认或排除风险提示"),
                "{body}"
            );
            assert!(!body.contains("flagged"), "no English left: {body}");
        }
        assert!(parts.html.contains("<html lang=\"zh-CN\">"));
        let header = parts
            .csv
            .trim_start_matches('\u{feff}')
            .lines()
            .next()
            .unwrap();
        assert_eq!(
            header,
            "风险,标题,价格,平台,商家,类目,品牌,地区,研判信号,原因,网址,控制台,证据"
        );
        assert!(parts.csv.contains(reason), "{}", parts.csv);
    }

    #[test]
    fn a_digest_in_english_when_configured() {
        let cfg = AlertsConfig {
            language: "en".into(),
            ..Default::default()
        };
        let items = vec![price_flag_item(), item(4, "x", 0.5, "a", "toys")];
        let parts = render_parts(&cfg, &route(&cfg, &items)[0], "r8").unwrap();
        assert_eq!(
            parts.subject,
            "[qsword] investigators on duty: 2 flagged listings (1 high risk) — run r8"
        );
        assert!(
            parts.text.contains("¥89 is 70% below the median ¥299"),
            "{}",
            parts.text
        );
        assert!(parts
            .csv
            .trim_start_matches('\u{feff}')
            .starts_with("risk,title,price,"));
    }
}
