//! A digest: the one mail an investigator gets per run. Plain text and HTML from templates
//! (HTML auto-escaped: crawled titles are hostile), the alerts as a CSV attachment, a subject
//! with the counts. Non-ASCII headers become RFC 2047 encoded words (lettre does that).

use super::routing::Digest;
use crate::config::AlertsConfig;
use crate::spreadsheet::cell;
use anyhow::{Context, Result};
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::{context, Environment};

/// Risk from which an alert counts as "high" in the subject.
const HIGH_RISK: f64 = 0.8;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
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

/// The subject: who it is for and how many alerts, in Chinese and English.
fn subject(digest: &Digest, run_id: &str) -> String {
    let n = digest.items.len();
    let high = digest.items.iter().filter(|i| i.risk >= HIGH_RISK).count();
    format!(
        "[qsword] {}：{n} 条告警（{high} 条高风险）/ {n} flagged listing{} ({high} high risk) — run {run_id}",
        digest.recipient_name,
        if n == 1 { "" } else { "s" },
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
    let subject = subject(digest, run_id);
    let alerts: Vec<serde_json::Value> = digest
        .items
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).expect("AlertItem serialises");
            v["risk"] = format!("{:.2}", i.risk).into();
            v["console_link"] = console_link(cfg, i.listing_id).into();
            for f in v["flags"].as_array_mut().into_iter().flatten() {
                let s = f["score"].as_f64().unwrap_or(0.0);
                f["score"] = format!("{s:.2}").into();
            }
            v
        })
        .collect();
    let env = environment();
    let ctx = context! {
        subject => &subject, recipient_name => &digest.recipient_name,
        count => digest.items.len(), run_id => run_id, alerts => alerts,
    };
    let html = env.get_template("digest.html")?.render(&ctx)?;
    let text = env.get_template("digest.txt")?.render(&ctx)?;
    Ok(RenderedDigest {
        subject,
        text,
        html,
        csv: csv_of(cfg, digest)?,
    })
}

/// The alerts as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese right).
fn csv_of(cfg: &AlertsConfig, digest: &Digest) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "risk", "title", "price", "platform", "seller", "category", "brand", "region", "signals",
        "reasons", "url", "console", "evidence",
    ])?;
    for i in &digest.items {
        let signals: Vec<&str> = i.flags.iter().map(|f| f.signal.as_str()).collect();
        let reasons: Vec<&str> = i.flags.iter().map(|f| f.reason.as_str()).collect();
        w.write_record([
            format!("{:.2}", i.risk),
            cell(&i.title),
            cell(&i.price),
            cell(&i.platform),
            cell(&i.seller),
            cell(i.category.as_deref().unwrap_or("")),
            cell(i.brand.as_deref().unwrap_or("")),
            cell(i.region.as_deref().unwrap_or("")),
            signals.join(" "),
            cell(&reasons.join("; ")),
            cell(&i.url),
            console_link(cfg, i.listing_id),
            i.evidence.clone(),
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
            "[qsword] investigators on duty：1 条告警（1 条高风险）/ 1 flagged listing (1 high risk) — run 2026-11-24T02:00"
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
}
