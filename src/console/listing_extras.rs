//! The listing page's context around one offer: its price history (a table, and a chart drawn
//! as SVG on the server with plotters — no script), the other offers of the same product as
//! the detector's price signal groups them, and the seller's other listings.
//!
//! Not for: the listing's own fields, flags or evidence (`mod.rs`, [`super::evidence`]), or
//! deciding what a group is (the detector's `group` module does; this only asks it).

use super::{internal, Shared};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use minijinja::context;
use qsword_detector::Detector;
use qsword_listing::Price;
use qsword_store::{ListingId, Store, StoredListing};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// Most offers of the product and listings of the seller shown.
const MAX_RELATED: usize = 30;

/// The live listings' product groups, as the detector's price signal forms them.
#[derive(Default)]
pub(super) struct Groups {
    group_of: HashMap<ListingId, usize>,
    /// (label, key, members).
    groups: Vec<(String, String, Vec<ListingId>)>,
}

/// How long a listing page waits for the groups being worked out before it says so and
/// shows what it has (small stores are done well within it; 30,000 listings take about
/// 5 s in a debug build).
const GROUPS_WAIT: Duration = Duration::from_secs(1);

/// What a worker thread shares with the pages: the latest groups and which change it is
/// working on.
#[derive(Default)]
struct GroupState {
    /// Groups as of a store change sequence.
    ready: Option<(i64, Arc<Groups>)>,
    /// The change sequence a worker is grouping now.
    working_on: Option<i64>,
    /// The last worker's failure, shown until a later one succeeds.
    error: Option<String>,
}

/// [`Groups`] worked out once per change of the store (its listing change sequence) by a
/// worker thread over its own connection — a pass over the live listings, like detection's
/// grouping, so the pages and the store lock are not held up on a large store.
#[derive(Default)]
pub(super) struct GroupCache {
    detector: Arc<OnceLock<Detector>>,
    state: Arc<(Mutex<GroupState>, Condvar)>,
}

/// The groups a listing page can show now.
enum GroupsNow {
    Current(Arc<Groups>),
    /// Being worked out for a newer store change; these are from an earlier one.
    Earlier(Arc<Groups>),
    Pending,
}

