//! kms collector tests (to be written).
