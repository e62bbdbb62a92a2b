//! `qsword search`: the staff's query line over the index — a table for people, JSON or CSV
//! for tools, `--all` for every hit however many (streamed, not paged).

use crate::pipeline::Ctx;
use crate::spreadsheet::cell;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use qsword_indexer::{Delisted, ListingIndex, SearchHit, SearchRequest, Sort};
use rust_decimal::Decimal;
use std::io::Write;
use std::str::FromStr;

#[derive(clap::Args, Debug, Default)]
pub struct SearchArgs {
    /// Words to search for (Chinese, English, model numbers); quotes for phrases,
    /// `field:word` for title, description, brand, model, seller, platform, url.
    pub query: Vec<String>,
    /// Exact brand (case-insensitive).
    #[arg(long)]
    pub brand: Option<String>,
    #[arg(long)]
    pub platform: Option<String>,
    /// Exact seller (shop) name.
    #[arg(long)]
    pub seller: Option<String>,
    /// A category path and everything under it (`/家用电器/开关插座`), or a category slug.
    #[arg(long)]
    pub category: Option<String>,
    /// Only listings claiming this mark scheme (`CCC`, `XK`; `none` for no mark at all).
    #[arg(long)]
    pub mark: Option<String>,
    /// Only listings not claiming this mark scheme.
    #[arg(long)]
    pub without_mark: Option<String>,
    /// Price bounds, inclusive, in the index's base currency (`[index] base_currency`).
    #[arg(long)]
    pub min_price: Option<String>,
    #[arg(long)]
    pub max_price: Option<String>,
    /// Risk bounds in 0..=1, inclusive.
    #[arg(long)]
    pub min_risk: Option<f64>,
    #[arg(long)]
    pub max_risk: Option<f64>,
    /// First seen on or after this day (YYYY-MM-DD) or instant (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// First seen on or before this day (the whole day) or instant.
    #[arg(long)]
    pub until: Option<String>,
    /// Last seen on or after this day or instant.
    #[arg(long)]
    pub seen_since: Option<String>,
    /// Last seen on or before this day (the whole day) or instant.
    #[arg(long)]
    pub seen_until: Option<String>,
    /// Delisted listings: exclude (default), include, only.
    #[arg(long, default_value = "exclude")]
    pub delisted: String,
    /// relevance | risk | price | -price | newest
    #[arg(long, default_value = "relevance")]
    pub sort: String,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Every hit, not a page (`--limit`/`--offset` ignored); best with --csv or --json.
    #[arg(long)]
    pub all: bool,
    /// JSON: one document for a page (`total`, `offset`, `facets`, `warnings`, `hits`);
    /// with `--all`, JSON lines, one hit a line, streamed.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row.
    #[arg(long)]
    pub csv: bool,
}

impl SearchArgs {
    /// The library request these arguments ask for; a bad value is refused with its flag.
    pub fn request(&self) -> Result<SearchRequest> {
        let decimal = |flag: &str, v: &Option<String>| -> Result<Option<Decimal>> {
            v.as_deref()
                .map(|s| {
                    Decimal::from_str(s.trim())
                        .map_err(|_| anyhow::anyhow!("{flag} {s:?} is not a number"))
                })
                .transpose()
        };
        let risk = |flag: &str, v: Option<f64>| -> Result<Option<f64>> {
            match v {
                Some(r) if !(0.0..=1.0).contains(&r) => {
                    bail!("{flag} {r} is outside 0..=1")
                }
                other => Ok(other),
            }
        };
        let sort = Sort::parse(&self.sort).with_context(|| {
            format!(
                "--sort {:?}: use relevance, risk, price, -price or newest",
                self.sort
            )
        })?;
        let delisted = Delisted::parse(&self.delisted).with_context(|| {
            format!(
                "--delisted {:?}: use exclude, include or only",
                self.delisted
            )
        })?;
        let (min_price, max_price) = (
            decimal("--min-price", &self.min_price)?,
            decimal("--max-price", &self.max_price)?,
        );
        if let (Some(lo), Some(hi)) = (min_price, max_price) {
            if lo > hi {
                bail!("--min-price {lo} is above --max-price {hi}");
            }
        }
        Ok(SearchRequest {
            query: self.query.join(" "),
            brand: self.brand.clone(),
            platform: self.platform.clone(),
            seller: self.seller.clone(),
            category: self.category.clone(),
            mark: self.mark.clone(),
            without_mark: self.without_mark.clone(),
            min_price,
            max_price,
            min_risk: risk("--min-risk", self.min_risk)?,
            max_risk: risk("--max-risk", self.max_risk)?,
            first_seen_from: moment("--since", &self.since, Bound::Start)?,
            first_seen_to: moment("--until", &self.until, Bound::End)?,
            last_seen_from: moment("--seen-since", &self.seen_since, Bound::Start)?,
            last_seen_to: moment("--seen-until", &self.seen_until, Bound::End)?,
            delisted,
            sort,
            facets: !self.all && !self.csv,
            limit: self.limit,
            offset: self.offset,
        })
    }
}

