//! Staff accounts and sessions: Argon2 password hashes, random session and CSRF tokens,
//! the cookie, and `qsword users add|disable|enable|unlock|remove`.

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
/// Shortest password `users add` accepts.
const MIN_PASSWORD_CHARS: usize = 10;

#[derive(clap::Args, Debug)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum UsersCommand {
    /// Add a staff account (or reset its role and password, ending its sessions and lifting
    /// a lock); the password is read from the terminal without echo, or one line of stdin.
    Add {
        name: String,
        /// viewer (search, read), investigator (also decide on flags), admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Disable an account: its sessions end and it cannot log in until enabled.
    Disable { name: String },
    /// Enable a disabled account.
    Enable { name: String },
    /// Lift the lock put on an account after too many failed logins.
    Unlock { name: String },
    /// Remove an account and its sessions (its decisions and notes stay, under its name).
    Remove { name: String },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn users(ctx: &Ctx, args: UsersArgs) -> Result<()> {
    let now = chrono::Utc::now();
    let done = |found: bool, name: &str, what: &str| {
        if !found {
            bail!("there is no staff account {name:?} (qsword users add creates one)");
        }
        println!("staff account {name} {what}");
        Ok(())
    };
    match args.command {
        UsersCommand::Add { name, role } => {
            let name = name.trim();
            if name.is_empty() {
                bail!("a staff account needs a name");
            }
            let password = read_password()?;
            if password.chars().count() < MIN_PASSWORD_CHARS {
                bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
            }
            let hash = hash_password(&password)?;
            let mut store = ctx.open_store()?;
            store.upsert_staff(name, role, &hash, now)?;
            println!("staff account {name} ({role}) saved; its sessions, if any, ended");
            Ok(())
        }
        UsersCommand::Disable { name } => {
            let found = ctx.open_store()?.set_staff_disabled(&name, true, now)?;
            done(found, &name, "disabled; its sessions ended")
        }
        UsersCommand::Enable { name } => {
            let found = ctx.open_store()?.set_staff_disabled(&name, false, now)?;
            done(found, &name, "enabled")
        }
        UsersCommand::Unlock { name } => {
            let found = ctx.open_store()?.unlock_staff(&name)?;
            done(found, &name, "unlocked")
        }
        UsersCommand::Remove { name } => {
            let found = ctx.open_store()?.remove_staff(&name)?;
            done(found, &name, "removed")
        }
    }
}

/// The new password: typed at the terminal without echo (twice), or one line of stdin when
/// it is not a terminal (scripts, tests).
fn read_password() -> Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ").context("reading the password")?;
        let again = rpassword::prompt_password("again: ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from stdin")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_string())
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

/// The console's cookies: plain names over HTTP; over TLS `Secure` and the `__Host-` prefix,
/// which a browser accepts only from a secure origin, for the whole site and no domain, so
/// another host of the domain (or a network attacker over plain HTTP) cannot plant or
/// overwrite them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    pub fn session_name(self) -> &'static str {
        if self.secure {
            "__Host-qsword_session"
        } else {
            SESSION_COOKIE
        }
    }

    pub fn login_csrf_name(self) -> &'static str {
        if self.secure {
            "__Host-qsword_login_csrf"
        } else {
            LOGIN_CSRF_COOKIE
        }
    }

    /// A `Set-Cookie` value ([`set_cookie`], plus `Secure` over TLS).
    pub fn set(self, name: &str, value: &str, max_age_s: i64) -> String {
        let cookie = set_cookie(name, value, max_age_s);
        if self.secure {
            cookie + "; Secure"
        } else {
            cookie
        }
    }

    /// The session cookie: HttpOnly, SameSite=Strict, and no `Max-Age`, so it ends with the
    /// browser (the session's lifetime and idle timeout are kept by the server).
    pub fn session(self, token: &str) -> String {
        let cookie = format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict",
            self.session_name()
        );
        if self.secure {
            cookie + "; Secure"
        } else {
            cookie
        }
    }
}
