//! logs collector tests (to be written).