pub(crate) enum Bound {
    Start,
    End,
}

/// A day (`2026-11-30`, its start or its end) or an RFC 3339 instant.
pub(crate) fn moment(
    flag: &str,
    v: &Option<String>,
    bound: Bound,
) -> Result<Option<DateTime<Utc>>> {
    let Some(s) = v.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        anyhow::anyhow!("{flag} {s:?} is neither a day (2026-11-30) nor an RFC 3339 instant")
    })?;
    let t = match bound {
        Bound::Start => day.and_hms_opt(0, 0, 0),
        Bound::End => day.and_hms_opt(23, 59, 59),
    }
    .expect("valid time of day");
    Ok(Some(t.and_utc()))
}

pub fn run(ctx: &Ctx, args: SearchArgs) -> Result<()> {
    let req = args.request()?;
    let dir = ctx.index_dir();
    if !dir.exists() {
        bail!(
            "no index at {}: run `qsword index` (or `qsword demo`) first",
            dir.display()
        );
    }
    let index = ListingIndex::open_or_create(&dir)
        .with_context(|| format!("opening the index {}", dir.display()))?
        .with_rates(ctx.cfg.index.rates()?);
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink = if args.csv {
        Sink::Csv(Box::new(HitCsv::new(out)?))
    } else if args.json {
        Sink::Json(out)
    } else {
        Sink::Table(out)
    };

    if args.all {
        let export = index.export(&req)?;
        for w in &export.warnings {
            eprintln!("warning: {w}");
        }
        let total = export.remaining();
        for hit in export {
            sink.hit(&hit?)?;
        }
        if let Sink::Table(out) = &mut sink {
            writeln!(out, "{total} listings")?;
        }
        return sink.finish();
    }

    let results = index.search(&req)?;
    for w in &results.warnings {
        eprintln!("warning: {w}");
    }
    match &mut sink {
        Sink::Json(out) => {
            let page = serde_json::json!({
                "total": results.total,
                "offset": req.offset,
                "facets": results.facets,
                "warnings": results.warnings,
                "hits": results.hits,
            });
            writeln!(out, "{page}")?;
            return sink.finish();
        }
        Sink::Table(out) => writeln!(
            out,
            "{} listings match (showing {}–{})",
            results.total,
            (req.offset + 1).min(results.total),
            req.offset + results.hits.len()
        )?,
        Sink::Csv(_) => {}
    }
    for hit in &results.hits {
        sink.hit(hit)?;
    }
    if let Sink::Table(out) = &mut sink {
        write_facets(out, &results.facets)?;
    }
    sink.finish()
}

/// Where hits are written, in the format asked for.
// One per command run: boxing the CSV writer would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Sink<W: Write> {
    Table(W),
    Json(W),
    Csv(Box<HitCsv<W>>),
}

impl<W: Write> Sink<W> {
    fn hit(&mut self, hit: &SearchHit) -> Result<()> {
        match self {
            Sink::Table(out) => write_row(out, hit)?,
            Sink::Json(out) => {
                serde_json::to_writer(&mut *out, hit)?;
                writeln!(out)?;
            }
            Sink::Csv(w) => w.hit(hit)?,
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Table(mut out) | Sink::Json(mut out) => out.flush()?,
            Sink::Csv(w) => w.finish()?,
        }
        Ok(())
    }
}

