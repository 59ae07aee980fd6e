//! ec2 collector (stub: to be written).

use super::{BoxFuture, Collected, ServiceDef};
use crate::ctx::Ctx;
use crate::error::CollectError;

/// The ec2 collector.
pub const DEF: ServiceDef = ServiceDef {
    name: "ec2",
    global: false,
    resource_types: &["AWS::TODO::ec2"],
    permissions: &["ec2:TODO"],
    collect: run,
};

fn run(ctx: &Ctx) -> BoxFuture<'_, Result<Collected, CollectError>> {
    Box::pin(collect(ctx))
}

async fn collect(_ctx: &Ctx) -> Result<Collected, CollectError> {
    Ok(Collected::default())
}
