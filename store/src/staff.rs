//! Staff accounts and their console sessions. The store keeps the password's Argon2 hash as it
//! is given (hashing and checking is the console's job) and session tokens only as their
//! SHA-256, so a copy of the store file starts no session. Accounts can be disabled, and are
//! locked after too many failed logins in a row until an admin lifts the lock.

use crate::error::Doing;
use crate::{time, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::fmt;

/// What a staff member may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Search and read.
    Viewer,
    /// Also decide on flags.
    Investigator,
    /// Also manage accounts.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Investigator => "investigator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "investigator" => Ok(Role::Investigator),
            "admin" => Ok(Role::Admin),
            _ => Err(format!(
                "role {s:?} is none of \"viewer\", \"investigator\", \"admin\""
            )),
        }
    }
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    pub id: i64,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    /// Disabled by an admin: no login, no session.
    pub disabled: bool,
    /// Failed logins since the last good one.
    pub failed_logins: i64,
    /// Locked after too many failed logins in a row, until an admin unlocks it.
    pub locked: bool,
}

/// A live session: who, and the CSRF token its forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub staff: Staff,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// The staff columns every query reads, in [`staff_from_row`]'s order.
const STAFF_COLUMNS: &str = "s.id, s.name, s.role, s.password_hash, s.disabled_at IS NOT NULL, \
     s.failed_logins, s.locked_at IS NOT NULL";

type StaffColumns = (i64, String, String, String, bool, i64, bool);

fn staff_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

/// What the store keeps of a session token: its SHA-256, hex.
fn token_digest(token: &str) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(token.as_bytes()))
}

fn staff_from_columns(
    (id, name, role, password_hash, disabled, failed_logins, locked): StaffColumns,
) -> Result<Staff, StoreError> {
    Ok(Staff {
        id,
        name,
        role: role.parse().map_err(|message| StoreError::Corrupt {
            table: "staff",
            id,
            column: "role",
            message,
        })?,
        password_hash,
        disabled,
        failed_logins,
        locked,
    })
}

