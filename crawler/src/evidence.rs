//! WARC/1.1 evidence (ISO 28500): every response the crawler receives, and the request that
//! asked for it, written as it came off the wire — status line, headers and the body still
//! content-encoded (gzip/br bytes as sent) — one gzip member per record so that any record can
//! be read back alone from its offset. Files are append-only and never rewritten; a run's files
//! rotate at a maximum size (1 GiB by default), each opening with its own `warcinfo` record that
//! its records name in `WARC-Warcinfo-ID`; a request is always in the same file as its response.
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

/// Default largest WARC file: 1 GiB, the customary size (Heritrix, wget, warcprox).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;

/// One crawl run's WARC files: appends records to the current file and, when the next
/// exchange would make it larger than the maximum, syncs and closes it and starts another
/// (each file opens with its own `warcinfo` record, so each stands alone).
pub struct WarcWriter {
    dir: PathBuf,
    software: String,
    /// `qsword-<UTC timestamp>-<random>`: shared by all files of the run, which then sort
    /// together and in order (`-00000`, `-00001`, …).
    stem: String,
    max_file_bytes: u64,
    path: PathBuf,
    file: File,
    offset: u64,
    /// The current file's `warcinfo` record ID (`WARC-Warcinfo-ID` of its records).
    warcinfo_id: String,
    /// Bytes of the current file that are its `warcinfo` record only.
    warcinfo_len: u64,
    files: Vec<PathBuf>,
}

