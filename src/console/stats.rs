//! Statistics: `/stats` (tables and charts), `/stats/{table}.svg` (the chart, drawn on the
//! server with plotters' SVG backend: no JavaScript, and the page's CSP allows
//! `img-src 'self'`), `/stats/{table}.csv` (the table, for the center's periodic reports) and
//! `/api/stats` (everything as JSON). Tables: `category`, `platform`, `signal`, `day`,
//! `sellers`. The numbers are the store's ([`qsword_store::Statistics`]); this module only
//! draws and writes them.

use super::{api_session, internal, non_empty, page_session, render, Shared};
use crate::search::Bound;
use crate::spreadsheet::cell;
use anyhow::{anyhow, Result};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use qsword_store::{Period, Role, Statistics};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

/// Sellers in the "top sellers" table.
const TOP_SELLERS: usize = 20;
/// Longest label drawn beside a bar (the tables have the whole text).
const LABEL_CHARS: usize = 28;

/// `?since=&until=`: the period of a periodic report, as days (`2026-11-01`, `until` takes
/// the whole day) or RFC 3339 instants; neither means the live listings now.
#[derive(Deserialize, Default)]
pub(super) struct PeriodParams {
    since: Option<String>,
    until: Option<String>,
}

impl PeriodParams {
    // A refusal is the response itself, built at most once per request.
    #[allow(clippy::result_large_err)]
    fn period(&self) -> Result<Period, Response> {
        let bound = |name: &str, v: &Option<String>, b: Bound| {
            let v = non_empty(v);
            crate::search::moment(name, &v, b).map_err(|_| {
                let why = super::bad_date(name, v.as_deref().unwrap_or(""));
                (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
            })
        };
        Ok(Period {
            since: bound("param-since", &self.since, Bound::Start)?,
            until: bound("param-until", &self.until, Bound::End)?,
        })
    }

    /// `?since=…&until=…` (empty when neither is set), for the page's links.
    fn query(&self) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("since", &self.since), ("until", &self.until)] {
            if let Some(v) = non_empty(v) {
                ser.append_pair(k, &v);
            }
        }
        let q = ser.finish();
        if q.is_empty() {
            q
        } else {
            format!("?{q}")
        }
    }
}

/// The last statistics counted, with the period and the store version they are of: the
/// page and its five charts ask for the same numbers, and counting a large store takes
/// seconds, so they are counted once per store change.
#[derive(Default)]
pub(super) struct Cache(Mutex<Option<Counted>>);

/// Statistics with the period and the store version they were counted for.
type Counted = (Period, (i64, i64, i64), Arc<Statistics>);

// A refusal is the response itself, built at most once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn statistics(app: &super::App, params: &PeriodParams) -> Result<Arc<Statistics>, Response> {
    let period = params.period()?;
    let failed = |e: &dyn std::fmt::Display| internal("counting the statistics", e);
    let store = app
        .stats_store
        .as_ref()
        .unwrap_or(&app.store)
        .lock()
        .map_err(|_| failed(&"store lock poisoned"))?;
    let version = store.statistics_version().map_err(|e| failed(&e))?;
    if let Ok(cache) = app.stats_cache.0.lock() {
        if let Some((p, v, stats)) = cache.as_ref() {
            if *p == period && *v == version {
                return Ok(stats.clone());
            }
        }
    }
    let stats = Arc::new(
        store
            .statistics(period, TOP_SELLERS)
            .map_err(|e| failed(&e))?,
    );
    if let Ok(mut cache) = app.stats_cache.0.lock() {
        *cache = Some((period, version, stats.clone()));
    }
    Ok(stats)
}

