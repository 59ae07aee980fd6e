//! config collector tests (to be written).
