//! One Redis connection that survives a Redis restart: an operation that fails on the
//! connection (refused, reset, Redis still loading its AOF) is retried on a new connection
//! with backoff, with a log line for each wait, until `retry_for` has passed. Not for errors
//! Redis answers deliberately (a script error, a wrong type): those are returned at once.
//!
//! Every operation a caller passes here must be safe to run twice: the reply of a first
//! attempt may have been lost after Redis applied it (see the crate doc for why each script is).

use std::time::{Duration, Instant};

use qsword_crawler::FrontierError;
use redis::{Client, Connection, RedisError, RedisResult};

/// Longest single wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A reply that takes longer than this means Redis is gone (the longest script is ~100 ms).
const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Link {
    client: Client,
    url: String,
    con: Option<Connection>,
    retry_for: Duration,
}

/// Worth a new connection and another try.
fn transient(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || !matches!(e.retry_method(), redis::RetryMethod::NoRetry)
}

impl Link {
    /// Opens the first connection now, so a wrong address fails fast with its URL.
    pub(crate) fn open(url: &str, retry_for: Duration) -> Result<Link, FrontierError> {
        let client = Client::open(url)
            .map_err(|e| format!("Redis URL {url:?}: {e} (want redis://HOST:PORT/DB)"))?;
        let mut link = Link {
            client,
            url: url.to_owned(),
            con: None,
            retry_for,
        };
        link.run("PING", |c| redis::cmd("PING").query::<String>(c))?;
        Ok(link)
    }

    fn connect(&self) -> RedisResult<Connection> {
        let con = self
            .client
            .get_connection_with_timeout(Duration::from_secs(2))?;
        con.set_read_timeout(Some(READ_TIMEOUT))?;
        con.set_write_timeout(Some(READ_TIMEOUT))?;
        Ok(con)
    }

    /// Runs `op` (named `what` in the log), reconnecting and retrying on connection failures.
    pub(crate) fn run<T>(
        &mut self,
        what: &str,
        mut op: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, FrontierError> {
        let started = Instant::now();
        let mut backoff = Duration::from_millis(100);
        let mut failures = 0u32;
        loop {
            let result = match self.con.as_mut() {
                Some(c) => op(c),
                None => self.connect().and_then(|mut c| {
                    let r = op(&mut c);
                    self.con = Some(c);
                    r
                }),
            };
            match result {
                Ok(v) => {
                    if failures > 0 {
                        tracing::warn!(redis = %self.url, failures, "Redis is back: {what} went through after {:.1} s", started.elapsed().as_secs_f64());
                    }
                    return Ok(v);
                }
                Err(e) if transient(&e) && started.elapsed() < self.retry_for => {
                    failures += 1;
                    self.con = None;
                    tracing::warn!(redis = %self.url, "Redis unreachable ({what}: {e}); reconnecting in {} ms", backoff.as_millis());
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(e) => {
                    self.con = None;
                    return Err(format!("Redis {} ({what}): {e}", self.url).into());
                }
            }
        }
    }
}
