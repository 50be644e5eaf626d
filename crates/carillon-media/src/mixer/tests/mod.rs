//! The mixer end to end, on synthetic Opus streams.

mod api;
mod levels;
mod mixing;
pub(crate) mod support;
mod timing;
