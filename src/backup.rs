//! `qsword backup DIR`, `qsword restore DIR`, `qsword verify` (issue 23): the evidence kept
//! safe and checked.
//!
//! - backup: the store through SQLite's online backup (consistent while a crawl or the
//!   console writes), then the WARC files, each copied with its SHA-256 taken while copying
//!   and checked again on the copy; `MANIFEST.json` lists every file with its size and hash.
//!   The store is copied first: WARC files only grow, so every record the copied store points
//!   to is in the copied files. The index is left out: it is rebuilt from the store.
//! - restore: checks every file against the manifest, copies them into an empty data
//!   directory and rebuilds the index.
//! - verify: SQLite's integrity check, every WARC record's digests, every listing's capture
//!   readable where the store says, and the index holding as many listings as the store.
//!
//! Exit codes: 0 all good; [`EXIT_PROBLEMS`] verify found problems (each printed); 1 the
//! command could not run (its error says why).

use crate::pipeline::Ctx;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// `qsword verify` found damage or disagreement.
pub const EXIT_PROBLEMS: i32 = 4;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    created_at: chrono::DateTime<chrono::Utc>,
    schema_version: i64,
    /// Paths relative to the backup folder: `qsword.sqlite`, `warc/NAME`.
    files: Vec<ManifestFile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestFile {
    path: String,
    bytes: u64,
    sha256: String,
}

fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, data_encoding::HEXLOWER.encode(&h.finalize())))
}