pub(super) async fn stats_page(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<PeriodParams>,
) -> Response {
    let session = match page_session(&app, &headers, &uri, Role::Viewer, "what-stats") {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let stats = match statistics(&app, &params) {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    render(
        &app,
        "stats.html",
        context! {
            staff => &session.staff,
            csrf => &session.csrf_token,
            s => &*stats,
            since => non_empty(&params.since).unwrap_or_default(),
            until => non_empty(&params.until).unwrap_or_default(),
            period => params.query(),
        },
    )
}

pub(super) async fn api_stats(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<PeriodParams>,
) -> Response {
    if let Err(refused) = api_session(&app, &headers, Role::Viewer, "what-stats") {
        return refused;
    }
    match statistics(&app, &params) {
        Ok(s) => axum::Json(&*s).into_response(),
        Err(refused) => refused,
    }
}

/// `/stats/{table}.svg` or `/stats/{table}.csv`.
pub(super) async fn stats_file(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    UrlPath(file): UrlPath<String>,
    Query(params): Query<PeriodParams>,
) -> Response {
    if let Err(refused) = page_session(&app, &headers, &uri, Role::Viewer, "what-stats") {
        return refused;
    }
    let not_found = || {
        let why = super::tr("no-stats-file");
        (StatusCode::NOT_FOUND, format!("{why}\n")).into_response()
    };
    let Some((table, ext)) = file.rsplit_once('.') else {
        return not_found();
    };
    if !["category", "platform", "signal", "day", "sellers"].contains(&table) {
        return not_found();
    }
    let stats = match statistics(&app, &params) {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let made = match ext {
        "svg" => chart(&stats, table)
            .map(|svg| ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()),
        "csv" => table_csv(&stats, table).map(|csv| {
            super::download(
                "text/csv; charset=utf-8",
                &format!("qsword-stats-{table}.csv"),
                csv,
            )
        }),
        _ => return not_found(),
    };
    made.unwrap_or_else(|e| internal(&format!("drawing /stats/{file}"), format!("{e:#}")))
}

/// One table as CSV (UTF-8 with a BOM for spreadsheets; crawled names made formula-safe).
fn table_csv(s: &Statistics, table: &str) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    match table {
        "category" | "platform" => {
            w.write_record([table, "listings", "flagged"])?;
            let rows = if table == "category" {
                &s.by_category
            } else {
                &s.by_platform
            };
            for r in rows {
                w.write_record([cell(&r.key), r.listings.to_string(), r.flagged.to_string()])?;
            }
        }
        "signal" => {
            w.write_record(["signal", "flagged"])?;
            for r in &s.by_signal {
                w.write_record([cell(&r.signal), r.flagged.to_string()])?;
            }
        }
        "day" => {
            w.write_record([
                "day",
                "new_listings",
                "newly_flagged",
                "confirmed",
                "dismissed",
            ])?;
            for r in &s.by_day {
                w.write_record([
                    r.day.clone(),
                    r.new_listings.to_string(),
                    r.newly_flagged.to_string(),
                    r.confirmed.to_string(),
                    r.dismissed.to_string(),
                ])?;
            }
        }
        _ => {
            w.write_record(["seller", "platform", "listings", "flagged", "confirmed"])?;
            for r in &s.top_sellers {
                w.write_record([
                    cell(&r.seller),
                    cell(&r.platform),
                    r.listings.to_string(),
                    r.flagged.to_string(),
                    r.confirmed.to_string(),
                ])?;
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow!("writing the CSV: {e}"))?;
    Ok(format!("\u{feff}{}", String::from_utf8(bytes)?))
}

/// The chart of one table as an SVG document.
fn chart(s: &Statistics, table: &str) -> Result<String> {
    // Captions and legends in the request's language (drawn as SVG text, no font needed).
    let (listings, flagged) = (super::tr("col-listings"), super::tr("col-flagged"));
    let bars = |rows: Vec<(&str, u64, u64)>, title: &str| {
        bar_chart(&super::tr(title), &rows, (&listings, &flagged))
    };
    match table {
        "category" => bars(
            s.by_category
                .iter()
                .map(|r| (r.key.as_str(), r.listings, r.flagged))
                .collect(),
            "chart-category",
        ),
        "platform" => bars(
            s.by_platform
                .iter()
                .map(|r| (r.key.as_str(), r.listings, r.flagged))
                .collect(),
            "chart-platform",
        ),
        "signal" => bars(
            s.by_signal
                .iter()
                .map(|r| (r.signal.as_str(), r.flagged, r.flagged))
                .collect(),
            "chart-signal",
        ),
        "sellers" => bars(
            s.top_sellers
                .iter()
                .map(|r| (r.seller.as_str(), r.listings, r.flagged))
                .collect(),
            "chart-sellers",
        ),
        _ => day_chart(s),
    }
}

/// Draws the legend and writes the chart out.
fn finish<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    root: &DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
) -> Result<()> {
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))
}

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// Horizontal bars, one row per label: the total (light) with the flagged part over it.
fn bar_chart(title: &str, rows: &[(&str, u64, u64)], names: (&str, &str)) -> Result<String> {
    let mut svg = String::new();
    let n = rows.len().max(1);
    let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0).max(1) as f64;
    let labels: Vec<String> = rows.iter().map(|r| short(r.0)).collect();
    // Row i sits in segment top - i, the first row on top. An integer range `0..top` has
    // top + 1 segments; a lone row gets two (0..0 would draw nothing).
    let top = (n as i32 - 1).max(1);
    {
        let height = 90 + 24 * n as u32;
        let root = SVGBackend::with_string(&mut svg, (800, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(220)
            .build_cartesian_2d(0f64..max * 1.05, (0..top).into_segmented())
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => (top - *i)
                    .try_into()
                    .ok()
                    .and_then(|i: usize| labels.get(i).cloned())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("listings")
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let light = RGBColor(0xb8, 0xc8, 0xe0);
        let red = RGBColor(0xc0, 0x39, 0x2b);
        let bar = |i: usize, v: u64, color: RGBColor| {
            Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(top - i as i32)),
                    (v as f64, SegmentValue::Exact(top - i as i32 + 1)),
                ],
                color.filled(),
            )
        };
        if names.0 != names.1 && rows.iter().any(|r| r.1 != r.2) {
            chart
                .draw_series(rows.iter().enumerate().map(|(i, r)| bar(i, r.1, light)))
                .map_err(|e| anyhow!("{e}"))?
                .label(names.0)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], light.filled())
                });
        }
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| bar(i, r.2, red)))
            .map_err(|e| anyhow!("{e}"))?
            .label(names.1)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], red.filled()));
        finish(&mut chart, &root)?;
    }
    Ok(svg)
}

