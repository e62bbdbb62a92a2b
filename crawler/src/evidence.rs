//! WARC/1.1 evidence (ISO 28500): every response the crawler receives, and the request that
//! asked for it, written as it came off the wire — status line, headers and the body still
//! content-encoded (gzip/br bytes as sent) — one gzip member per record so that any record can
//! be read back alone from its offset. Files are append-only and never rewritten.
//!
//! Header names are recorded lower-case (as the HTTP library hands them over; HTTP header
//! names are case-insensitive) and the reason phrase is the standard one for the status code.
//! The body is recorded de-chunked, so `Transfer-Encoding` is recorded renamed to
//! `X-Crawler-Transfer-Encoding` (as warcprox and wget do): readers must not de-chunk it again.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::{read::GzDecoder, write::GzEncoder, Compression};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// Where one WARC record is: the file, the record's `WARC-Record-ID` and the byte offset of
/// its gzip member. Stored with each listing version so evidence can be produced later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarcRef {
    pub file: PathBuf,
    pub record_id: String,
    pub offset: u64,
    /// The record's `WARC-Payload-Digest` (`sha1:BASE32` of the body as received).
    pub payload_digest: String,
}

/// `sha1:` + base32 of the SHA-1 of `bytes`: the form of `WARC-Payload-Digest`.
pub fn sha1_base32(bytes: &[u8]) -> String {
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(bytes))
    )
}

/// One crawl run's WARC file.
pub(crate) struct WarcWriter {
    path: PathBuf,
    file: File,
    offset: u64,
}

/// A response as received, ready to be recorded.
pub(crate) struct Exchange<'a> {
    pub url: &'a str,
    pub ip: Option<IpAddr>,
    pub date: DateTime<Utc>,
    /// `GET /path HTTP/1.1\r\nheaders…\r\n\r\n`
    pub request_head: &'a [u8],
    /// `HTTP/1.1 200 OK\r\nheaders…\r\n\r\n`
    pub response_head: &'a [u8],
    /// Body bytes as received (content-encoding not undone).
    pub payload: &'a [u8],
    /// Set when the body was cut at the size limit (recorded as `WARC-Truncated: length`).
    pub truncated: bool,
}

fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

