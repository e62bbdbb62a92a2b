//! qsword-detector (being built).
