//! guardduty collector tests (to be written).