/// A response as received, ready to be recorded.
pub struct Exchange<'a> {
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
    /// Creates `qsword-<UTC timestamp>-<random>-00000.warc.gz` in `dir` with a `warcinfo`
    /// record; files rotate at [`DEFAULT_MAX_FILE_BYTES`].
    pub fn create(dir: &Path, software: &str) -> io::Result<WarcWriter> {
        WarcWriter::create_rotating(dir, software, DEFAULT_MAX_FILE_BYTES)
    }

    /// Like [`create`](Self::create), starting a new file whenever the next exchange would
    /// take the current one past `max_file_bytes` (an exchange larger than that alone still
    /// gets a file of its own: records are never split).
    pub fn create_rotating(
        dir: &Path,
        software: &str,
        max_file_bytes: u64,
    ) -> io::Result<WarcWriter> {
        std::fs::create_dir_all(dir)?;
        let stem = format!(
            "qsword-{}-{}",
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let (path, file) = new_file(dir, &stem, 0)?;
        let mut w = WarcWriter {
            dir: dir.to_owned(),
            software: software.to_owned(),
            stem,
            max_file_bytes,
            path: path.clone(),
            file,
            offset: 0,
            warcinfo_id: String::new(),
            warcinfo_len: 0,
            files: vec![path],
        };
        w.write_warcinfo()?;
        Ok(w)
    }

    fn write_warcinfo(&mut self) -> io::Result<()> {
        let info = format!(
            "software: {}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
            self.software
        );
        let filename = self
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        self.warcinfo_id = record_id();
        let member = gzip_record(
            &[
                ("WARC-Type", "warcinfo".into()),
                ("WARC-Record-ID", self.warcinfo_id.clone()),
                ("WARC-Date", warc_date(Utc::now())),
                ("WARC-Filename", filename),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
        )?;
        self.append(&member)?;
        self.warcinfo_len = self.offset;
        Ok(())
    }

    /// Syncs and closes the current file and starts the next one.
    fn rotate(&mut self) -> io::Result<()> {
        self.file.sync_all()?;
        let (path, file) = new_file(&self.dir, &self.stem, self.files.len())?;
        self.path = path.clone();
        self.file = file;
        self.offset = 0;
        self.files.push(path);
        self.write_warcinfo()
    }

    /// Every file this writer has written, oldest first; the last is the current one.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Makes every record written so far reach the OS and returns a handle to the current
    /// file, so the caller can `sync_data()` it without holding the writer (files closed by
    /// rotation were synced then). Records are written whole with `write_all`, so this is
    /// the guarantee the caller relies on before committing rows that point at them.
    pub fn flushed_handle(&mut self) -> io::Result<File> {
        self.file.flush()?;
        self.file.try_clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends gzip members at the current offset. A failed write (disk full) is cut off
    /// again so that no half record is left for later records to follow.
    fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let offset = self.offset;
        if let Err(e) = self.file.write_all(bytes) {
            let _ = self
                .file
                .set_len(offset)
                .and_then(|()| self.file.seek(SeekFrom::Start(offset)));
            return Err(e);
        }
        self.offset += bytes.len() as u64;
        Ok(offset)
    }

    /// Records a response and its request (in the same file, response first); returns
    /// where the response record is.
    pub fn write_exchange(&mut self, ex: &Exchange<'_>) -> io::Result<WarcRef> {
        let members = PreparedExchange::new(ex, &self.warcinfo_id)?;
        self.write_prepared(ex, members)
    }

    /// The current file's `warcinfo` record ID, for [`PreparedExchange::new`].
    pub fn warcinfo_id(&self) -> &str {
        &self.warcinfo_id
    }

    /// Appends an exchange compressed beforehand (without holding the writer). Only if the
    /// file changed meanwhile, or changes now, is it compressed again: its records name
    /// their file's `warcinfo` record.
    pub fn write_prepared(
        &mut self,
        ex: &Exchange<'_>,
        mut p: PreparedExchange,
    ) -> io::Result<WarcRef> {
        let size = (p.response.len() + p.request.len()) as u64;
        if self.offset > self.warcinfo_len && self.offset + size > self.max_file_bytes {
            self.rotate()?;
        }
        if p.warcinfo_id != self.warcinfo_id {
            p = PreparedExchange::new(ex, &self.warcinfo_id)?;
        }
        let offset = self.append(&p.response)?;
        self.append(&p.request)?;
        Ok(WarcRef {
            file: self.path.clone(),
            record_id: p.response_id,
            offset,
            payload_digest: p.payload_digest,
        })
    }
}

/// An exchange's two records as gzip members, compressed outside the writer's lock (the
/// CPU-heavy part of recording), for [`WarcWriter::write_prepared`].
pub struct PreparedExchange {
    warcinfo_id: String,
    response_id: String,
    payload_digest: String,
    response: Vec<u8>,
    request: Vec<u8>,
}

impl PreparedExchange {
    /// Compresses `ex` for the file whose `warcinfo` record is `warcinfo_id`.
    pub fn new(ex: &Exchange<'_>, warcinfo_id: &str) -> io::Result<PreparedExchange> {
        let response_id = record_id();
        let payload_digest = sha1_base32(ex.payload);
        let (response, request) = exchange_members(ex, &response_id, None, warcinfo_id)?;
        Ok(PreparedExchange {
            warcinfo_id: warcinfo_id.to_owned(),
            response,
            request,
            response_id,
            payload_digest,
        })
    }
}

impl WarcWriter {
    /// Records a page loaded in a browser, all in one file, in this order: a `resource`
    /// record of the DOM the browser built (what extraction read), then each exchange the
    /// browser made for it (the document first, then XHR answers) as `response` + `request`
    /// records `WARC-Concurrent-To` the DOM. Returns where the DOM record is.
    pub fn write_rendered(&mut self, page: &RenderedCapture<'_>) -> io::Result<WarcRef> {
        let dom_id = record_id();
        let payload_digest = sha1_base32(page.dom);
        let members = |warcinfo_id: &str| -> io::Result<Vec<Vec<u8>>> {
            let mut h = vec![
                ("WARC-Type", "resource".to_owned()),
                ("WARC-Record-ID", dom_id.clone()),
                ("WARC-Date", warc_date(page.date)),
                ("WARC-Target-URI", page.url.to_owned()),
                ("WARC-Warcinfo-ID", warcinfo_id.to_owned()),
                ("Content-Type", "text/html; charset=utf-8".to_owned()),
                ("WARC-Payload-Digest", payload_digest.clone()),
                ("WARC-Block-Digest", payload_digest.clone()),
            ];
            if page.truncated {
                h.push(("WARC-Truncated", "length".to_owned()));
            }
            let mut out = vec![gzip_record(&h, page.dom)?];
            for ex in &page.exchanges {
                let (resp, req) = exchange_members(ex, &record_id(), Some(&dom_id), warcinfo_id)?;
                out.extend([resp, req]);
            }
            Ok(out)
        };
        let mut all = members(&self.warcinfo_id)?;
        let size: u64 = all.iter().map(|m| m.len() as u64).sum();
        if self.offset > self.warcinfo_len && self.offset + size > self.max_file_bytes {
            self.rotate()?;
            all = members(&self.warcinfo_id)?;
        }
        let offset = self.offset;
        for m in &all {
            if let Err(e) = self.append(m) {
                // All of the page or none of it: cut what this page appended.
                let _ = self
                    .file
                    .set_len(offset)
                    .and_then(|()| self.file.seek(SeekFrom::Start(offset)).map(|_| ()));
                self.offset = offset;
                return Err(e);
            }
        }
        Ok(WarcRef {
            file: self.path.clone(),
            record_id: dom_id,
            offset,
            payload_digest,
        })
    }
}

/// A page as a browser loaded it, ready to be recorded ([`WarcWriter::write_rendered`]).
pub struct RenderedCapture<'a> {
    /// The page's final URL.
    pub url: &'a str,
    pub date: DateTime<Utc>,
    /// The DOM after the page's scripts ran, serialised.
    pub dom: &'a [u8],
    /// The DOM was cut at the size limit.
    pub truncated: bool,
    /// The document's exchange first, then every XHR/fetch answer.
    pub exchanges: Vec<Exchange<'a>>,
}

