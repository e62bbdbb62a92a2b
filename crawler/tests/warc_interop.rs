//! The WARC files qsword writes are read back by a standard reader (the `warc` crate): every
//! record parses, across rotated files; requests point at their responses; the block and
//! payload digests are right; and the evidence can be written back out.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use chrono::Utc;
use qsword_crawler::evidence::{
    read_record, sha1_base32, write_http_response, Exchange, WarcRef, WarcWriter,
};
use warc::{WarcHeader, WarcReader};

struct Written {
    refs: Vec<WarcRef>,
    bodies: Vec<Vec<u8>>,
    files: Vec<PathBuf>,
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// Page `i`'s body as the site would serve it (odd pages gzip-encoded).
fn page(i: usize) -> (Vec<u8>, Vec<u8>, String) {
    let plain: Vec<u8> =
        format!("<html><title>item {i}</title>{}</html>", "x".repeat(i * 97)).into_bytes();
    if i % 2 == 1 {
        let enc = gzip(&plain);
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
            enc.len()
        );
        (plain, enc, head)
    } else {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\r\n",
            plain.len()
        );
        (plain.clone(), plain, head)
    }
}

fn write_pages(dir: &std::path::Path, n: usize, max_file_bytes: u64) -> Written {
    let mut w = WarcWriter::create_rotating(dir, "qsword-test/0", max_file_bytes).unwrap();
    let mut refs = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..n {
        let (plain, wire, head) = page(i);
        let url = format!("http://shop.example/item/{i}.html");
        let req = format!("GET /item/{i}.html HTTP/1.1\r\nhost: shop.example\r\n\r\n");
        let r = w
            .write_exchange(&Exchange {
                url: &url,
                ip: Some("127.0.0.1".parse().unwrap()),
                date: Utc::now(),
                request_head: req.as_bytes(),
                response_head: head.as_bytes(),
                payload: &wire,
                truncated: false,
            })
            .unwrap();
        // The crawler's durability step: flush, then fsync outside the writer.
        w.flushed_handle().unwrap().sync_data().unwrap();
        refs.push(r);
        bodies.push(plain);
    }
    Written {
        refs,
        bodies,
        files: w.files().to_vec(),
    }
}

#[test]
fn rotated_files_read_back_with_a_standard_reader_and_verified_digests() {
    let dir = tempfile::tempdir().unwrap();
    let n = 12;
    let out = write_pages(dir.path(), n, 2_000);
    assert!(
        out.files.len() >= 3,
        "tiny files should rotate: {:?}",
        out.files
    );
    // Every reference names the file its record is in.
    for r in &out.refs {
        assert!(out.files.contains(&r.file), "{r:?}");
        assert!(r
            .file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(".warc.gz"));
    }

    let mut responses = HashMap::new(); // record id -> payload digest
    let mut requests = Vec::new(); // (file index, concurrent-to)
    let mut per_file_responses = vec![Vec::new(); out.files.len()];
    for (fi, path) in out.files.iter().enumerate() {
        let mut warcinfo_id = None;
        for (k, rec) in WarcReader::from_path_gzip(path)
            .unwrap()
            .iter_records()
            .enumerate()
        {
            let rec = rec.unwrap_or_else(|e| panic!("{}: record {k}: {e}", path.display()));
            let ty = rec.header(WarcHeader::WarcType).unwrap().into_owned();
            let body = rec.body();
            if k == 0 {
                assert_eq!(ty, "warcinfo", "{} must open with warcinfo", path.display());
                warcinfo_id = Some(rec.warc_id().to_owned());
                assert_eq!(
                    rec.header(WarcHeader::Filename).as_deref(),
                    Some(path.file_name().unwrap().to_str().unwrap())
                );
                continue;
            }
            assert_eq!(
                rec.header(WarcHeader::WarcInfoID).as_deref(),
                warcinfo_id.as_deref(),
                "records name their own file's warcinfo"
            );
            assert_eq!(
                rec.header(WarcHeader::BlockDigest).unwrap(),
                sha1_base32(body),
                "block digest of {}",
                rec.warc_id()
            );
            match ty.as_str() {
                "response" => {
                    let end = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                    let payload = &body[end + 4..];
                    let digest = rec.header(WarcHeader::PayloadDigest).unwrap().into_owned();
                    assert_eq!(digest, sha1_base32(payload));
                    responses.insert(rec.warc_id().to_owned(), digest);
                    per_file_responses[fi].push(rec.warc_id().to_owned());
                }
                "request" => {
                    assert!(body.starts_with(b"GET /item/"));
                    let to = rec.header(WarcHeader::ConcurrentTo).unwrap().into_owned();
                    requests.push((fi, to));
                }
                other => panic!("unexpected record type {other}"),
            }
        }
    }
    assert_eq!(responses.len(), n);
    assert_eq!(requests.len(), n);
    for (fi, to) in &requests {
        assert!(
            per_file_responses[*fi].contains(to),
            "a request and its response are in the same file"
        );
    }
    for r in &out.refs {
        assert_eq!(responses[&r.record_id], r.payload_digest);
        let fi = out.files.iter().position(|f| *f == r.file).unwrap();
        assert!(per_file_responses[fi].contains(&r.record_id));
    }
}

