//! Statistics for the console's `/stats` page and the center's periodic reports: live
//! listings and flagged listings by category, platform and seller, flags by signal, and what
//! each day brought (new listings, newly flagged ones, decisions).
//!
//! "Flagged" means the listing's latest assessment has at least one flag, as the detect
//! stage counts it. Counted in SQL over the store, so the numbers are the store's, exactly;
//! no charts or formatting here (that is the console's job).

use crate::error::Doing;
use crate::{time, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A [`Period`] as the SQL's `:since` / `:until` parameters.
struct Bounds {
    since: Option<String>,
    until: Option<String>,
}

impl Bounds {
    fn params(&self) -> Vec<(&str, &dyn rusqlite::ToSql)> {
        vec![(":since", &self.since), (":until", &self.until)]
    }
}

/// Listings and flagged listings under one key (a category, a platform).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupCount {
    /// The category slug or platform; `(none)` for listings without one.
    pub key: String,
    pub listings: u64,
    pub flagged: u64,
}

/// Live listings whose latest assessment carries a flag of `signal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalCount {
    pub signal: String,
    pub flagged: u64,
}

/// What one day (UTC) brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Listings first seen that day.
    pub new_listings: u64,
    /// Listings first flagged by a detection run that day.
    pub newly_flagged: u64,
    /// Decisions recorded that day.
    pub confirmed: u64,
    pub dismissed: u64,
}

/// A seller by its flagged live listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SellerCount {
    pub seller: String,
    pub platform: String,
    pub listings: u64,
    pub flagged: u64,
    /// Of its listings, those whose latest decision is "confirm".
    pub confirmed: u64,
}

/// Every table of the statistics page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statistics {
    /// Live listings (not delisted).
    pub listings: u64,
    /// Live listings whose latest assessment has a flag.
    pub flagged: u64,
    pub by_category: Vec<GroupCount>,
    pub by_platform: Vec<GroupCount>,
    pub by_signal: Vec<SignalCount>,
    /// Oldest day first.
    pub by_day: Vec<DayCount>,
    /// Most flagged listings first, at most the number asked for.
    pub top_sellers: Vec<SellerCount>,
}

/// Which listings the statistics count: with neither bound, the live ones (the store as it
/// is now); with a bound, those first seen in the period, delisted since or not (what the
/// period's crawls found: the periodic report), and only the period's days in `by_day`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The counted listings with a `flagged` column (1 when the latest assessment has a flag:
/// `flag_count`, kept on the row by every assessment save, so no assessment is read).
const LIVE: &str = "live AS (
    SELECT l.id, l.category, l.platform, l.seller_name, l.flag_count > 0 AS flagged
    FROM listings l
    WHERE CASE WHEN :since IS NULL AND :until IS NULL THEN l.delisted_at IS NULL
               ELSE (:since IS NULL OR l.first_seen >= :since)
                AND (:until IS NULL OR l.first_seen <= :until) END)";

