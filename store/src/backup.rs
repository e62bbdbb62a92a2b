//! Backup and checking of the store itself (issue 23): an online copy through SQLite's backup
//! API (consistent while a crawl or the console writes), SQLite's integrity check, and the
//! WARC locations the listings point to, for `qsword verify`. Copying and checking the WARC
//! files is the binary's (the store knows their names, not their contents).

use crate::error::Doing;
use crate::{warc_from_columns, ListingId, Store, StoreError, WarcLocation};
use std::path::Path;
use std::time::Duration;

impl Store {
    /// Copies the whole store to `dest` (a new file) while others keep writing: SQLite's
    /// online backup, 1,000 pages a step with a pause between steps so writers are not held
    /// up; a write during the copy restarts it, so the copy is one consistent state.
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let mut target = rusqlite::Connection::open(dest)
            .doing(|| format!("creating the backup store {}", dest.display()))?;
        let backup = rusqlite::backup::Backup::new(&self.conn, &mut target)
            .doing(|| format!("starting the backup to {}", dest.display()))?;
        backup
            .run_to_completion(1000, Duration::from_millis(5), None)
            .doing(|| format!("copying the store to {}", dest.display()))?;
        Ok(())
    }

    /// SQLite's `PRAGMA integrity_check`: empty when the file is sound, else its complaints.
    pub fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        let doing = || "checking the store's integrity".to_string();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check").doing(doing)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Every listing's capture: (listing, where its response record is), by id.
    pub fn listing_captures(&self) -> Result<Vec<(ListingId, WarcLocation)>, StoreError> {
        let doing = || "reading the listings' captures".to_string();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, warc_file, warc_record_id, warc_offset FROM listings
                 WHERE warc_file IS NOT NULL ORDER BY id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, file, record, offset)| {
                Some((ListingId(id), warc_from_columns(file, record, offset)?))
            })
            .collect())
    }
}
