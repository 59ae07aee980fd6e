//! Predicates for `catalog/checks/aws/secretsmanager/`.

#[allow(
    unused_imports,
    reason = "shared imports for predicates added over time"
)]
use crate::{AccountView, Ctx, Outcome, Res, Stop, Verdict};
