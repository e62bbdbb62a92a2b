//! `qsword bench index`: the search index alone at scale. Listings come from the simulated
//! marketplace's generator (titles, descriptions, brands, sellers, categories, marks, prices of
//! a million offers, no pages rendered), are indexed through the same writer as `qsword index`,
//! and a fixed query mix is timed against the result.

use super::{mib, peak_rss_mib, percentiles_ms, rate, ScratchDir};
use anyhow::{bail, Context, Result};
use qsword_indexer::{IndexDoc, ListingIndex, SearchRequest, Sort};
use qsword_listing::{Decimal, Listing};
use qsword_marketsim::{Market, MarketConfig, MAX_SHOPS};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct IndexArgs {
    /// Listings to index.
    #[arg(long, default_value_t = 100_000)]
    listings: usize,
    /// Queries to time, cycling over the fixed mix.
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// The writer's memory budget in MiB (default: the configured `[index] memory_mb`).
    #[arg(long)]
    memory_mb: Option<usize>,
    /// Index the listings of this JSONL file (Listing format) instead of generated ones,
    /// cycled with new URLs if fewer than --listings.
    #[arg(long)]
    import: Option<PathBuf>,
}

/// Where the listings come from: the simulated marketplace's generator, or a JSONL file
/// (`qsword export`, a crawl elsewhere), cycled with new URLs when asked for more.
pub(super) enum Source {
    Market(Box<Market>),
    Import {
        path: PathBuf,
        listings: Vec<Listing>,
    },
}

/// What the bench knows of a listing beyond its fields: whether the market made it a fake
/// (it gets a high risk, as the detector would give it) and whether it is delisted.
pub(super) struct Known {
    pub(super) fake: bool,
    pub(super) delisted: bool,
}

impl Source {
    pub(super) fn market(listings: usize) -> Self {
        let offers_per_product = 15;
        let cfg = MarketConfig {
            products: listings.div_ceil(offers_per_product).max(1),
            offers_per_product,
            shops: MAX_SHOPS,
            ..MarketConfig::default()
        };
        Source::Market(Box::new(Market::generate(&cfg)))
    }

    fn import(path: &Path, limit: usize) -> Result<Self> {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let report = qsword_listing::read_jsonl(std::io::BufReader::new(file), false)
            .with_context(|| format!("reading {}", path.display()))?;
        for e in report.errors.iter().take(5) {
            eprintln!("{}: {e}", path.display());
        }
        let listings: Vec<Listing> = report
            .listings
            .into_iter()
            .take(limit)
            .map(|(_, l)| l)
            .collect();
        if listings.is_empty() {
            bail!("{}: no listing could be read", path.display());
        }
        Ok(Source::Import {
            path: path.to_path_buf(),
            listings,
        })
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Source::Market(m) => format!(
                "the simulated marketplace's generator ({} offers, 8 shops)",
                m.offer_count()
            ),
            Source::Import { path, listings } => {
                format!("{} ({} listings read)", path.display(), listings.len())
            }
        }
    }

    /// `n` listings, made as they are consumed (memory is the source's and the index's, not a
    /// copy). Past the source's own listings the stream starts over with new ids and URLs, as
    /// a later night's new listings would.
    pub(super) fn listings(
        &self,
        n: usize,
    ) -> Box<dyn Iterator<Item = (u64, Known, Listing)> + '_> {
        let rounds = (0usize..).flat_map(move |round| -> Box<dyn Iterator<Item = _>> {
            match self {
                Source::Market(m) => Box::new(m.listings().map(move |(t, l)| {
                    let known = Known {
                        fake: t.fake,
                        delisted: t.delisted,
                    };
                    (round, known, l)
                })),
                Source::Import { listings, .. } => Box::new(listings.iter().map(move |l| {
                    let known = Known {
                        fake: false,
                        delisted: false,
                    };
                    (round, known, l.clone())
                })),
            }
        });
        Box::new(
            rounds
                .take(n)
                .enumerate()
                .map(|(id, (round, known, mut listing))| {
                    if round > 0 {
                        listing.url = format!("{}?r={round}", listing.url);
                    }
                    (id as u64, known, listing)
                }),
        )
    }
}

