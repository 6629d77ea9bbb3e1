//! HTTP range downloads: one `GET` with a `Range` header through ureq (rustls), run on
//! tokio's blocking pool.

use std::io::Read as _;
use std::prelude::rust_2024::*;
use std::time::Duration;

/// Bytes `offset..offset + len` of `url`.
///
/// A `206 Partial Content` reply is taken as is; a `200 OK` (a server that ignores `Range`)
/// is read up to the end of the range and the bytes before `offset` skipped. Does not follow
/// more than ureq's default redirects, retry, or cache: the client retries with backoff.
///
/// # Errors
/// The reason as text: a transport error, another status, or a body shorter than asked.
pub(super) fn fetch_range(
    agent: &ureq::Agent,
    url: &str,
    offset: u32,
    len: u32,
) -> Result<Vec<u8>, String> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let last = u64::from(offset) + u64::from(len) - 1;
    let mut response = agent
        .get(url)
        .header("Range", &format!("bytes={offset}-{last}"))
        .call()
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let limit = match status {
        206 => u64::from(len),
        200 => last + 1,
        other => return Err(format!("HTTP status {other}")),
    };
    let mut body = Vec::new();
    response
        .body_mut()
        .with_config()
        .reader()
        .take(limit)
        .read_to_end(&mut body)
        .map_err(|e| e.to_string())?;
    let bytes = if status == 200 {
        body.get(offset as usize..).unwrap_or_default().to_vec()
    } else {
        body
    };
    if bytes.len() != len as usize {
        return Err(format!("got {} bytes of {len}", bytes.len()));
    }
    Ok(bytes)
}

/// An agent with timeouts, so that a stalled server fails the range instead of hanging it.
pub(super) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .timeout_connect(Some(Duration::from_secs(15)))
        .build()
        .into()
}
