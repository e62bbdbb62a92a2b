//! qsword-marketsim (being built).
