//! lambda collector tests (to be written).
