//! The service side of the freeze defence ([`ota_core::freshness`]): signed "latest
//! release" statements per product ([`sign`]), and a [`LatestBoard`] that answers devices'
//! `ota/latest/get` requests with them and keeps what each device reported (stale, behind,
//! the newest statement it took), for metrics.
//!
//! What it does not do: decide which release is the latest (an operator or a pipeline says
//! so), refresh statements on a timer (the service does, see `serve`), or answer over AWS
//! IoT Core, whose broker knows nothing of these topics (an IoT rule and a function would
//! have to; not provided).

mod board;
mod sign;

pub use board::{FreshnessSummary, LatestBoard, SharedBoard, ThingReport};
pub use sign::{LatestSpec, SignedLatestStatement, sign};