/// A deterministic pseudo-random fraction of `id` (risk and dates without an RNG to carry).
pub(super) fn unit(id: u64, salt: u64) -> f64 {
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

pub(super) fn doc<'a>(id: u64, truth: &Known, listing: &'a Listing) -> IndexDoc<'a> {
    let risk = if truth.fake {
        0.6 + 0.4 * unit(id, 1)
    } else {
        0.4 * unit(id, 1)
    };
    let night = chrono::DateTime::parse_from_rfc3339("2026-10-01T02:00:00Z")
        .expect("a valid instant")
        .with_timezone(&chrono::Utc);
    let first_seen = night + chrono::Duration::days((unit(id, 2) * 60.0) as i64);
    IndexDoc {
        risk: Some(risk),
        delisted: truth.delisted,
        first_seen: Some(first_seen),
        last_seen: Some(first_seen + chrono::Duration::days((unit(id, 3) * 10.0) as i64)),
        ..IndexDoc::new(id, listing)
    }
}

pub fn run(scratch: &ScratchDir, memory_mb: usize, args: &IndexArgs) -> Result<()> {
    let memory_mb = args.memory_mb.unwrap_or(memory_mb);
    let source = match &args.import {
        Some(path) => Source::import(path, args.listings)?,
        None => Source::market(args.listings),
    };
    println!(
        "bench index: {} listings from {} ({} cores, {})",
        args.listings,
        source.describe(),
        super::cores(),
        super::build_kind()
    );
    let listings = || source.listings(args.listings);
    let model = listings()
        .find_map(|(_, _, l)| l.model.filter(|m| m.chars().any(|c| c.is_ascii_digit())))
        .unwrap_or_default();

    // Pass 1: what making the listings costs alone, and their size as JSON.
    let t = Instant::now();
    let mut json_bytes = 0u64;
    for (_, _, listing) in listings() {
        json_bytes += serde_json::to_vec(&listing)?.len() as u64 + 1;
    }
    let making = t.elapsed();
    println!(
        "  listings   {} as JSON lines = {:.1} MiB (made and serialised in {:.2}s)",
        args.listings,
        mib(json_bytes),
        making.as_secs_f64()
    );

    // Pass 2: a first index (or `qsword index --rebuild`), through the writer `qsword index`
    // uses, the way it uses it.
    let dir = scratch.path.join("index");
    let index = ListingIndex::open_or_create(&dir)?;
    let mut writer = index.writer(memory_mb << 20)?;
    let t = Instant::now();
    for (id, truth, listing) in listings() {
        writer.add(&doc(id, &truth, &listing))?;
    }
    writer.commit()?;
    let committed = t.elapsed();
    writer.finish()?;
    let total = t.elapsed();
    println!(
        "  index      {} listings in {:.2}s = {:.0} listings/s (commit included; {:.2}s with the final merges, {} segments)",
        args.listings,
        committed.as_secs_f64(),
        rate(args.listings, committed),
        total.as_secs_f64(),
        index.segment_count()
    );

    // Pass 3: a night's changes — a tenth of the listings upserted (delete + add) again.
    let mut changed = 0;
    let mut writer = index.writer(memory_mb << 20)?;
    let t = Instant::now();
    for (id, truth, listing) in listings().step_by(10) {
        writer.upsert(&doc(id, &truth, &listing))?;
        changed += 1;
    }
    writer.commit()?;
    writer.finish()?;
    let upserted = t.elapsed();
    println!(
        "  upsert     {} changed listings in {:.2}s = {:.0} listings/s (commit and merges included; {} documents, {} segments after)",
        changed,
        upserted.as_secs_f64(),
        rate(changed, upserted),
        index.doc_count(),
        index.segment_count()
    );
    let size = super::dir_bytes(&dir);
    println!(
        "  size       {:.1} MiB on disk = {:.2}× the listing JSON",
        mib(size),
        size as f64 / json_bytes.max(1) as f64
    );

    let mix = query_mix(&index, &model)?;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); mix.len()];
    // One warm-up pass: the first query of each kind pays for opening columns.
    for (_, req) in &mix {
        std::hint::black_box(index.search(req)?);
    }
    for i in 0..args.queries {
        let k = i % mix.len();
        let t = Instant::now();
        let r = index.search(&mix[k].1)?;
        times[k].push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(r);
    }
    let all: Vec<f64> = times.iter().flatten().copied().collect();
    println!("  queries    {}", percentiles_ms(all));
    for ((name, req), t) in mix.iter().zip(times) {
        let total = index.search(req)?.total;
        println!("    {name:<34} {:>8} hits  {}", total, percentiles_ms(t));
    }
    match peak_rss_mib() {
        Some(m) => println!(
            "  memory     peak RSS {m:.0} MiB (whole process, the listings' source included)"
        ),
        None => println!("  memory     peak RSS unavailable (no /proc/self/status)"),
    }
    Ok(())
}

