//! qsword-crawler (being built).
pub mod extract;