#[test]
fn evidence_is_written_back_as_recorded_or_as_a_decoded_body() {
    let dir = tempfile::tempdir().unwrap();
    let out = write_pages(dir.path(), 6, 3_000);
    for (i, r) in out.refs.iter().enumerate() {
        let (plain, wire, head) = page(i);
        let mut raw = Vec::new();
        write_http_response(r, &mut raw, false).unwrap();
        let mut expected = head.into_bytes();
        expected.extend_from_slice(&wire);
        assert_eq!(raw, expected, "response {i} as recorded");
        let mut body = Vec::new();
        write_http_response(r, &mut body, true).unwrap();
        assert_eq!(body, plain, "body {i} with content-encoding undone");
        assert_eq!(body, out.bodies[i]);
        assert_eq!(read_record(r).unwrap().http_status, Some(200));
    }
    // A reference whose ID does not match the record at its offset is refused, naming where.
    let mut wrong = out.refs[2].clone();
    wrong.record_id = out.refs[3].record_id.clone();
    let err = write_http_response(&wrong, &mut Vec::new(), false).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{}@{}", wrong.file.display(), wrong.offset)),
        "{msg}"
    );
    let mut off = out.refs[2].clone();
    off.offset += 1;
    assert!(write_http_response(&off, &mut Vec::new(), false).is_err());
}

#[test]
fn one_exchange_larger_than_the_limit_gets_a_file_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let out = write_pages(dir.path(), 3, 1);
    // Every exchange forces a new file, and none is split.
    assert_eq!(out.files.len(), 3);
    let files: Vec<&PathBuf> = out.refs.iter().map(|r| &r.file).collect();
    assert_eq!(files, out.files.iter().collect::<Vec<_>>());
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert_eq!(names, out.files, "files sort in the order written");
}

