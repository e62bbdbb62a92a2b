//! Staff accounts and sessions: Argon2 password hashes, random session and CSRF tokens,
//! the cookie, and `qsword users add`.

use crate::pipeline::Ctx;
use anyhow::{bail, Context, Result};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::{password_hash::SaltString, Argon2};
use axum::http::HeaderMap;
use qsword_store::Role;
use rand::RngCore;
use std::io::BufRead;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "qsword_session";
/// The cookie carrying the login form's CSRF token (no session exists yet at login).
pub const LOGIN_CSRF_COOKIE: &str = "qsword_login_csrf";
/// How long a session lasts after login.
pub const SESSION_HOURS: i64 = 12;
/// Shortest password `users add` accepts.
const MIN_PASSWORD_CHARS: usize = 10;

#[derive(clap::Args, Debug)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a staff account (or reset its role and password); the password is read from stdin.
    Add {
        name: String,
        /// viewer (search, read), investigator (also decide on flags), admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn users(ctx: &Ctx, args: UsersArgs) -> Result<()> {
    match args.command {
        UsersCommand::Add { name, role } => {
            let name = name.trim();
            if name.is_empty() {
                bail!("a staff account needs a name");
            }
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < MIN_PASSWORD_CHARS {
                bail!("the password (one line on stdin) must have at least {MIN_PASSWORD_CHARS} characters");
            }
            let hash = hash_password(password)?;
            let mut store = ctx.open_store()?;
            store.upsert_staff(name, role, &hash, chrono::Utc::now())?;
            println!("staff account {name} ({role}) saved; its sessions, if any, ended");
            Ok(())
        }
    }
}

/// The Argon2id PHC string of `password`, with a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

/// Whether `password` matches the stored PHC string (false for a malformed one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// 256 random bits from the OS, as lower-case hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

/// Compares two tokens in time independent of where they differ.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, whole site; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}")
}