/// Copies `from` to `to` (fsynced), hashing what was copied; the copy is then read back and
/// must hash the same.
fn copy_checked(from: &Path, to: &Path) -> Result<ManifestFile> {
    let mut src =
        std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let mut dst =
        std::fs::File::create(to).with_context(|| format!("creating {}", to.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = src
            .read(&mut buf)
            .with_context(|| format!("reading {}", from.display()))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        dst.write_all(&buf[..k])
            .with_context(|| format!("writing {}", to.display()))?;
        n += k as u64;
    }
    dst.sync_all()
        .with_context(|| format!("syncing {}", to.display()))?;
    let sha256 = data_encoding::HEXLOWER.encode(&h.finalize());
    let (bytes, again) = sha256_file(to)?;
    if bytes != n || again != sha256 {
        bail!(
            "{}: the copy of {} does not read back as written",
            to.display(),
            from.display()
        );
    }
    Ok(ManifestFile {
        path: String::new(),
        bytes: n,
        sha256,
    })
}

fn warc_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(vec![]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn empty_or_new(dir: &Path, what: &str) -> Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!("{what} {} must be a new or empty folder", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

pub fn backup(ctx: &Ctx, dir: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    empty_or_new(dir, "the backup folder")?;
    let store = ctx.open_store()?;
    let store_copy = dir.join("qsword.sqlite");
    store
        .backup_to(&store_copy)
        .with_context(|| format!("backing up the store to {}", store_copy.display()))?;
    let (bytes, sha256) = sha256_file(&store_copy)?;
    let mut files = vec![ManifestFile {
        path: "qsword.sqlite".into(),
        bytes,
        sha256,
    }];
    std::fs::create_dir_all(dir.join("warc"))?;
    let mut warc_bytes = 0;
    for from in warc_files(&ctx.warc_dir())? {
        let name = from
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: not a UTF-8 file name", from.display()))?
            .to_string();
        let mut f = copy_checked(&from, &dir.join("warc").join(&name))?;
        warc_bytes += f.bytes;
        f.path = format!("warc/{name}");
        files.push(f);
    }
    // Every capture the copied store points to must lie in the copied files.
    let copied = qsword_store::Store::open(&store_copy)?;
    for (id, loc) in copied.listing_captures()? {
        let size = files
            .iter()
            .find(|f| f.path == format!("warc/{}", loc.file))
            .map(|f| f.bytes);
        match size {
            Some(s) if loc.offset < s => {}
            _ => bail!(
                "listing {id}: its capture {}@{} is not in the backup",
                loc.file,
                loc.offset
            ),
        }
    }
    let manifest = Manifest {
        created_at: chrono::Utc::now(),
        schema_version: qsword_store::schema_version(),
        files,
    };
    let path = dir.join("MANIFEST.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "backup in {}: the store ({} listings) and {} WARC files ({:.1} MB), each checked, in {:.1} s; \
         the index is not backed up (restore rebuilds it)",
        dir.display(),
        copied.counts()?.listings,
        manifest.files.len() - 1,
        warc_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn restore(ctx: &Ctx, dir: &Path) -> Result<()> {
    let path = dir.join("MANIFEST.json");
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{}: not a qsword backup manifest", path.display()))?;
    for f in &manifest.files {
        let p = dir.join(&f.path);
        let (bytes, sha256) = sha256_file(&p)?;
        if bytes != f.bytes || sha256 != f.sha256 {
            bail!(
                "{}: {bytes} bytes with SHA-256 {sha256}, the manifest says {} bytes and {}: the backup is damaged",
                p.display(),
                f.bytes,
                f.sha256
            );
        }
    }
    if ctx.store_path().exists() {
        bail!(
            "{} exists: restore into a data directory without a store (--data NEW_DIR)",
            ctx.store_path().display()
        );
    }
    std::fs::create_dir_all(ctx.warc_dir())
        .with_context(|| format!("creating {}", ctx.warc_dir().display()))?;
    for f in &manifest.files {
        let to = match f.path.strip_prefix("warc/") {
            Some(name) => ctx.warc_dir().join(name),
            None => ctx.store_path(),
        };
        copy_checked(&dir.join(&f.path), &to)?;
    }
    let summary = crate::pipeline::index_with(ctx, true)?;
    println!(
        "restored {} files from {} (backup of {}) into {}; index rebuilt: {} listings",
        manifest.files.len(),
        dir.display(),
        manifest.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        ctx.data.display(),
        summary.indexed
    );
    Ok(())
}

/// Prints every problem found; returns the exit code.
pub fn verify(ctx: &Ctx) -> Result<i32> {
    let store = ctx.open_store()?;
    let mut problems = Vec::new();
    for p in store.integrity_problems()? {
        problems.push(format!("store: {p}"));
    }
    let (mut records, mut damaged) = (0, 0);
    let files = warc_files(&ctx.warc_dir())?;
    for f in &files {
        match qsword_crawler::check_file(f) {
            Ok(c) => records += c.records,
            Err(e) => {
                damaged += 1;
                problems.push(format!("WARC: {e}"));
            }
        }
    }
    let captures = store.listing_captures()?;
    for (id, loc) in &captures {
        let warc = crate::pipeline::warc_ref(&ctx.warc_dir(), loc);
        if let Err(e) = qsword_crawler::read_record(&warc) {
            problems.push(format!("listing {id}: its capture cannot be read: {e}"));
        }
    }
    let listings = store.counts()?.listings;
    let index_dir = ctx.index_dir();
    let indexed = if index_dir.exists() {
        let index = qsword_indexer::ListingIndex::open_or_create(&index_dir)
            .with_context(|| format!("opening the index {}", index_dir.display()))?;
        let n = index.doc_count();
        if n != listings {
            problems.push(format!(
                "index: {n} listings, the store has {listings} (qsword index --rebuild)"
            ));
        }
        Some(n)
    } else {
        None
    };
    println!(
        "verify {}: store {listings} listings; {} WARC files, {records} records read, {damaged} damaged; \
         {} captures checked; index {}",
        ctx.data.display(),
        files.len(),
        captures.len(),
        indexed.map_or("absent (qsword index builds it)".to_string(), |n| format!("{n} listings"))
    );
    if problems.is_empty() {
        println!("verify: everything agrees");
        return Ok(0);
    }
    for p in &problems {
        println!("PROBLEM {p}");
    }
    println!("verify: {} problems", problems.len());
    Ok(EXIT_PROBLEMS)
}
