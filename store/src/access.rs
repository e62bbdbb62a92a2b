//! Who did what in the console, and when (issue 21): logins (good, failed, refused), logouts,
//! searches, exports, evidence views and downloads. Append-only; admins read it in the
//! console and download it as CSV. Decisions and notes have their own trail (`review`).

use crate::error::Doing;
use crate::{time, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

/// One access, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    pub at: DateTime<Utc>,
    /// The account (or, for a failed login, the name typed).
    pub who: String,
    /// The client's address, when known.
    pub address: Option<String>,
    /// `login`, `login_failed`, `login_refused`, `logout`, `search`, `export`,
    /// `evidence_view`, `evidence_download`, `access_export`.
    pub action: String,
    /// What it was about: the search's parameters, the listing id and file, the reason.
    pub target: Option<String>,
}

impl Store {
    /// Appends one access record.
    pub fn record_access(&mut self, a: &Access) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "INSERT INTO access_log (at, who, address, action, target)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![time::to_sql(a.at), a.who, a.address, a.action, a.target],
                )
                .doing(|| format!("recording {} by {:?}", a.action, a.who))?;
            Ok(())
        })
    }

    /// Access records, newest first, `limit` from `offset`; and how many there are.
    pub fn access_log(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Access>, u64), StoreError> {
        let doing = || "reading the access log".to_string();
        let total: i64 = self
            .conn
            .query_row("SELECT count(*) FROM access_log", [], |r| r.get(0))
            .doing(doing)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, at, who, address, action, target FROM access_log
                 ORDER BY id DESC LIMIT ?1 OFFSET ?2",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map(params![limit as i64, offset as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        let entries = rows
            .into_iter()
            .map(|(id, at, who, address, action, target)| {
                Ok(Access {
                    at: time::from_sql(&at, "access_log", id, "at")?,
                    who,
                    address,
                    action,
                    target,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((entries, total as u64))
    }
}
