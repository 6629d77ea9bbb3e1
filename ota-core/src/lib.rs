#![no_std]
#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod crypto;
pub mod jobs;
pub mod json;
pub mod time;
pub mod version;
#[cfg(feature = "x509")]
pub mod x509;
