//! Statistics for the console's `/stats` page and the center's periodic reports: live
//! listings and flagged listings by category, platform and seller, flags by signal, and what
//! each day brought (new listings, newly flagged ones, decisions).
//!
//! "Flagged" means the listing's latest assessment has at least one flag, as the detect
//! stage counts it. Counted in SQL over the store, so the numbers are the store's, exactly;
//! no charts or formatting here (that is the console's job).

use crate::error::Doing;
use crate::{Store, StoreError};
use serde::Serialize;

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

/// Live listings with a `flagged` column (1 when the latest assessment has a flag).
const LIVE: &str = "live AS (
    SELECT l.id, l.category, l.platform, l.seller_name,
           coalesce((SELECT json_array_length(a.flags_json) > 0 FROM assessments a
                     WHERE a.listing_id = l.id ORDER BY a.id DESC LIMIT 1), 0) AS flagged
    FROM listings l WHERE l.delisted_at IS NULL)";

impl Store {
    /// The statistics over the whole store, with the `top_sellers` most flagged sellers.
    pub fn statistics(&self, top_sellers: usize) -> Result<Statistics, StoreError> {
        let (listings, flagged) = self
            .conn
            .query_row(
                &format!("WITH {LIVE} SELECT count(*), coalesce(sum(flagged), 0) FROM live"),
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .doing(|| "counting listings".into())?;
        Ok(Statistics {
            listings,
            flagged,
            by_category: self.group_counts("category")?,
            by_platform: self.group_counts("platform")?,
            by_signal: self.signal_counts()?,
            by_day: self.day_counts()?,
            top_sellers: self.seller_counts(top_sellers)?,
        })
    }

    fn group_counts(&self, column: &'static str) -> Result<Vec<GroupCount>, StoreError> {
        let doing = || format!("counting listings by {column}");
        let sql = format!(
            "WITH {LIVE} SELECT coalesce({column}, '(none)') AS k, count(*), sum(flagged)
             FROM live GROUP BY k ORDER BY sum(flagged) DESC, count(*) DESC, k"
        );
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let rows = stmt
            .query_map([], |r| {
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

    fn signal_counts(&self) -> Result<Vec<SignalCount>, StoreError> {
        let doing = || "counting flags by signal".to_string();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT json_extract(f.value, '$.signal') AS s, count(DISTINCT a.listing_id)
                 FROM assessments a JOIN listings l ON l.id = a.listing_id,
                      json_each(a.flags_json) f
                 WHERE l.delisted_at IS NULL
                   AND a.id = (SELECT max(id) FROM assessments WHERE listing_id = a.listing_id)
                   AND s IS NOT NULL
                 GROUP BY s ORDER BY count(DISTINCT a.listing_id) DESC, s",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([], |r| {
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

    fn day_counts(&self) -> Result<Vec<DayCount>, StoreError> {
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
                 FROM events GROUP BY day ORDER BY day",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([], |r| {
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

    fn seller_counts(&self, top: usize) -> Result<Vec<SellerCount>, StoreError> {
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
             ORDER BY sum(live.flagged) DESC, count(*) DESC, live.seller_name LIMIT ?1"
        );
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let rows = stmt
            .query_map([top as i64], |r| {
                Ok(SellerCount {
                    seller: r.get(0)?,
                    platform: r.get(1)?,
                    listings: r.get::<_, i64>(2)? as u64,
                    flagged: r.get::<_, i64>(3)? as u64,
                    confirmed: r.get::<_, i64>(4)? as u64,
                })
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(rows)
    }
}
