#![no_std]
#![forbid(unsafe_code)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
#![doc = include_str!("../README.md")]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod crypto;
pub mod document;
mod error;
pub mod freshness;
pub mod jobs;
pub mod json;
pub mod manifest;
pub mod signed;
pub mod streams;
pub mod time;
pub mod trust;
pub mod version;
#[cfg(feature = "x509")]
pub mod x509;

pub use error::Error;
