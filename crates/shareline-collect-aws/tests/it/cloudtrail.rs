//! cloudtrail collector tests (to be written).
