//! sqs collector tests (to be written).