fn warc_date(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl WarcWriter {
    /// Creates `qsword-<UTC timestamp>-<random>.warc.gz` in `dir` with a `warcinfo` record.
    pub fn create(dir: &Path, software: &str) -> io::Result<WarcWriter> {
        std::fs::create_dir_all(dir)?;
        let now = Utc::now();
        let name = format!(
            "qsword-{}-{}.warc.gz",
            now.format("%Y%m%dT%H%M%S%.3fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let path = dir.join(name);
        let file = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)?;
        let mut w = WarcWriter {
            path,
            file,
            offset: 0,
        };
        let info = format!(
            "software: {software}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"
        );
        let filename = w.path.file_name().unwrap().to_string_lossy().into_owned();
        w.write_record(
            &[
                ("WARC-Type", "warcinfo".into()),
                ("WARC-Record-ID", record_id()),
                ("WARC-Date", warc_date(now)),
                ("WARC-Filename", filename),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
        )?;
        Ok(w)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one record as its own gzip member; returns its offset.
    fn write_record(&mut self, headers: &[(&str, String)], block: &[u8]) -> io::Result<u64> {
        let mut raw = Vec::with_capacity(block.len() + 512);
        raw.extend_from_slice(b"WARC/1.1\r\n");
        for (k, v) in headers {
            raw.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", block.len()).as_bytes());
        raw.extend_from_slice(block);
        raw.extend_from_slice(b"\r\n\r\n");
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&raw)?;
        let member = gz.finish()?;
        let offset = self.offset;
        self.file.write_all(&member)?;
        self.file.flush()?;
        self.offset += member.len() as u64;
        Ok(offset)
    }

    /// Records a response and its request; returns where the response record is.
    pub fn write_exchange(&mut self, ex: &Exchange<'_>) -> io::Result<WarcRef> {
        let response_id = record_id();
        let payload_digest = sha1_base32(ex.payload);
        let mut block = Vec::with_capacity(ex.response_head.len() + ex.payload.len());
        block.extend_from_slice(ex.response_head);
        block.extend_from_slice(ex.payload);
        let date = warc_date(ex.date);
        let mut headers = vec![
            ("WARC-Type", "response".to_owned()),
            ("WARC-Record-ID", response_id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", ex.url.to_owned()),
        ];
        if let Some(ip) = ex.ip {
            headers.push(("WARC-IP-Address", ip.to_string()));
        }
        headers.extend([
            (
                "Content-Type",
                "application/http;msgtype=response".to_owned(),
            ),
            ("WARC-Payload-Digest", payload_digest.clone()),
            ("WARC-Block-Digest", sha1_base32(&block)),
        ]);
        if ex.truncated {
            headers.push(("WARC-Truncated", "length".to_owned()));
        }
        let offset = self.write_record(&headers, &block)?;
        let mut req = vec![
            ("WARC-Type", "request".to_owned()),
            ("WARC-Record-ID", record_id()),
            ("WARC-Date", date),
            ("WARC-Target-URI", ex.url.to_owned()),
            ("WARC-Concurrent-To", response_id.clone()),
        ];
        if let Some(ip) = ex.ip {
            req.push(("WARC-IP-Address", ip.to_string()));
        }
        req.extend([
            (
                "Content-Type",
                "application/http;msgtype=request".to_owned(),
            ),
            ("WARC-Block-Digest", sha1_base32(ex.request_head)),
        ]);
        self.write_record(&req, ex.request_head)?;
        Ok(WarcRef {
            file: self.path.clone(),
            record_id: response_id,
            offset,
            payload_digest,
        })
    }
}

/// One record read back: its WARC headers and, for `application/http` records, the HTTP
/// status, headers and payload (body bytes exactly as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcRecordData {
    pub warc_headers: Vec<(String, String)>,
    /// The HTTP status code of a response record.
    pub http_status: Option<u16>,
    /// The HTTP start line (`HTTP/1.1 200 OK` or `GET / HTTP/1.1`).
    pub http_start_line: Option<String>,
    pub http_headers: Vec<(String, String)>,
    /// The HTTP body (or the whole block for non-HTTP records), content-encoding not undone.
    pub payload: Vec<u8>,
}

impl WarcRecordData {
    /// A WARC header by case-insensitive name.
    pub fn warc_header(&self, name: &str) -> Option<&str> {
        find(&self.warc_headers, name)
    }

    /// An HTTP header by case-insensitive name.
    pub fn http_header(&self, name: &str) -> Option<&str> {
        find(&self.http_headers, name)
    }

    /// The payload with its `Content-Encoding` (gzip, deflate, br) undone, for display.
    pub fn decoded_payload(&self) -> io::Result<Vec<u8>> {
        crate::fetch::decode_content_encoding(
            self.http_header("content-encoding"),
            &self.payload,
            u64::MAX,
        )
        .map(|(b, _)| b)
    }
}

fn find<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn parse_header_lines(text: &str) -> Vec<(String, String)> {
    text.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads the record at `warc` (its own gzip member) and checks it is the record named.
pub fn read_record(warc: &WarcRef) -> io::Result<WarcRecordData> {
    let mut f = File::open(&warc.file)?;
    f.seek(SeekFrom::Start(warc.offset))?;
    // GzDecoder stops at the end of this record's member.
    let mut r = BufReader::new(GzDecoder::new(BufReader::new(f)));
    let mut version = String::new();
    r.read_line(&mut version)?;
    if !version.starts_with("WARC/1.") {
        return Err(bad(format!(
            "{}@{}: not a WARC record (starts {:?})",
            warc.file.display(),
            warc.offset,
            version.trim_end()
        )));
    }
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let warc_headers = parse_header_lines(&head);
    let len: usize = find(&warc_headers, "Content-Length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            bad(format!(
                "{}@{}: no Content-Length",
                warc.file.display(),
                warc.offset
            ))
        })?;
    if find(&warc_headers, "WARC-Record-ID") != Some(warc.record_id.as_str()) {
        return Err(bad(format!(
            "{}@{}: record is {:?}, expected {}",
            warc.file.display(),
            warc.offset,
            find(&warc_headers, "WARC-Record-ID"),
            warc.record_id
        )));
    }
    let mut block = vec![0; len];
    r.read_exact(&mut block)?;
    let mut data = WarcRecordData {
        warc_headers,
        http_status: None,
        http_start_line: None,
        http_headers: Vec::new(),
        payload: Vec::new(),
    };
    let is_http = data
        .warc_header("Content-Type")
        .is_some_and(|c| c.starts_with("application/http"));
    match block.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) if is_http => {
            let head = String::from_utf8_lossy(&block[..end]).into_owned();
            let (start, rest) = head.split_once("\r\n").unwrap_or((&head, ""));
            data.http_status = start
                .strip_prefix("HTTP/")
                .and_then(|s| s.split_whitespace().nth(1))
                .and_then(|c| c.parse().ok());
            data.http_start_line = Some(start.to_owned());
            data.http_headers = parse_header_lines(rest);
            data.payload = block[end + 4..].to_vec();
        }
        _ => data.payload = block,
    }
    Ok(data)
}
