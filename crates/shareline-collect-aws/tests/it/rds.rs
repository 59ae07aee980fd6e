//! rds collector tests (to be written).