#[test]
fn an_exchange_is_copied_out_as_stored_and_stands_alone_as_a_warc_file() {
    let dir = tempfile::tempdir().unwrap();
    // Small files: some exchanges are the last of their file, others are followed by more.
    let w = write_pages(dir.path(), 6, 4_000);
    for (i, r) in w.refs.iter().enumerate() {
        let bytes = qsword_crawler::exchange_bytes(r).unwrap();
        // Byte for byte what the file holds at that offset.
        let file = std::fs::read(&r.file).unwrap();
        let at = r.offset as usize;
        assert_eq!(&file[at..at + bytes.len()], &bytes[..], "exchange {i}");
        let out = dir.path().join(format!("exchange-{i}.warc.gz"));
        std::fs::write(&out, &bytes).unwrap();
        let records: Vec<_> = WarcReader::from_path_gzip(&out)
            .unwrap()
            .iter_records()
            .map(|r| r.unwrap())
            .collect();
        let types: Vec<String> = records
            .iter()
            .map(|r| r.header(WarcHeader::WarcType).unwrap().into_owned())
            .collect();
        assert_eq!(types, ["response", "request"], "exchange {i}");
        assert_eq!(records[0].warc_id(), r.record_id);
        assert_eq!(
            records[1].header(WarcHeader::ConcurrentTo).unwrap(),
            r.record_id.as_str()
        );
        for rec in &records {
            assert_eq!(
                rec.header(WarcHeader::BlockDigest).unwrap(),
                sha1_base32(rec.body()),
                "block digest of exchange {i}"
            );
        }
    }
    // A wrong record id is refused with the file and offset.
    let mut wrong = w.refs[0].clone();
    wrong.record_id = "<urn:uuid:00000000-0000-0000-0000-000000000000>".into();
    let e = qsword_crawler::exchange_bytes(&wrong)
        .unwrap_err()
        .to_string();
    assert!(e.contains("@") && e.contains("expected"), "{e}");
}

/// A page loaded in a browser is one capture: the DOM as a `resource` record, then the
/// document's and the XHR's exchanges concurrent to it. A standard reader parses it, the
/// digests verify (a DOM with a blank line in it included), the evidence writes back out as
/// the DOM, and the download of the capture holds all five records and nothing after them.
#[test]
fn a_rendered_page_is_one_capture_of_dom_document_and_xhr() {
    use qsword_crawler::evidence::{check_file, exchange_bytes, RenderedCapture};
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::create(dir.path(), "qsword-test/0").unwrap();
    let dom = b"<html><body><span class=price>\r\n\r\n\xc2\xa5199.00</span></body></html>";
    let doc = b"<html><body><span class=price></span><script>fetch('/api')</script></body></html>";
    let json = br#"{"price":"199.00"}"#;
    let url = "http://shop.example/item/7.html";
    let ex = |u: &'static str, head: &'static str, body: &'static [u8]| Exchange {
        url: u,
        ip: None,
        date: Utc::now(),
        request_head: b"GET / HTTP/1.1\r\nhost: shop.example\r\n\r\n",
        response_head: head.as_bytes(),
        payload: body,
        truncated: false,
    };
    let dom_ref = w
        .write_rendered(&RenderedCapture {
            url,
            date: Utc::now(),
            dom,
            truncated: false,
            exchanges: vec![
                ex(
                    url,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n",
                    doc,
                ),
                ex(
                    "http://shop.example/api/item/7/price",
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n",
                    json,
                ),
            ],
        })
        .unwrap();
    // A plain page after it is not part of the capture.
    w.write_exchange(&ex("http://shop.example/", "HTTP/1.1 200 OK\r\n\r\n", b"x"))
        .unwrap();
    let file = w.path().to_owned();
    drop(w);

    let rec = read_record(&dom_ref).unwrap();
    assert_eq!(rec.warc_header("WARC-Type"), Some("resource"));
    assert_eq!(rec.payload, dom);
    let mut out = Vec::new();
    write_http_response(&dom_ref, &mut out, true).unwrap();
    assert_eq!(out, dom);
    let check = check_file(&file).unwrap();
    assert_eq!(
        check.records,
        1 + 5 + 2,
        "warcinfo, the capture, the plain page"
    );

    let bytes = exchange_bytes(&dom_ref).unwrap();
    let cut = dir.path().join("capture.warc.gz");
    std::fs::write(&cut, &bytes).unwrap();
    let mut types = Vec::new();
    for rec in WarcReader::from_path_gzip(&cut).unwrap().iter_records() {
        let rec = rec.unwrap();
        types.push(rec.header(WarcHeader::WarcType).unwrap().to_string());
        if types.len() > 1 {
            assert!(rec.header(WarcHeader::ConcurrentTo).is_some());
        }
    }
    assert_eq!(
        types,
        ["resource", "response", "request", "response", "request"]
    );
    assert_eq!(check_file(&cut).unwrap().records, 5);
}
