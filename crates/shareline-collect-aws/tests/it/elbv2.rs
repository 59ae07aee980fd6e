//! elbv2 collector tests (to be written).
