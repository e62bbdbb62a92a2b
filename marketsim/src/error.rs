use std::net::SocketAddr;
use std::path::PathBuf;

/// What can go wrong when serving the market or reading its files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{field} {reason}")]
    Config { field: &'static str, reason: String },
    #[error("cannot bind shop {shop} to {addr}: {source} (is the loopback range 127.0.0.0/8 usable and the port free?)")]
    Bind {
        shop: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot serve shop {shop} over TLS: {reason}")]
    Tls { shop: String, reason: String },
    #[error("cannot open request log {path}: {source}")]
    RequestLog {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a truth record: {source}")]
    TruthLine {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
}
