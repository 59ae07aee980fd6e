//! iam collector tests (to be written).
