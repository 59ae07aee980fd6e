//! acm collector tests (to be written).
