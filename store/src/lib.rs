//! qsword-store (being built).
