//! Each crawled site's cookie jar, kept between nightly runs. The store keeps the crawler's
//! JSON as it is: its shape is the crawler's business.

use crate::error::Doing;
use crate::{time, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// The site's saved jar, if any.
    pub fn site_cookies(&self, site: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT jar_json FROM site_cookies WHERE site = ?1",
                params![site],
                |r| r.get(0),
            )
            .optional()
            .doing(|| format!("reading the cookies of site {site}"))
    }

    /// Replaces the site's saved jar.
    pub fn save_site_cookies(
        &mut self,
        site: &str,
        jar_json: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "INSERT INTO site_cookies (site, jar_json, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT(site) DO UPDATE SET jar_json = excluded.jar_json, updated_at = excluded.updated_at",
                    params![site, jar_json, time::to_sql(at)],
                )
                .doing(|| format!("saving the cookies of site {site}"))?;
            Ok(())
        })
    }

    /// Sites with a saved jar and when it was last saved.
    pub fn sites_with_cookies(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let doing = || "listing saved cookies".to_string();
        let mut st = self
            .conn
            .prepare("SELECT site, updated_at FROM site_cookies ORDER BY site")
            .doing(doing)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        rows.into_iter()
            .map(|(site, at)| Ok((site, time::from_sql(&at, "site_cookies", 0, "updated_at")?)))
            .collect()
    }

    /// Forgets the jar of `site`, or of every site when `None`; returns how many were cleared.
    pub fn clear_site_cookies(&mut self, site: Option<&str>) -> Result<usize, StoreError> {
        self.write(|tx| {
            let n = match site {
                Some(s) => tx
                    .conn()
                    .execute("DELETE FROM site_cookies WHERE site = ?1", params![s]),
                None => tx.conn().execute("DELETE FROM site_cookies", []),
            }
            .doing(|| "clearing saved cookies".to_string())?;
            Ok(n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jar_is_kept_replaced_and_cleared_per_site() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.site_cookies("a").unwrap(), None);
        store.save_site_cookies("a", "[1]", Utc::now()).unwrap();
        store.save_site_cookies("a", "[2]", Utc::now()).unwrap();
        store.save_site_cookies("b", "[3]", Utc::now()).unwrap();
        assert_eq!(store.site_cookies("a").unwrap().as_deref(), Some("[2]"));
        let sites: Vec<String> = store
            .sites_with_cookies()
            .unwrap()
            .into_iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(sites, ["a", "b"]);
        assert_eq!(store.clear_site_cookies(Some("a")).unwrap(), 1);
        assert_eq!(store.site_cookies("a").unwrap(), None);
        assert_eq!(store.clear_site_cookies(None).unwrap(), 1);
        assert!(store.sites_with_cookies().unwrap().is_empty());
    }
}
