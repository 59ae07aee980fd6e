//! sns collector tests (to be written).
