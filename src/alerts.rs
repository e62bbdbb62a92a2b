//! Alerts: route flagged listings to the investigators who cover them, render one digest per
//! investigator (plain text + HTML, every crawled string escaped), and hand it to delivery.
//!
//! Delivery here is the outbox folder: each digest is a complete RFC 5322 message (`.eml`)
//! that any mail client opens and any SMTP relay can send. SMTP delivery is the nightly job's.

use crate::config::{AlertsConfig, Investigator};
use anyhow::{Context, Result};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use minijinja::{context, Environment};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One flagged listing, as an investigator needs to see it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertItem {
    pub listing_id: i64,
    pub url: String,
    pub title: String,
    pub price: String,
    pub platform: String,
    pub seller: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub risk: f64,
    pub flags: Vec<AlertFlag>,
    /// Where the captured page is: WARC file and record id, and the payload digest.
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertFlag {
    pub signal: String,
    pub score: f64,
    pub reason: String,
}

/// The alerts one recipient gets in one run.
#[derive(Debug)]
pub struct Digest<'a> {
    pub recipient_name: String,
    pub address: String,
    pub items: Vec<&'a AlertItem>,
}

fn covers(inv: &Investigator, item: &AlertItem) -> bool {
    let any_or = |list: &[String], v: Option<&str>| {
        list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
    };
    item.risk >= inv.min_risk.unwrap_or(0.0)
        && any_or(&inv.categories, item.category.as_deref())
        && any_or(&inv.platforms, Some(&item.platform))
        && any_or(&inv.brands, item.brand.as_deref())
}

/// One digest per investigator whose routing covers at least one alert; alerts nobody covers
/// go to the duty address so that no flag is silently dropped.
pub fn route<'a>(cfg: &AlertsConfig, items: &'a [AlertItem]) -> Vec<Digest<'a>> {
    let mut digests: Vec<Digest> = cfg
        .investigators
        .iter()
        .map(|inv| Digest {
            recipient_name: inv.name.clone(),
            address: inv.email.clone(),
            items: items.iter().filter(|i| covers(inv, i)).collect(),
        })
        .collect();
    let uncovered: Vec<&AlertItem> = items
        .iter()
        .filter(|i| !cfg.investigators.iter().any(|inv| covers(inv, i)))
        .collect();
    if !uncovered.is_empty() {
        digests.push(Digest {
            recipient_name: "investigators on duty".into(),
            address: cfg.duty_address.clone(),
            items: uncovered,
        });
    }
    digests.retain(|d| !d.items.is_empty());
    for d in &mut digests {
        d.items.sort_by(|a, b| b.risk.total_cmp(&a.risk));
    }
    digests
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // The `.html` name turns on minijinja's HTML auto-escaping: crawled titles are hostile.
    env.add_template("digest.html", include_str!("templates/digest.html"))
        .expect("digest.html template parses");
    env.add_template("digest.txt", include_str!("templates/digest.txt"))
        .expect("digest.txt template parses");
    env
}

/// A digest rendered: subject, plain text, HTML.
pub struct RenderedDigest {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the digest's subject and both bodies from the templates.
pub fn render_parts(cfg: &AlertsConfig, digest: &Digest, run_id: &str) -> Result<RenderedDigest> {
    let high = digest.items.iter().filter(|i| i.risk >= 0.8).count();
    let subject = format!(
        "[qsword] {} flagged listing{} ({} high risk) — run {}",
        digest.items.len(),
        if digest.items.len() == 1 { "" } else { "s" },
        high,
        run_id
    );
    let alerts: Vec<serde_json::Value> = digest
        .items
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).expect("AlertItem serialises");
            v["risk"] = format!("{:.2}", i.risk).into();
            v["console_link"] = format!(
                "{}/listing/{}",
                cfg.console_url.trim_end_matches('/'),
                i.listing_id
            )
            .into();
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
    })
}

/// Renders the digest as a multipart/alternative message (UTF-8; non-ASCII names and subjects
/// become RFC 2047 encoded words).
pub fn render(cfg: &AlertsConfig, digest: &Digest, run_id: &str) -> Result<Message> {
    let RenderedDigest {
        subject,
        text,
        html,
    } = render_parts(cfg, digest, run_id)?;
    let from: Mailbox = cfg
        .from
        .parse()
        .with_context(|| format!("alerts.from {:?}", cfg.from))?;
    let to: Mailbox = format!("{} <{}>", digest.recipient_name, digest.address)
        .parse()
        .or_else(|_| digest.address.parse())
        .with_context(|| format!("recipient address {:?}", digest.address))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )?;
    Ok(message)
}

/// Writes the message to `outbox/` atomically (temp file + rename), so a crash never leaves a
/// half-written digest that a relay would send.
pub fn write_eml(outbox: &Path, name: &str, message: &Message) -> Result<PathBuf> {
    std::fs::create_dir_all(outbox).with_context(|| format!("creating {}", outbox.display()))?;
    let path = outbox.join(format!("{name}.eml"));
    let tmp = outbox.join(format!(".{name}.eml.tmp"));
    std::fs::write(&tmp, message.formatted())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, title: &str, risk: f64, platform: &str, category: &str) -> AlertItem {
        AlertItem {
            listing_id: id,
            url: format!("http://shop.example/item/{id}.html"),
            title: title.into(),
            price: "¥39.90".into(),
            platform: platform.into(),
            seller: "某某专营店".into(),
            category: Some(category.into()),
            brand: None,
            risk,
            flags: vec![AlertFlag {
                signal: "price".into(),
                score: 0.9,
                reason: "far below".into(),
            }],
            evidence: "warc/x.warc.gz#urn:uuid:1".into(),
        }
    }

    fn investigator(name: &str, categories: &[&str]) -> Investigator {
        Investigator {
            name: name.into(),
            email: format!("{name}@center.example"),
            categories: categories.iter().map(|s| s.to_string()).collect(),
            platforms: vec![],
            brands: vec![],
            min_risk: None,
        }
    }

    #[test]
    fn routing_by_category_and_nothing_dropped() {
        let cfg = AlertsConfig {
            investigators: vec![
                investigator("li", &["toys"]),
                investigator("wang", &["wire-cable"]),
            ],
            ..Default::default()
        };
        let items = vec![
            item(1, "乐高 积木", 0.7, "a", "toys"),
            item(2, "电线", 0.9, "a", "wire-cable"),
            item(3, "化肥", 0.8, "a", "fertilizers"),
        ];
        let d = route(&cfg, &items);
        let who: Vec<(&str, Vec<i64>)> = d
            .iter()
            .map(|d| {
                (
                    d.address.as_str(),
                    d.items.iter().map(|i| i.listing_id).collect(),
                )
            })
            .collect();
        assert_eq!(
            who,
            vec![
                ("li@center.example", vec![1]),
                ("wang@center.example", vec![2]),
                ("duty-investigators@localhost", vec![3])
            ]
        );
    }

    #[test]
    fn hostile_titles_are_escaped_in_html() {
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
            "[qsword] 1 flagged listing (1 high risk) — run 2026-11-24T02:00"
        );
    }

    #[test]
    fn message_is_multipart_with_an_encoded_chinese_recipient() {
        let cfg = AlertsConfig {
            investigators: vec![Investigator {
                name: "李明".into(),
                ..investigator("li", &[])
            }],
            ..Default::default()
        };
        let items = vec![item(1, "公牛插座", 0.7, "a", "toys")];
        let msg = render(&cfg, &route(&cfg, &items)[0], "r1").unwrap();
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("To: =?utf-8?b?"),
            "non-ASCII name must be an encoded word:\n{raw}"
        );
    }
}