/// Reads the live listings from the store at `path` and groups them.
fn work_out_groups(detector: &Detector, path: &std::path::Path) -> Result<Groups, String> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    let mut listings = Vec::new();
    store
        .for_each_listing(|s| {
            if s.delisted_at.is_none() {
                ids.push(s.id);
                listings.push(s.listing);
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let mut groups = Groups::default();
    for g in detector.price_groups(&listings) {
        let members: Vec<ListingId> = g.members.iter().map(|&i| ids[i]).collect();
        for id in &members {
            groups.group_of.insert(*id, groups.groups.len());
        }
        groups.groups.push((g.label, g.key, members));
    }
    Ok(groups)
}

impl GroupCache {
    fn groups(&self, store: &Mutex<Store>) -> Result<GroupsNow, String> {
        let (seq, path) = {
            let store = store
                .lock()
                .map_err(|_| "store lock poisoned".to_string())?;
            let seq = store.listing_change_seq().map_err(|e| e.to_string())?;
            (seq, store.path().to_path_buf())
        };
        let (lock, changed) = &*self.state;
        let mut state = lock
            .lock()
            .map_err(|_| "group cache poisoned".to_string())?;
        let current = |st: &GroupState| {
            st.ready
                .as_ref()
                .filter(|(at, _)| *at == seq)
                .map(|(_, g)| g.clone())
        };
        if let Some(g) = current(&state) {
            return Ok(GroupsNow::Current(g));
        }
        if state.working_on.is_none() {
            state.working_on = Some(seq);
            let (detector, shared) = (self.detector.clone(), self.state.clone());
            std::thread::spawn(move || {
                // Grouping only reads the catalogue: learnt weights would change nothing here.
                let detector = detector.get_or_init(Detector::embedded);
                let outcome = work_out_groups(detector, &path);
                let (lock, changed) = &*shared;
                if let Ok(mut state) = lock.lock() {
                    match outcome {
                        Ok(groups) => {
                            state.ready = Some((seq, Arc::new(groups)));
                            state.error = None;
                        }
                        Err(e) => state.error = Some(e),
                    }
                    state.working_on = None;
                }
                changed.notify_all();
            });
        }
        let (state, _) = changed
            .wait_timeout_while(state, GROUPS_WAIT, |st| st.working_on.is_some())
            .map_err(|_| "group cache poisoned".to_string())?;
        if let Some(g) = current(&state) {
            return Ok(GroupsNow::Current(g));
        }
        if let Some(e) = &state.error {
            return Err(e.clone());
        }
        Ok(match &state.ready {
            Some((_, g)) => GroupsNow::Earlier(g.clone()),
            None => GroupsNow::Pending,
        })
    }
}

fn price_text(p: Option<&Price>) -> String {
    p.map(|p| p.to_string())
        .unwrap_or_else(|| super::tr("no-price"))
}

/// One related listing as the page lists it.
fn related(
    id: ListingId,
    title: &str,
    price: Option<&Price>,
    risk: Option<f64>,
) -> minijinja::Value {
    context! {
        href => format!("/listing/{id}"),
        title => title,
        price => price_text(price),
        risk => risk.map(|r| format!("{r:.2}")),
    }
}

/// The listing's priced versions in its latest currency, oldest first.
fn price_points(
    store: &Store,
    stored: &StoredListing,
) -> Result<Vec<(DateTime<Utc>, Price)>, String> {
    let versions = store.versions(stored.id).map_err(|e| e.to_string())?;
    let currency = stored
        .listing
        .price
        .as_ref()
        .map(|p| p.currency)
        .or_else(|| {
            versions
                .iter()
                .rev()
                .find_map(|v| v.price.as_ref().map(|p| p.currency))
        });
    Ok(versions
        .into_iter()
        .filter_map(|v| v.price.map(|p| (v.fetched_at, p)))
        .filter(|(_, p)| Some(p.currency) == currency)
        .collect())
}

/// The page's `extras`: `history` (rows, chart address), `group` (label, offers),
/// `seller` (name, listings), each with `error` when it could not be read.
pub(super) fn page_context(app: &super::App, stored: &StoredListing) -> minijinja::Value {
    let history = match app.store.lock() {
        Ok(store) => price_points(&store, stored),
        Err(_) => Err("store lock poisoned".into()),
    };
    let history = match history {
        Ok(points) => {
            let mut previous: Option<&Price> = None;
            let rows: Vec<minijinja::Value> = points
                .iter()
                .map(|(at, p)| {
                    let change = previous.and_then(|old| {
                        (!old.amount.is_zero()).then(|| {
                            let pct = (p.amount - old.amount) / old.amount
                                * rust_decimal::Decimal::from(100);
                            format!("{:+.1} %", pct.to_f64().unwrap_or(0.0))
                        })
                    });
                    previous = Some(p);
                    context! { at => at.to_rfc3339(), price => p.to_string(), change => change }
                })
                .collect();
            context! {
                rows => rows,
                chart_src => (!points.is_empty()).then(|| format!("/listing/{}/price-history.svg", stored.id)),
            }
        }
        Err(e) => {
            context! { error => super::trf("history-error", vec![("error", e.to_string().into())]) }
        }
    };
    context! {
        history => history,
        group => group_context(app, stored),
        seller => seller_context(app, stored),
    }
}

fn group_context(app: &super::App, stored: &StoredListing) -> minijinja::Value {
    let (groups, earlier) = match app.groups.groups(&app.store) {
        Ok(GroupsNow::Current(g)) => (g, false),
        Ok(GroupsNow::Earlier(g)) => (g, true),
        Ok(GroupsNow::Pending) => return context! { pending => super::tr("offers-pending") },
        Err(e) => {
            return context! { error => super::trf("offers-error", vec![("error", e.to_string().into())]) }
        }
    };
    let Some(&g) = groups.group_of.get(&stored.id) else {
        return context! { none => true };
    };
    let (label, key, members) = &groups.groups[g];
    let Ok(store) = app.store.lock() else {
        return context! { error => super::trf("store-error", vec![("error", "store lock poisoned".into())]) };
    };
    let mut offers: Vec<StoredListing> = Vec::new();
    for id in members.iter().filter(|id| **id != stored.id) {
        match store.listing(*id) {
            Ok(Some(l)) => offers.push(l),
            Ok(None) => {}
            Err(e) => {
                return context! { error => super::trf("store-error", vec![("error", format!("listing {id}: {e}").into())]) }
            }
        }
    }
    drop(store);
    offers.sort_by_key(|l| l.listing.price.as_ref().map(|p| p.amount));
    let total = offers.len();
    let offers: Vec<minijinja::Value> = offers
        .iter()
        .take(MAX_RELATED)
        .map(|l| {
            let link = related(l.id, &l.listing.title, l.listing.price.as_ref(), l.risk);
            context! {
                seller => l.listing.seller.as_ref().map(|s| s.name.clone()),
                platform => &l.listing.platform,
                ..link
            }
        })
        .collect();
    context! { label => label, key => key, offers => offers, total => total, earlier => earlier }
}

fn seller_context(app: &super::App, stored: &StoredListing) -> minijinja::Value {
    let Some(seller) = &stored.listing.seller else {
        return context! { none => true };
    };
    // Seller names repeat across platforms: the same platform only.
    let req = qsword_indexer::SearchRequest {
        seller: Some(seller.name.clone()),
        platform: stored.listing.platform.clone(),
        limit: MAX_RELATED + 1,
        ..Default::default()
    };
    match super::fresh_index(app).search(&req) {
        Ok(results) => {
            let listings: Vec<minijinja::Value> = results
                .hits
                .iter()
                .filter(|h| h.id != stored.id.0 as u64)
                .take(MAX_RELATED)
                .map(|h| related(ListingId(h.id as i64), &h.title, h.price.as_ref(), h.risk))
                .collect();
            let others = results.total.saturating_sub(1);
            context! { name => &seller.name, listings => listings, total => others }
        }
        Err(e) => {
            context! { error => super::trf("seller-error", vec![("error", e.to_string().into())]) }
        }
    }
}

/// The price history as an SVG chart (plotters): price against capture time, one point per
/// version. Axis labels are ours (dates, amounts); no crawled text is drawn.
fn chart_svg(points: &[(DateTime<Utc>, Price)]) -> Result<String, String> {
    use plotters::prelude::*;
    let xs: Vec<f64> = points.iter().map(|(t, _)| t.timestamp() as f64).collect();
    let ys: Vec<f64> = points
        .iter()
        .map(|(_, p)| p.amount.to_f64().unwrap_or(0.0))
        .collect();
    let (mut x0, mut x1) = (
        xs.iter().cloned().fold(f64::MAX, f64::min),
        xs.iter().cloned().fold(f64::MIN, f64::max),
    );
    if x1 - x0 < 3600.0 {
        x0 -= 43_200.0;
        x1 += 43_200.0;
    }
    let (lo, hi) = (
        ys.iter().cloned().fold(f64::MAX, f64::min),
        ys.iter().cloned().fold(f64::MIN, f64::max),
    );
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.05).max(1.0);
    let (y0, y1) = ((lo - pad).max(0.0), hi + pad);
    let currency = points
        .first()
        .map(|(_, p)| p.currency.to_string())
        .unwrap_or_default();
    let mut svg = String::new();
    {
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        let root = SVGBackend::with_string(&mut svg, (560, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        // Days apart: dates; within a few days: the hour too.
        let format = if x1 - x0 > 3.0 * 86_400.0 {
            "%Y-%m-%d"
        } else {
            "%m-%d %H:%M"
        };
        let date = |x: &f64| {
            DateTime::from_timestamp(*x as i64, 0)
                .map(|d| d.format(format).to_string())
                .unwrap_or_default()
        };
        let amount = |y: &f64| format!("{y:.2} {currency}");
        chart
            .configure_mesh()
            .x_labels(4)
            .y_labels(5)
            .x_label_formatter(&date)
            .y_label_formatter(&amount)
            .draw()
            .map_err(e)?;
        let series: Vec<(f64, f64)> = xs.iter().cloned().zip(ys.iter().cloned()).collect();
        chart
            .draw_series(LineSeries::new(series.clone(), BLUE.stroke_width(2)))
            .map_err(e)?;
        chart
            .draw_series(series.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    Ok(svg)
}

/// `GET /listing/{id}/price-history.svg`: the chart the listing page shows as an `<img>`
/// (an SVG image cannot run scripts, and the console's policy allows images from itself).
pub(super) async fn price_chart(
    State(app): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let (_, ev) = match super::evidence::listing_request(&app, &headers, &uri, &id) {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            format!("{}\n", super::tr("no-price-history")),
        )
            .into_response()
    };
    let points = match app.store.lock() {
        Ok(store) => price_points(&store, &ev.stored),
        Err(_) => return internal("reading the price history", "store lock poisoned"),
    };
    let points = match points {
        Ok(p) if !p.is_empty() => p,
        Ok(_) => return not_found(),
        Err(e) => return internal("reading the price history", e),
    };
    match chart_svg(&points) {
        Ok(svg) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            )],
            svg,
        )
            .into_response(),
        Err(e) => internal("drawing the price history", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_a_point_per_price_and_no_script() {
        let at = |d: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-11-{d:02}T02:00:00Z"))
                .unwrap()
                .to_utc()
        };
        let points = vec![
            (at(1), Price::new("299.00", "CNY").unwrap()),
            (at(2), Price::new("279.00", "CNY").unwrap()),
            (at(5), Price::new("89.00", "CNY").unwrap()),
        ];
        let svg = chart_svg(&points).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("2026-11-0"), "dates on the axis: {svg}");
        assert!(
            chart_svg(&points[..2]).unwrap().contains("11-0"),
            "close captures: hours"
        );
        assert!(svg.contains("CNY"), "amounts with their currency: {svg}");
        assert!(!svg.contains("<script"), "{svg}");
        // One price alone still gets a chart (the axes are widened around it).
        let one = chart_svg(&points[..1]).unwrap();
        assert_eq!(one.matches("<circle").count(), 1, "{one}");
    }
}