/// Which number of a day a line of the day chart draws.
type DayValue = fn(&qsword_store::DayCount) -> u64;

/// Lines over the days: new listings and newly flagged ones, and decisions.
fn day_chart(s: &Statistics) -> Result<String> {
    let mut svg = String::new();
    let days = &s.by_day;
    let n = days.len().max(1) as i32;
    let max = days
        .iter()
        .map(|d| {
            d.new_listings
                .max(d.newly_flagged)
                .max(d.confirmed + d.dismissed)
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    {
        let root = SVGBackend::with_string(&mut svg, (800, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(super::tr("chart-day"), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0..(n - 1).max(1), 0f64..max * 1.1)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_labels(days.len().clamp(2, 10))
            .x_label_formatter(&|i| {
                days.get(*i as usize)
                    .map(|d| d.day.clone())
                    .unwrap_or_default()
            })
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let series: [(String, RGBColor, DayValue); 3] = [
            (
                super::tr("col-new-listings"),
                RGBColor(0x2c, 0x6f, 0xbb),
                |d| d.new_listings,
            ),
            (
                super::tr("col-newly-flagged"),
                RGBColor(0xc0, 0x39, 0x2b),
                |d| d.newly_flagged,
            ),
            (
                super::tr("chart-decisions"),
                RGBColor(0x27, 0xae, 0x60),
                |d| d.confirmed + d.dismissed,
            ),
        ];
        for (name, color, value) in series {
            chart
                .draw_series(LineSeries::new(
                    days.iter()
                        .enumerate()
                        .map(|(i, d)| (i as i32, value(d) as f64)),
                    color.stroke_width(2),
                ))
                .map_err(|e| anyhow!("{e}"))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            // Dots too, so a single day (or a lone value) shows.
            chart
                .draw_series(
                    days.iter()
                        .enumerate()
                        .map(|(i, d)| Circle::new((i as i32, value(d) as f64), 3, color.filled())),
                )
                .map_err(|e| anyhow!("{e}"))?;
        }
        finish(&mut chart, &root)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use qsword_store::{DayCount, GroupCount};

    fn stats() -> Statistics {
        Statistics {
            listings: 3,
            flagged: 2,
            by_category: vec![GroupCount {
                key: "<script>alert(1)</script>".into(),
                listings: 3,
                flagged: 2,
            }],
            by_platform: vec![],
            by_signal: vec![],
            by_day: vec![DayCount {
                day: "2026-11-21".into(),
                new_listings: 3,
                newly_flagged: 2,
                confirmed: 1,
                dismissed: 0,
            }],
            top_sellers: vec![],
        }
    }

    #[test]
    fn charts_are_svg_with_crawled_labels_escaped_and_empty_tables_draw() {
        let s = stats();
        for table in ["category", "platform", "signal", "day", "sellers"] {
            let svg = chart(&s, table).unwrap();
            assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{table}");
            assert!(!svg.contains("<script"), "{table}: {svg}");
        }
        assert!(chart(&s, "category").unwrap().contains("&lt;script&gt;"));
    }

    #[test]
    fn csv_tables_have_headers_and_formula_safe_names() {
        let mut s = stats();
        s.by_category[0].key = "=cmd|' /C calc'!A0".into();
        let csv = table_csv(&s, "category").unwrap();
        let mut lines = csv.trim_start_matches('\u{feff}').lines();
        assert_eq!(lines.next(), Some("category,listings,flagged"));
        assert_eq!(lines.next(), Some("'=cmd|' /C calc'!A0,3,2"));
        let day = table_csv(&s, "day").unwrap();
        assert!(day.contains("2026-11-21,3,2,1,0"), "{day}");
    }
}