/// The fixed mix: Chinese words, English words, brand + price range, a category with its
/// facets, riskiest first, and a word found in about half of the index. Every query asks for
/// facets, as the console does.
fn query_mix(index: &ListingIndex, model: &str) -> Result<Vec<(String, SearchRequest)>> {
    let mut mix = vec![
        ("中文 插座".to_string(), SearchRequest::new("插座")),
        ("中文 空气炸锅".into(), SearchRequest::new("空气炸锅")),
        ("中文 sub-word 充电".into(), SearchRequest::new("充电")),
        ("English philips".into(), SearchRequest::new("philips")),
        (
            format!("model {}", model.to_lowercase()),
            SearchRequest::new(model.to_lowercase()),
        ),
        (
            "brand 公牛 + ¥10–40".into(),
            SearchRequest {
                brand: Some("公牛".into()),
                min_price: Some(Decimal::from(10)),
                max_price: Some(Decimal::from(40)),
                ..SearchRequest::new("")
            },
        ),
        (
            "category 家用电器 + facets".into(),
            SearchRequest {
                category: Some("/家用电器".into()),
                ..SearchRequest::new("")
            },
        ),
        (
            "all, riskiest first".into(),
            SearchRequest {
                sort: Sort::RiskDesc,
                ..SearchRequest::new("")
            },
        ),
        (
            "插座 without CCC, riskiest".into(),
            SearchRequest {
                without_mark: Some("CCC".into()),
                sort: Sort::RiskDesc,
                ..SearchRequest::new("插座")
            },
        ),
    ];
    // The word nearest to half of the index, among words every listing family uses.
    let all = index.search(&SearchRequest {
        limit: 0,
        facets: false,
        ..SearchRequest::new("")
    })?;
    let mut best: Option<(f64, String, usize)> = None;
    for word in [
        "正品", "官方", "新款", "旗舰", "包邮", "家用", "电器", "智能", "正", "款", "品",
    ] {
        let hits = index
            .search(&SearchRequest {
                limit: 0,
                facets: false,
                ..SearchRequest::new(word)
            })?
            .total;
        let off = (hits as f64 / all.total.max(1) as f64 - 0.5).abs();
        if best.as_ref().is_none_or(|(b, _, _)| off < *b) {
            best = Some((off, word.to_string(), hits));
        }
    }
    if let Some((_, word, hits)) = best {
        mix.push((
            format!(
                "{word:?} ({:.0}% of the index)",
                100.0 * hits as f64 / all.total.max(1) as f64
            ),
            SearchRequest::new(word),
        ));
    }
    Ok(mix)
}