/// Search hits as CSV with a header row, one hit a row, every crawled string made safe for
/// spreadsheets ([`cell`]): `qsword search --csv` and the console's `/search.csv` write this.
pub struct HitCsv<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> HitCsv<W> {
    /// Writes the header row.
    pub fn new(out: W) -> Result<Self> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(CSV_HEADER)?;
        Ok(HitCsv { w })
    }

    pub fn hit(&mut self, hit: &SearchHit) -> Result<()> {
        self.w.write_record(csv_row(hit))?;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

const CSV_HEADER: [&str; 13] = [
    "id",
    "url",
    "title",
    "brand",
    "platform",
    "seller",
    "price",
    "currency",
    "category",
    "risk",
    "marks",
    "delisted",
    "first_seen",
];

fn csv_row(h: &SearchHit) -> Vec<String> {
    let opt = |v: &Option<String>| cell(v.as_deref().unwrap_or_default());
    vec![
        h.id.to_string(),
        cell(&h.url),
        cell(&h.title),
        opt(&h.brand),
        opt(&h.platform),
        opt(&h.seller),
        h.price
            .as_ref()
            .map(|p| p.amount.to_string())
            .unwrap_or_default(),
        h.price
            .as_ref()
            .map(|p| p.currency.to_string())
            .unwrap_or_default(),
        cell(
            h.category_path
                .as_deref()
                .or(h.category.as_deref())
                .unwrap_or_default(),
        ),
        h.risk.map(|r| format!("{r:.3}")).unwrap_or_default(),
        cell(&h.marks.join(" ")),
        h.delisted.to_string(),
        h.first_seen.map(|t| t.to_rfc3339()).unwrap_or_default(),
    ]
}

/// One result row. Crawled text goes to a terminal: control characters (escape sequences a
/// hostile title could carry) are replaced.
fn write_row(out: &mut dyn Write, h: &SearchHit) -> std::io::Result<()> {
    let price = h
        .price
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "-".into());
    let risk = h
        .risk
        .map(|r| format!("{r:.2}"))
        .unwrap_or_else(|| "-".into());
    let marks = if h.marks.is_empty() {
        "-".to_string()
    } else {
        h.marks.join(",")
    };
    writeln!(
        out,
        "{:>7}  risk {:>4}  {:>12}  {:<16}  {:<8}  {}{}\n         {}  {}",
        h.id,
        risk,
        price,
        printable(h.platform.as_deref().unwrap_or("-")),
        printable(&marks),
        printable(&h.title),
        if h.delisted { "  [delisted]" } else { "" },
        printable(h.seller.as_deref().unwrap_or("-")),
        printable(&h.url),
    )
}

fn write_facets(out: &mut dyn Write, f: &qsword_indexer::Facets) -> std::io::Result<()> {
    let line = |out: &mut dyn Write, name: &str, counts: Vec<(String, u64)>| {
        if counts.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = counts
            .iter()
            .take(8)
            .map(|(v, n)| format!("{} {n}", printable(v)))
            .collect();
        let more = counts.len().saturating_sub(8);
        writeln!(
            out,
            "  {name:<9} {}{}",
            shown.join(" · "),
            if more > 0 {
                format!(" · … {more} more")
            } else {
                String::new()
            }
        )
    };
    let pairs = |c: &[qsword_indexer::FacetCount]| -> Vec<(String, u64)> {
        c.iter().map(|c| (c.value.clone(), c.count)).collect()
    };
    writeln!(out)?;
    line(out, "brand", pairs(&f.brand))?;
    line(out, "platform", pairs(&f.platform))?;
    line(out, "seller", pairs(&f.seller))?;
    line(out, "marks", pairs(&f.marks))?;
    line(
        out,
        "category",
        f.category
            .iter()
            .map(|c| (c.path.clone(), c.count))
            .collect(),
    )
}

/// Crawled text for a terminal: control characters (escape sequences) shown as U+FFFD.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_flags_are_named() {
        let bad = |args: SearchArgs| args.request().unwrap_err().to_string();
        let base = || SearchArgs {
            delisted: "exclude".into(),
            sort: "relevance".into(),
            limit: 20,
            ..Default::default()
        };
        assert!(bad(SearchArgs {
            min_price: Some("cheap".into()),
            ..base()
        })
        .contains("--min-price"));
        assert!(bad(SearchArgs {
            sort: "popular".into(),
            ..base()
        })
        .contains("--sort"));
        assert!(bad(SearchArgs {
            since: Some("yesterday".into()),
            ..base()
        })
        .contains("--since"));
        assert!(bad(SearchArgs {
            max_risk: Some(3.0),
            ..base()
        })
        .contains("--max-risk"));
        assert!(bad(SearchArgs {
            min_price: Some("20".into()),
            max_price: Some("10".into()),
            ..base()
        })
        .contains("above"));
        let req = SearchArgs {
            until: Some("2026-11-30".into()),
            ..base()
        }
        .request()
        .unwrap();
        assert_eq!(
            req.first_seen_to.unwrap().to_rfc3339(),
            "2026-11-30T23:59:59+00:00"
        );
    }

    #[test]
    fn terminal_output_drops_escape_sequences() {
        assert_eq!(printable("a\u{1b}[2Jb\n"), "a\u{fffd}[2Jb\u{fffd}");
    }
}
