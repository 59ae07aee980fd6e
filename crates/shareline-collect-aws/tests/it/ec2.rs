//! ec2 collector tests (to be written).
