//! rds collector (stub: to be written).

use super::{BoxFuture, Collected, ServiceDef};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The rds collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "rds",
    global: false,
    resource_types: &["AWS::TODO::rds"],
    permissions: &["rds:TODO"],
    collect: run,
};

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(_ctx: &Ctx) -> Result<Collected, CollectError> {
    Ok(Collected::default())
}