impl Store {
    /// The statistics over `period`, with the `top_sellers` most flagged sellers.
    pub fn statistics(&self, period: Period, top_sellers: usize) -> Result<Statistics, StoreError> {
        let bounds = Bounds {
            since: period.since.map(time::to_sql),
            until: period.until.map(time::to_sql),
        };
        let (listings, flagged) = self
            .conn
            .query_row(
                &format!("WITH {LIVE} SELECT count(*), coalesce(sum(flagged), 0) FROM live"),
                bounds.params().as_slice(),
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .doing(|| "counting listings".into())?;
        Ok(Statistics {
            listings,
            flagged,
            by_category: self.group_counts("category", &bounds)?,
            by_platform: self.group_counts("platform", &bounds)?,
            by_signal: self.signal_counts(&bounds)?,
            by_day: self.day_counts(&bounds)?,
            top_sellers: self.seller_counts(top_sellers, &bounds)?,
        })
    }

    /// Changes whenever the statistics may: a listing changed (new, seen, delisted, scored),
    /// an assessment or a decision was added. Cheap (three lookups), for caching.
    pub fn statistics_version(&self) -> Result<(i64, i64, i64), StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT seq FROM listing_changes WHERE id = 1),
                        (SELECT coalesce(max(id), 0) FROM assessments),
                        (SELECT coalesce(max(id), 0) FROM labels)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .doing(|| "reading the statistics' version".into())
    }

    fn group_counts(
        &self,
        column: &'static str,
        bounds: &Bounds,
    ) -> Result<Vec<GroupCount>, StoreError> {
        let doing = || format!("counting listings by {column}");
        let sql = format!(
            "WITH {LIVE} SELECT coalesce({column}, '(none)') AS k, count(*), sum(flagged)
             FROM live GROUP BY k ORDER BY sum(flagged) DESC, count(*) DESC, k"
        );
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let rows = stmt
            .query_map(bounds.params().as_slice(), |r| {
                Ok(GroupCount {
                    key: r.get(0)?,
                    listings: r.get::<_, i64>(1)? as u64,
                    flagged: r.get::<_, i64>(2)? as u64,
                })
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(rows)
    }

    fn signal_counts(&self, bounds: &Bounds) -> Result<Vec<SignalCount>, StoreError> {
        let doing = || "counting flags by signal".to_string();
        let sql = format!(
            "WITH {LIVE} SELECT json_extract(f.value, '$.signal') AS s, count(DISTINCT live.id)
             FROM live JOIN assessments a ON live.flagged AND a.listing_id = live.id
                  AND a.id = (SELECT max(id) FROM assessments WHERE listing_id = live.id),
                  json_each(a.flags_json) f
             WHERE s IS NOT NULL
             GROUP BY s ORDER BY count(DISTINCT live.id) DESC, s"
        );
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let rows = stmt
            .query_map(bounds.params().as_slice(), |r| {
                Ok(SignalCount {
                    signal: r.get(0)?,
                    flagged: r.get::<_, i64>(1)? as u64,
                })
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(rows)
    }

    fn day_counts(&self, bounds: &Bounds) -> Result<Vec<DayCount>, StoreError> {
        let doing = || "counting listings and flags by day".to_string();
        // Timestamps are RFC 3339 UTC text (time.rs): the day is the first ten characters.
        let mut stmt = self
            .conn
            .prepare(
                "WITH events AS (
                     SELECT substr(first_seen, 1, 10) AS day, 'new' AS what FROM listings
                     UNION ALL
                     SELECT substr(min(detected_at), 1, 10), 'flagged' FROM assessments
                     WHERE json_array_length(flags_json) > 0 GROUP BY listing_id
                     UNION ALL
                     SELECT substr(decided_at, 1, 10), decision FROM labels)
                 SELECT day, sum(what = 'new'), sum(what = 'flagged'), sum(what = 'confirm'),
                        sum(what = 'dismiss')
                 FROM events
                 WHERE (:since IS NULL OR day >= substr(:since, 1, 10))
                   AND (:until IS NULL OR day <= substr(:until, 1, 10))
                 GROUP BY day ORDER BY day",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map(bounds.params().as_slice(), |r| {
                Ok(DayCount {
                    day: r.get(0)?,
                    new_listings: r.get::<_, i64>(1)? as u64,
                    newly_flagged: r.get::<_, i64>(2)? as u64,
                    confirmed: r.get::<_, i64>(3)? as u64,
                    dismissed: r.get::<_, i64>(4)? as u64,
                })
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(rows)
    }

    fn seller_counts(&self, top: usize, bounds: &Bounds) -> Result<Vec<SellerCount>, StoreError> {
        let doing = || "counting flagged listings by seller".to_string();
        let sql = format!(
            "WITH {LIVE}, decided AS (
                 SELECT listing_id, decision FROM labels lb
                 WHERE lb.id = (SELECT id FROM labels WHERE listing_id = lb.listing_id
                                ORDER BY decided_at DESC, id DESC LIMIT 1))
             SELECT live.seller_name, coalesce(live.platform, '(none)') AS p, count(*),
                    sum(live.flagged), count(decided.decision = 'confirm' OR NULL)
             FROM live LEFT JOIN decided ON decided.listing_id = live.id
             WHERE live.seller_name IS NOT NULL
             GROUP BY live.seller_name, p HAVING sum(live.flagged) > 0
             ORDER BY sum(live.flagged) DESC, count(*) DESC, live.seller_name LIMIT :top"
        );
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let rows = stmt
            .query_map(
                [
                    bounds.params(),
                    vec![(":top", &(top as i64) as &dyn rusqlite::ToSql)],
                ]
                .concat()
                .as_slice(),
                |r| {
                    Ok(SellerCount {
                        seller: r.get(0)?,
                        platform: r.get(1)?,
                        listings: r.get::<_, i64>(2)? as u64,
                        flagged: r.get::<_, i64>(3)? as u64,
                        confirmed: r.get::<_, i64>(4)? as u64,
                    })
                },
            )
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(rows)
    }
}
