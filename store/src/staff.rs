//! Staff accounts and their console sessions. The store keeps only what it is given: the
//! password's Argon2 hash (hashing and checking is the console's job) and random tokens.

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
}

/// A live session: who, and the CSRF token its forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub staff: Staff,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

fn staff_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn staff_from_columns(
    (id, name, role, password_hash): (i64, String, String, String),
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
            // A new password ends the account's sessions.
            tx.conn()
                .execute(
                    "DELETE FROM sessions WHERE staff_id = (SELECT id FROM staff WHERE name = ?1)",
                    [name],
                )
                .doing(|| format!("ending the sessions of {name:?}"))?;
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
                "SELECT id, name, role, password_hash FROM staff WHERE name = ?1",
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
            .prepare("SELECT id, name, role, password_hash FROM staff ORDER BY name")
            .doing(doing)?;
        let rows = stmt
            .query_map([], staff_from_row)
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        rows.into_iter().map(staff_from_columns).collect()
    }

    /// Starts a session for `staff_id` with the given (random) tokens.
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
                    "DELETE FROM sessions WHERE expires_at <= ?1",
                    [time::to_sql(now)],
                )
                .doing(|| "removing expired sessions".into())?;
            tx.conn()
                .execute(
                    "INSERT INTO sessions (token, staff_id, csrf_token, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        token,
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

    /// The session of `token`, if it exists and has not expired at `now`.
    pub fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT s.id, s.name, s.role, s.password_hash, se.csrf_token, se.expires_at
                 FROM sessions se JOIN staff s ON s.id = se.staff_id
                 WHERE se.token = ?1 AND se.expires_at > ?2",
                params![token, time::to_sql(now)],
                |r| {
                    Ok((
                        staff_from_row(r)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()
            .doing(|| "reading a session".into())?;
        let Some((columns, csrf_token, expires_at)) = row else {
            return Ok(None);
        };
        let staff = staff_from_columns(columns)?;
        let expires_at = time::from_sql(&expires_at, "sessions", staff.id, "expires_at")?;
        Ok(Some(Session {
            staff,
            csrf_token,
            expires_at,
        }))
    }

    /// Ends the session of `token` (logout); true if there was one.
    pub fn end_session(&mut self, token: &str) -> Result<bool, StoreError> {
        self.write(|tx| {
            let n = tx
                .conn()
                .execute("DELETE FROM sessions WHERE token = ?1", [token])
                .doing(|| "ending a session".into())?;
            Ok(n > 0)
        })
    }
}
