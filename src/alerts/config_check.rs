//! Checks of `[alerts]` beyond its types, each error naming the file, line and key, so a bad
//! address or a missing relay is found before any crawling starts.

use crate::config::AlertsConfig;
use anyhow::{bail, Result};
use std::path::Path;

/// The line (1-based) of `key` in the `nth` table headed `header` (e.g. `[[alerts.investigators]]`),
/// or of the header itself when the key is not written there; `None` if there is no such table.
pub fn line_of(text: &str, header: &str, nth: usize, key: &str) -> Option<usize> {
    let mut seen = 0;
    let mut header_line = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            if header_line.is_some() {
                break;
            }
            if t == header {
                if seen == nth {
                    header_line = Some(i + 1);
                }
                seen += 1;
            }
        } else if header_line.is_some() {
            let k = t.split('=').next().unwrap_or("").trim();
            if k == key {
                return Some(i + 1);
            }
        }
    }
    header_line
}

fn at(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{}: line {l}", path.display()),
        None => path.display().to_string(),
    }
}

fn is_address(s: &str) -> bool {
    s.parse::<lettre::Address>().is_ok()
}

pub fn check_config(cfg: &AlertsConfig, path: &Path, text: &str) -> Result<()> {
    if cfg.from.parse::<lettre::message::Mailbox>().is_err() {
        bail!(
            "{}: key `alerts.from` ({:?}) is not a mailbox such as \"qsword <qsword@center.example>\"",
            at(path, line_of(text, "[alerts]", 0, "from")),
            cfg.from
        );
    }
    if crate::i18n::Lang::parse(&cfg.language).is_none() {
        bail!(
            "{}: key `alerts.language` ({:?}) must be \"zh-CN\" or \"en\"",
            at(path, line_of(text, "[alerts]", 0, "language")),
            cfg.language
        );
    }
    if !is_address(&cfg.duty_address) {
        bail!(
            "{}: key `alerts.duty_address` ({:?}) is not an email address",
            at(path, line_of(text, "[alerts]", 0, "duty_address")),
            cfg.duty_address
        );
    }
    for (i, inv) in cfg.investigators.iter().enumerate() {
        let line = |key| line_of(text, "[[alerts.investigators]]", i, key);
        if !is_address(&inv.email) {
            bail!(
                "{}: key `alerts.investigators[{i}].email` ({:?}) is not an email address",
                at(path, line("email")),
                inv.email
            );
        }
        if let Some(r) = inv.min_risk.filter(|r| !(0.0..=1.0).contains(r)) {
            bail!(
                "{}: key `alerts.investigators[{i}].min_risk` is {r}; it must be between 0 and 1",
                at(path, line("min_risk"))
            );
        }
    }
    match &cfg.smtp {
        None if !cfg.investigators.is_empty() => bail!(
            "{}: investigators are configured but there is no mail relay: add [alerts.smtp] with \
             `host = \"smtp.center.example\"` (and `tls`, `port`, `username` as the relay needs)",
            at(path, line_of(text, "[[alerts.investigators]]", 0, "email"))
        ),
        Some(s) if s.host.trim().is_empty() => bail!(
            "{}: key `alerts.smtp.host` is empty; it must name the mail relay",
            at(path, line_of(text, "[alerts.smtp]", 0, "host"))
        ),
        Some(s) if s.password_env.is_some() && s.username.is_none() => bail!(
            "{}: key `alerts.smtp.password_env` is set without `username`",
            at(path, line_of(text, "[alerts.smtp]", 0, "password_env"))
        ),
        _ => {}
    }
    if cfg.retry_backoff_s == 0 || cfg.max_backoff_s < cfg.retry_backoff_s {
        bail!(
            "{}: keys `alerts.retry_backoff_s` ({}) and `alerts.max_backoff_s` ({}) must be positive, the maximum not below the first",
            at(path, line_of(text, "[alerts]", 0, "retry_backoff_s")),
            cfg.retry_backoff_s,
            cfg.max_backoff_s
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn err(text: &str) -> String {
        Config::parse(text, Path::new("/etc/qsword.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_investigator_address_names_file_line_and_key() {
        let e = err("[alerts.smtp]\nhost = \"relay\"\n\n[[alerts.investigators]]\nname = \"李明\"\nemail = \"li@center.example\"\n\n[[alerts.investigators]]\nname = \"王芳\"\nemail = \"wang at center\"\n");
        assert!(
            e.starts_with("/etc/qsword.toml: line 10: key `alerts.investigators[1].email`"),
            "{e}"
        );
    }

    #[test]
    fn investigators_without_a_relay_are_refused_with_the_line() {
        let e = err("[[alerts.investigators]]\nname = \"Li\"\nemail = \"li@center.example\"\n");
        assert!(e.starts_with("/etc/qsword.toml: line 3:"), "{e}");
        assert!(e.contains("[alerts.smtp]"), "{e}");
    }

    #[test]
    fn unknown_smtp_key_and_bad_tls_mode_are_refused_by_line() {
        let e = err("[alerts.smtp]\nhost = \"relay\"\nstarttls = true\n");
        assert!(e.contains("line 3") && e.contains("starttls"), "{e}");
        let e = err("[alerts.smtp]\nhost = \"relay\"\ntls = \"ssl\"\n");
        assert!(e.contains("line 3") && e.contains("tls"), "{e}");
        let e = err("[alerts]\nfrom = \"not a mailbox\"\n");
        assert!(e.contains("line 2") && e.contains("alerts.from"), "{e}");
    }

    #[test]
    fn the_digests_language_is_zh_cn_by_default_en_on_request_and_nothing_else() {
        let path = Path::new("/etc/qsword.toml");
        let default = Config::parse("", path).unwrap();
        assert_eq!(default.alerts.lang(), crate::i18n::Lang::Zh);
        let en = Config::parse("[alerts]\nlanguage = \"en\"\n", path).unwrap();
        assert_eq!(en.alerts.lang(), crate::i18n::Lang::En);
        let e = err("[alerts]\nfrom = \"qsword <q@center.example>\"\nlanguage = \"fr\"\n");
        assert!(e.contains("line 3") && e.contains("alerts.language"), "{e}");
    }
}
