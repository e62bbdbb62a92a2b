//! A real SMTP server on loopback for the tests: Debian's python3-aiosmtpd running
//! `tests/smtp_sink.py`, and what it received, parsed with mail-parser.
#![allow(dead_code)]

use mail_parser::{MessageParser, MimeHeaders};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A Python that has aiosmtpd: Debian's (`/usr/bin/python3`, where apt puts it) or the first
/// `python3` on PATH. Panics, saying how to get it, when there is none: these tests must not
/// pass without a mail server. `QSWORD_SKIP_SMTP_TESTS=1` skips them instead, loudly.
pub fn python() -> Option<PathBuf> {
    for p in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(PathBuf::from(p));
        }
    }
    if std::env::var("QSWORD_SKIP_SMTP_TESTS").as_deref() == Ok("1") {
        eprintln!(
            "\n*** SKIPPED: no python3 with aiosmtpd and QSWORD_SKIP_SMTP_TESTS=1: the SMTP tests did NOT run ***\n"
        );
        return None;
    }
    panic!(
        "no python3 with aiosmtpd: the SMTP tests need a real mail server. Install it with \
         `apt-get install python3-aiosmtpd` (scripts/test does), or set QSWORD_SKIP_SMTP_TESTS=1 \
         to skip these tests knowingly"
    );
}

/// The SMTP server, until dropped.
pub struct Sink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Sink {
    /// Starts the server on 127.0.0.1:`port`, keeping mail in `dir`; returns once it listens.
    pub fn start(python: &Path, port: u16, dir: &Path) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["127.0.0.1", &port.to_string()])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the SMTP sink starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("listening"), "SMTP sink said {line:?}");
        Sink {
            child,
            port,
            dir: dir.to_owned(),
        }
    }

    pub fn stop(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    pub fn received(&self) -> Vec<Received> {
        received(&self.dir)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A port nothing listens on now (the sink is started there later, or never).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One message as received and parsed.
#[derive(Debug, Clone)]
pub struct Received {
    pub rcpt: String,
    pub subject: String,
    pub from_name: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    /// The CSV attachment's rows, each as column → value.
    pub rows: Vec<BTreeMap<String, String>>,
}

impl Received {
    pub fn urls(&self) -> Vec<String> {
        self.rows.iter().map(|r| r["url"].clone()).collect()
    }
}

/// The digest CSV's columns: Chinese header, English name.
const COLUMNS: [(&str, &str); 13] = [
    ("风险", "risk"),
    ("标题", "title"),
    ("价格", "price"),
    ("平台", "platform"),
    ("商家", "seller"),
    ("类目", "category"),
    ("品牌", "brand"),
    ("地区", "region"),
    ("研判信号", "signals"),
    ("原因", "reasons"),
    ("网址", "url"),
    ("控制台", "console"),
    ("证据", "evidence"),
];

pub fn received(dir: &Path) -> Vec<Received> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    names.sort();
    names.iter().map(|p| parse(p)).collect()
}

fn parse(path: &Path) -> Received {
    let raw = std::fs::read(path).unwrap();
    let rcpt = std::fs::read_to_string(path.with_extension("rcpt")).unwrap();
    let m = MessageParser::default()
        .parse(&raw)
        .unwrap_or_else(|| panic!("{} does not parse as MIME", path.display()));
    let csv_part = m
        .attachments()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".csv")))
        .unwrap_or_else(|| panic!("{}: no CSV attachment", path.display()));
    let csv_text = String::from_utf8(csv_part.contents().to_vec()).expect("CSV is UTF-8");
    let csv_text = csv_text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    // The digest's CSV headers are Chinese (the default language): each must be one of them,
    // and the rows are keyed by the column's English name.
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| {
            let column = COLUMNS.iter().find(|(zh, _)| *zh == h);
            column
                .unwrap_or_else(|| panic!("{}: CSV header {h:?} is not Chinese", path.display()))
                .1
                .to_owned()
        })
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect();
    Received {
        rcpt: rcpt.trim().to_owned(),
        subject: m.subject().unwrap_or_default().to_owned(),
        from_name: m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.name())
            .unwrap_or_default()
            .to_owned(),
        message_id: m.message_id().unwrap_or_default().to_owned(),
        text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        rows,
    }
}
