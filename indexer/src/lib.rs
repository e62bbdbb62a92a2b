//! qsword-indexer (being built).