/// The gzip members of one exchange: its `response` record (`response_id`, concurrent to
/// `concurrent_to` when it is part of a larger capture) and its `request` record.
fn exchange_members(
    ex: &Exchange<'_>,
    response_id: &str,
    concurrent_to: Option<&str>,
    warcinfo_id: &str,
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let payload_digest = sha1_base32(ex.payload);
    let mut block = Vec::with_capacity(ex.response_head.len() + ex.payload.len());
    block.extend_from_slice(ex.response_head);
    block.extend_from_slice(ex.payload);
    let block_digest = sha1_base32(&block);
    let date = warc_date(ex.date);
    let mut resp = vec![
        ("WARC-Type", "response".to_owned()),
        ("WARC-Record-ID", response_id.to_owned()),
        ("WARC-Date", date.clone()),
        ("WARC-Target-URI", ex.url.to_owned()),
        ("WARC-Warcinfo-ID", warcinfo_id.to_owned()),
    ];
    if let Some(c) = concurrent_to {
        resp.push(("WARC-Concurrent-To", c.to_owned()));
    }
    if let Some(ip) = ex.ip {
        resp.push(("WARC-IP-Address", ip.to_string()));
    }
    resp.extend([
        (
            "Content-Type",
            "application/http;msgtype=response".to_owned(),
        ),
        ("WARC-Payload-Digest", payload_digest.clone()),
        ("WARC-Block-Digest", block_digest.clone()),
    ]);
    if ex.truncated {
        resp.push(("WARC-Truncated", "length".to_owned()));
    }
    let mut req = vec![
        ("WARC-Type", "request".to_owned()),
        ("WARC-Record-ID", record_id()),
        ("WARC-Date", date.clone()),
        ("WARC-Target-URI", ex.url.to_owned()),
        ("WARC-Warcinfo-ID", warcinfo_id.to_owned()),
        ("WARC-Concurrent-To", response_id.to_owned()),
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
    Ok((
        gzip_record(&resp, &block)?,
        gzip_record(&req, ex.request_head)?,
    ))
}

/// Creates the run's file number `serial` (must not exist yet).
fn new_file(dir: &Path, stem: &str, serial: usize) -> io::Result<(PathBuf, File)> {
    let path = dir.join(format!("{stem}-{serial:05}.warc.gz"));
    let file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(&path)?;
    sync_dir(dir)?;
    Ok((path, file))
}

/// Makes a new file's directory entry durable: without it a crash can lose the whole file
/// even though its records were fsynced (Linux, ext4/XFS). A no-op where directories cannot
/// be opened (Windows).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(test)]
    DIR_SYNCS.with(|n| n.set(n.get() + 1));
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Directory syncs on this thread, for the tests.
    static DIR_SYNCS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One WARC record as its own gzip member, so it can be read alone from its offset.
fn gzip_record(headers: &[(&str, String)], block: &[u8]) -> io::Result<Vec<u8>> {
    let mut gz = GzEncoder::new(
        Vec::with_capacity(block.len() / 3 + 512),
        // Level 1: a third of the CPU of the default level for a few per cent more disk; the
        // crawler compresses every response it receives.
        Compression::fast(),
    );
    gz.write_all(b"WARC/1.1\r\n")?;
    for (k, v) in headers {
        gz.write_all(format!("{k}: {v}\r\n").as_bytes())?;
    }
    gz.write_all(format!("Content-Length: {}\r\n\r\n", block.len()).as_bytes())?;
    gz.write_all(block)?;
    gz.write_all(b"\r\n\r\n")?;
    gz.finish()
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

/// `file@offset: what`, for errors about one record.
fn at(warc: &WarcRef, what: impl std::fmt::Display) -> io::Error {
    bad(format!("{}@{}: {what}", warc.file.display(), warc.offset))
}

/// Opens the record at `warc`, checks it is the record named, and returns its WARC headers
/// and a reader over exactly its block.
fn open_record(warc: &WarcRef) -> io::Result<(Vec<(String, String)>, u64, impl BufRead)> {
    let mut f = File::open(&warc.file).map_err(|e| at(warc, format!("cannot open: {e}")))?;
    f.seek(SeekFrom::Start(warc.offset))?;
    // GzDecoder stops at the end of this record's member.
    let mut r = BufReader::new(GzDecoder::new(BufReader::new(f)));
    let mut version = Vec::new();
    r.read_until(b'\n', &mut version)
        .map_err(|e| at(warc, format!("no gzip member here ({e})")))?;
    if !version.starts_with(b"WARC/1.") {
        return Err(at(
            warc,
            format!(
                "not a WARC record (starts {:?})",
                String::from_utf8_lossy(&version).trim_end()
            ),
        ));
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
    let len: u64 = find(&warc_headers, "Content-Length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| at(warc, "no Content-Length"))?;
    if find(&warc_headers, "WARC-Record-ID") != Some(warc.record_id.as_str()) {
        return Err(at(
            warc,
            format!(
                "record is {:?}, expected {}",
                find(&warc_headers, "WARC-Record-ID"),
                warc.record_id
            ),
        ));
    }
    Ok((warc_headers, len, r.take(len)))
}

/// Reads the record at `warc` (its own gzip member) and checks it is the record named.
pub fn read_record(warc: &WarcRef) -> io::Result<WarcRecordData> {
    let (warc_headers, len, mut r) = open_record(warc)?;
    let mut block = Vec::with_capacity(len.min(64 << 20) as usize);
    r.read_to_end(&mut block)?;
    if block.len() as u64 != len {
        return Err(at(
            warc,
            format!("block ends after {} of {len} bytes", block.len()),
        ));
    }
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

/// What [`check_file`] found in one WARC file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub records: usize,
    /// Records whose `WARC-Block-Digest` (and, for responses, `WARC-Payload-Digest`) held.
    pub digests_checked: usize,
}

/// Reads every record of a WARC file in order (each its own gzip member, CRCs checked by the
/// decoder) and recomputes each record's `WARC-Block-Digest` and `WARC-Payload-Digest`. The
/// first damage found is the error, naming the file, the record's number and its id: a
/// flipped byte fails a gzip CRC or a digest.
pub fn check_file(path: &Path) -> io::Result<FileCheck> {
    let f = File::open(path).map_err(|e| bad(format!("{}: cannot open: {e}", path.display())))?;
    let mut r = BufReader::new(flate2::read::MultiGzDecoder::new(BufReader::new(f)));
    let mut check = FileCheck::default();
    loop {
        let n = check.records + 1;
        let fail = |what: String| bad(format!("{}: record {n}: {what}", path.display()));
        let mut version = Vec::new();
        if r.read_until(b'\n', &mut version)
            .map_err(|e| fail(e.to_string()))?
            == 0
        {
            return Ok(check);
        }
        if !version.starts_with(b"WARC/1.") {
            return Err(fail("not a WARC record".into()));
        }
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).map_err(|e| fail(e.to_string()))? == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let headers = parse_header_lines(&head);
        let id = find(&headers, "WARC-Record-ID").unwrap_or("?").to_string();
        let fail = |what: String| fail(format!("{id}: {what}"));
        let len: usize = find(&headers, "Content-Length")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| fail("no Content-Length".into()))?;
        let mut block = vec![0; len];
        r.read_exact(&mut block)
            .map_err(|e| fail(format!("block cut short ({e})")))?;
        let mut end = [0u8; 4];
        r.read_exact(&mut end)
            .map_err(|e| fail(format!("record end missing ({e})")))?;
        check.records += 1;
        let mut checked = false;
        if let Some(want) = find(&headers, "WARC-Block-Digest") {
            let got = sha1_base32(&block);
            if got != want {
                return Err(fail(format!("block digest is {got}, recorded {want}")));
            }
            checked = true;
        }
        if let Some(want) = find(&headers, "WARC-Payload-Digest") {
            // An HTTP record's payload follows its head; any other record is all payload.
            let http =
                find(&headers, "Content-Type").is_some_and(|c| c.starts_with("application/http"));
            let payload = block
                .windows(4)
                .position(|w| http && w == b"\r\n\r\n")
                .map_or(&block[..], |e| &block[e + 4..]);
            let got = sha1_base32(payload);
            if got != want {
                return Err(fail(format!("payload digest is {got}, recorded {want}")));
            }
            checked = true;
        }
        check.digests_checked += checked as usize;
    }
}

/// Writes the HTTP response recorded at `warc` to `out`: with `body_only` false, exactly as
/// recorded (status line, headers, body as received — still content-encoded; see the module
/// doc for how headers are recorded); with `body_only`, the body with its `Content-Encoding`
/// undone. The record at the offset must be the response named by `warc.record_id`.
pub fn write_http_response(
    warc: &WarcRef,
    out: &mut impl Write,
    body_only: bool,
) -> io::Result<()> {
    let is_response = |h: &[(String, String)]| {
        find(h, "WARC-Type") == Some("response")
            && find(h, "Content-Type").is_some_and(|c| c.starts_with("application/http"))
    };
    // A rendered page's DOM (a `resource` record) is its own body.
    let is_dom = |h: &[(String, String)]| find(h, "WARC-Type") == Some("resource");
    if body_only {
        let rec = read_record(warc)?;
        if is_dom(&rec.warc_headers) {
            return out.write_all(&rec.payload);
        }
        if !is_response(&rec.warc_headers) {
            return Err(at(warc, "not an HTTP response record"));
        }
        return out.write_all(&rec.decoded_payload()?);
    }
    let (headers, len, mut block) = open_record(warc)?;
    if !is_response(&headers) && !is_dom(&headers) {
        return Err(at(warc, "not an HTTP response record"));
    }
    let copied = io::copy(&mut block, out)?;
    if copied != len {
        return Err(at(
            warc,
            format!("block ends after {copied} of {len} bytes"),
        ));
    }
    Ok(())
}

/// Largest exchange [`exchange_bytes`] copies out (a bound on memory per download).
pub const MAX_EXCHANGE_BYTES: u64 = 64 << 20;

/// The WARC headers of the gzip member starting at the reader's position, and where the
/// member ends (absolute file offset). The reader is left at that end.
fn member_at(r: &mut BufReader<File>) -> io::Result<(Vec<(String, String)>, u64)> {
    let mut gz = flate2::bufread::GzDecoder::new(&mut *r);
    let mut text = Vec::new();
    gz.read_to_end(&mut text)?;
    let head_end = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(text.len());
    let headers = parse_header_lines(&String::from_utf8_lossy(&text[..head_end]));
    // `bufread::GzDecoder` consumes exactly its member (trailer included) from the reader.
    let end = r.stream_position()?;
    Ok((headers, end))
}

/// The stored bytes of the response record at `warc` and of the request record written with
/// it (the next member, when it is the `request` whose `WARC-Concurrent-To` names the
/// response): the gzip members copied exactly as they lie in the file, so they form a valid
/// `.warc.gz` on their own whose digests verify. For an investigator's "download evidence".
pub fn exchange_bytes(warc: &WarcRef) -> io::Result<Vec<u8>> {
    let f = File::open(&warc.file).map_err(|e| at(warc, format!("cannot open: {e}")))?;
    let mut r = BufReader::new(f);
    r.seek(SeekFrom::Start(warc.offset))?;
    let (response, mut end) =
        member_at(&mut r).map_err(|e| at(warc, format!("no gzip member here ({e})")))?;
    if find(&response, "WARC-Record-ID") != Some(warc.record_id.as_str()) {
        return Err(at(
            warc,
            format!(
                "record is {:?}, expected {}",
                find(&response, "WARC-Record-ID"),
                warc.record_id
            ),
        ));
    }
    if !matches!(find(&response, "WARC-Type"), Some("response" | "resource")) {
        return Err(at(warc, "not a response or resource record"));
    }
    // The records of one capture follow its first in the same file (see `write_exchange`,
    // `write_rendered`), each concurrent to one before it; the first record that is not ends
    // the capture (a file ending at the response just gives the response alone).
    let mut ids = vec![warc.record_id.clone()];
    while let Ok((next, next_end)) = member_at(&mut r) {
        let joined = find(&next, "WARC-Concurrent-To").is_some_and(|c| ids.iter().any(|i| i == c));
        if !joined {
            break;
        }
        ids.extend(find(&next, "WARC-Record-ID").map(str::to_owned));
        end = next_end;
    }
    let len = end - warc.offset;
    if len > MAX_EXCHANGE_BYTES {
        return Err(at(
            warc,
            format!("the exchange is {len} bytes, over the {MAX_EXCHANGE_BYTES}-byte limit"),
        ));
    }
    let mut bytes = vec![0; len as usize];
    r.seek(SeekFrom::Start(warc.offset))?;
    r.read_exact(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each new WARC file's directory entry is made durable: the first file and every file
    /// rotation starts sync the directory.
    #[test]
    fn creating_a_warc_file_syncs_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let before = DIR_SYNCS.with(|n| n.get());
        let mut w = WarcWriter::create_rotating(dir.path(), "qsword-test/0", 1).unwrap();
        assert_eq!(DIR_SYNCS.with(|n| n.get()) - before, 1, "the first file");
        let ex = Exchange {
            url: "http://s.example/",
            ip: None,
            date: Utc::now(),
            request_head: b"GET / HTTP/1.1\r\n\r\n",
            response_head: b"HTTP/1.1 200 OK\r\n\r\n",
            payload: b"hello",
            truncated: false,
        };
        w.write_exchange(&ex).unwrap();
        w.write_exchange(&ex).unwrap();
        assert_eq!(w.files().len(), 2);
        assert_eq!(
            DIR_SYNCS.with(|n| n.get()) - before,
            2,
            "and the rotated one"
        );
    }
}
