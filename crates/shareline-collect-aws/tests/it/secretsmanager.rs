//! secretsmanager collector tests (to be written).