impl Store {
    /// Adds a staff account, or replaces the role and password of an existing one of that
    /// name (so `qsword users add` also resets a password).
    pub fn upsert_staff(
        &mut self,
        name: &str,
        role: Role,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "INSERT INTO staff (name, role, password_hash, created_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(name) DO UPDATE SET role = excluded.role,
                                                     password_hash = excluded.password_hash",
                    params![name, role.as_str(), password_hash, time::to_sql(at)],
                )
                .doing(|| format!("saving staff account {name:?}"))?;
            // A new password ends the account's sessions and lifts a lock.
            end_sessions_of(tx.conn(), name)?;
            tx.conn()
                .execute(
                    "UPDATE staff SET failed_logins = 0, locked_at = NULL WHERE name = ?1",
                    [name],
                )
                .doing(|| format!("unlocking staff account {name:?}"))?;
            tx.conn()
                .query_row("SELECT id FROM staff WHERE name = ?1", [name], |r| r.get(0))
                .doing(|| format!("reading staff account {name:?}"))
        })
    }

    /// The account called `name`.
    pub fn staff_by_name(&self, name: &str) -> Result<Option<Staff>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {STAFF_COLUMNS} FROM staff s WHERE s.name = ?1"),
                [name],
                staff_from_row,
            )
            .optional()
            .doing(|| format!("reading staff account {name:?}"))?;
        row.map(staff_from_columns).transpose()
    }

    /// Every staff account, by name.
    pub fn staff_accounts(&self) -> Result<Vec<Staff>, StoreError> {
        let doing = || "reading the staff accounts".to_string();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {STAFF_COLUMNS} FROM staff s ORDER BY s.name"
            ))
            .doing(doing)?;
        let rows = stmt
            .query_map([], staff_from_row)
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        rows.into_iter().map(staff_from_columns).collect()
    }

    /// Starts a session for `staff_id` with the given (random) tokens, ending the account's
    /// other sessions (a login elsewhere, perhaps with a stolen cookie, does not live on) and
    /// counting the login as a good one (the failed-login count restarts).
    pub fn create_session(
        &mut self,
        token: &str,
        staff_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "DELETE FROM sessions WHERE expires_at <= ?1 OR staff_id = ?2",
                    params![time::to_sql(now), staff_id],
                )
                .doing(|| "removing expired and replaced sessions".into())?;
            tx.conn()
                .execute(
                    "UPDATE staff SET failed_logins = 0 WHERE id = ?1",
                    [staff_id],
                )
                .doing(|| format!("resetting the failed logins of staff {staff_id}"))?;
            tx.conn()
                .execute(
                    "INSERT INTO sessions (token, staff_id, csrf_token, created_at, expires_at,
                                           last_seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                    params![
                        token_digest(token),
                        staff_id,
                        csrf_token,
                        time::to_sql(now),
                        time::to_sql(expires_at)
                    ],
                )
                .doing(|| format!("starting a session for staff {staff_id}"))?;
            Ok(())
        })
    }

    /// The session of `token`, if it exists, has not expired at `now`, was used within
    /// `idle` and its account is enabled. Its last use becomes `now` (written at most once a
    /// minute: a page view should not always cost a write).
    pub fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Result<Option<Session>, StoreError> {
        let digest = token_digest(token);
        let row = self
            .conn
            .query_row(
                &format!(
                    "SELECT {STAFF_COLUMNS}, se.csrf_token, se.expires_at
                     FROM sessions se JOIN staff s ON s.id = se.staff_id
                     WHERE se.token = ?1 AND se.expires_at > ?2 AND s.disabled_at IS NULL
                       AND coalesce(se.last_seen_at, se.created_at) > ?3"
                ),
                params![digest, time::to_sql(now), time::to_sql(now - idle)],
                |r| {
                    Ok((
                        staff_from_row(r)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                    ))
                },
            )
            .optional()
            .doing(|| "reading a session".into())?;
        let Some((columns, csrf_token, expires_at)) = row else {
            return Ok(None);
        };
        self.conn
            .execute(
                "UPDATE sessions SET last_seen_at = ?2
                 WHERE token = ?1 AND coalesce(last_seen_at, created_at) <= ?3",
                params![
                    digest,
                    time::to_sql(now),
                    time::to_sql(now - chrono::Duration::minutes(1))
                ],
            )
            .doing(|| "recording a session's use".into())?;
        let staff = staff_from_columns(columns)?;
        let expires_at = time::from_sql(&expires_at, "sessions", staff.id, "expires_at")?;
        Ok(Some(Session {
            staff,
            csrf_token,
            expires_at,
        }))
    }

    /// Counts a failed login of `staff_id`; at `lock_after` in a row the account is locked
    /// until [`Store::unlock_staff`]. Returns whether it is locked now.
    pub fn record_failed_login(
        &mut self,
        staff_id: i64,
        lock_after: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            tx.conn()
                .execute(
                    "UPDATE staff SET failed_logins = failed_logins + 1,
                         locked_at = CASE WHEN locked_at IS NULL AND failed_logins + 1 >= ?2
                                          THEN ?3 ELSE locked_at END
                     WHERE id = ?1",
                    params![staff_id, lock_after, time::to_sql(now)],
                )
                .doing(|| format!("counting a failed login of staff {staff_id}"))?;
            tx.conn()
                .query_row(
                    "SELECT locked_at IS NOT NULL FROM staff WHERE id = ?1",
                    [staff_id],
                    |r| r.get(0),
                )
                .doing(|| format!("reading staff {staff_id}"))
        })
    }

    /// Lifts the failed-login lock of `name`; false if there is no such account.
    pub fn unlock_staff(&mut self, name: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx
                .conn()
                .execute(
                    "UPDATE staff SET locked_at = NULL, failed_logins = 0 WHERE name = ?1",
                    [name],
                )
                .doing(|| format!("unlocking staff account {name:?}"))?;
            Ok(n > 0)
        })
    }

    /// Disables (ending its sessions) or enables `name`; false if there is no such account.
    pub fn set_staff_disabled(
        &mut self,
        name: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let at = disabled.then(|| time::to_sql(now));
            let n = tx
                .conn()
                .execute(
                    "UPDATE staff SET disabled_at = ?2 WHERE name = ?1",
                    params![name, at],
                )
                .doing(|| format!("disabling/enabling staff account {name:?}"))?;
            end_sessions_of(tx.conn(), name)?;
            Ok(n > 0)
        })
    }

    /// Removes `name` and its sessions; false if there is no such account. Its decisions and
    /// notes stay, under the name they were made by.
    pub fn remove_staff(&mut self, name: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            end_sessions_of(tx.conn(), name)?;
            let n = tx
                .conn()
                .execute("DELETE FROM staff WHERE name = ?1", [name])
                .doing(|| format!("removing staff account {name:?}"))?;
            Ok(n > 0)
        })
    }

    /// Ends the session of `token` (logout); true if there was one.
    pub fn end_session(&mut self, token: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx
                .conn()
                .execute(
                    "DELETE FROM sessions WHERE token = ?1",
                    [token_digest(token)],
                )
                .doing(|| "ending a session".into())?;
            Ok(n > 0)
        })
    }
}

fn end_sessions_of(conn: &rusqlite::Connection, name: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM sessions WHERE staff_id = (SELECT id FROM staff WHERE name = ?1)",
        [name],
    )
    .doing(|| format!("ending the sessions of {name:?}"))?;
    Ok(())
}
