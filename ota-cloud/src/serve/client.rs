//! [`HttpBackend`]: the service traits over a running service's admin API (`ota-cloud serve`),
//! so that the `job` and `campaign` commands, and any program, drive it as they drive AWS.
//!
//! Plain `http://` only (HTTP/1.1, one connection per call): put a TLS-terminating proxy in
//! front of a service reached over a network, and this client on the same host, or use
//! the API with any HTTP client.
//!
//! What it does not do: `FleetService::set_attribute` (the API has no such operation yet:
//! [`ServiceError::Unsupported`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use ota_core::jobs::JobExecutionStatus;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::ServiceError;
use crate::jobs::model::{
    CancelExecution, CancelJob, Job, JobExecution, JobExecutionSummary, JobSpec, JobStatus,
};
use crate::service::{FleetService, JobService, Thing};

/// Largest answer read (a list page of jobs is far below it).
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

/// A running service's admin API.
#[derive(Clone)]
pub struct HttpBackend {
    /// `host:port`.
    authority: String,
    token: String,
}

impl core::fmt::Debug for HttpBackend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpBackend")
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The error an API refusal (`{"code", "message"}`) stands for.
fn refusal(status: u16, body: &[u8]) -> ServiceError {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = value["code"].as_str().unwrap_or_default();
    let message = value["message"]
        .as_str()
        .map_or_else(|| format!("HTTP {status}"), str::to_string);
    match code {
        "InvalidRequestException" => ServiceError::InvalidRequest(message),
        "ResourceNotFoundException" => ServiceError::ResourceNotFound(message),
        "ResourceAlreadyExistsException" => ServiceError::ResourceAlreadyExists(message),
        "LimitExceededException" => ServiceError::LimitExceeded(message),
        "InvalidStateTransitionException" | "ConflictException" | "VersionConflictException" => {
            ServiceError::InvalidStateTransition(message)
        }
        "ThrottlingException" => ServiceError::Throttled(message),
        "UnauthorizedException" | "AccessDeniedException" => ServiceError::AccessDenied(message),
        "ServiceUnavailableException" => ServiceError::Unavailable(message),
        "UnsupportedException" => ServiceError::Unsupported(message),
        _ => ServiceError::Unexpected(format!("HTTP {status}: {message}")),
    }
}

impl HttpBackend {
    /// The service at `url` (`http://HOST:PORT`, a trailing `/` allowed), with the admin
    /// `token`. Makes no call.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] for a URL that is not `http://HOST:PORT`.
    pub fn new(url: &str, token: &str) -> Result<Self, ServiceError> {
        let bad = || {
            ServiceError::InvalidRequest(format!(
                "{url}: expected http://HOST:PORT (https is not supported: see the module docs)"
            ))
        };
        let authority = url
            .strip_prefix("http://")
            .ok_or_else(bad)?
            .trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') || !authority.contains(':') {
            return Err(bad());
        }
        Ok(Self {
            authority: authority.to_string(),
            token: token.trim().to_string(),
        })
    }

    /// One call: the status and body. Transport failures are `Unavailable`.
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Vec<u8>), ServiceError> {
        let body = body.map(Value::to_string).unwrap_or_default();
        self.send_bytes(method, path, body.as_bytes()).await
    }

    /// One call with a raw body.
    async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), ServiceError> {
        let unavailable = |e: std::io::Error| {
            ServiceError::Unavailable(format!("http://{}: {e}", self.authority))
        };
        let mut stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(unavailable)?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.authority,
            self.token,
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(unavailable)?;
        stream.write_all(body).await.map_err(unavailable)?;
        let mut raw = Vec::new();
        (&mut stream)
            .take(MAX_RESPONSE)
            .read_to_end(&mut raw)
            .await
            .map_err(unavailable)?;
        parse_response(&raw).ok_or_else(|| {
            ServiceError::Unexpected(format!(
                "http://{}{path}: not an HTTP response",
                self.authority
            ))
        })
    }

    /// A call whose success answers `T` (2xx), or the refusal as an error.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ServiceError> {
        let (status, bytes) = self.send(method, path, body).await?;
        if !(200..300).contains(&status) {
            return Err(refusal(status, &bytes));
        }
        let bytes = if bytes.is_empty() {
            b"null".as_slice()
        } else {
            &bytes
        };
        serde_json::from_slice(bytes).map_err(|e| {
            ServiceError::Unexpected(format!("{method} {path}: the answer does not read: {e}"))
        })
    }

    /// Store `bytes` as artifact `name` (`PUT /api/v1/artifacts/NAME`; storing the same
    /// bytes again is accepted). Returns its SHA-256 (hex).
    ///
    /// # Errors
    /// `InvalidRequest` for a bad name, `InvalidStateTransition` when the name holds other
    /// bytes, `Unavailable`.
    pub async fn upload_artifact(&self, name: &str, bytes: &[u8]) -> Result<String, ServiceError> {
        let path = format!("/api/v1/artifacts/{}", segment(name));
        let (status, answer) = self.send_bytes("PUT", &path, bytes).await?;
        if !(200..300).contains(&status) {
            return Err(refusal(status, &answer));
        }
        let info: Value = serde_json::from_slice(&answer)
            .map_err(|e| ServiceError::Unexpected(format!("PUT {path}: {e}")))?;
        Ok(info["sha256"].as_str().unwrap_or_default().to_string())
    }

    /// Every item of a paginated list at `path` (which may carry a query already).
    async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ServiceError> {
        let join = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page_path = match &token {
                None => format!("{path}{join}limit=250"),
                Some(t) => format!("{path}{join}limit=250&nextToken={}", segment(t)),
            };
            let page: Value = self.call("GET", &page_path, None).await?;
            let page_items: Vec<T> =
                serde_json::from_value(page["items"].clone()).map_err(|e| {
                    ServiceError::Unexpected(format!("GET {page_path}: the items do not read: {e}"))
                })?;
            items.extend(page_items);
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(items),
            }
        }
    }
}

/// Status and body of a whole HTTP/1.x response (`Content-Length`, chunked, or to the end).
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
            "content-length" => length = value.trim().parse::<usize>().ok(),
            _ => {}
        }
    }
    let body = &raw[split + 4..];
    if chunked {
        return dechunk(body).map(|b| (status, b));
    }
    let body = match length {
        Some(n) => body.get(..n)?,
        None => body,
    };
    Some((status, body.to_vec()))
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = body.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&body[..end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        body = &body[end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

fn status_query(status: Option<JobExecutionStatus>) -> String {
    status.map_or_else(String::new, |s| format!("?status={}", s.as_str()))
}

#[async_trait]
impl JobService for HttpBackend {
    async fn create_job(&self, spec: JobSpec) -> Result<Job, ServiceError> {
        let body =
            serde_json::to_value(&spec).map_err(|e| ServiceError::InvalidRequest(e.to_string()))?;
        self.call("POST", "/api/v1/jobs", Some(&body)).await
    }
    async fn describe_job(&self, job_id: &str) -> Result<Job, ServiceError> {
        self.call("GET", &format!("/api/v1/jobs/{}", segment(job_id)), None)
            .await
    }
    async fn job_document(&self, job_id: &str) -> Result<String, ServiceError> {
        let answer: Value = self
            .call(
                "GET",
                &format!("/api/v1/jobs/{}/document", segment(job_id)),
                None,
            )
            .await?;
        answer["document"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ServiceError::Unexpected("GetJobDocument: no document".into()))
    }
    async fn list_jobs(&self, status: Option<JobStatus>) -> Result<Vec<Job>, ServiceError> {
        let query = status.map_or_else(String::new, |s| format!("?status={}", s.as_str()));
        self.list(&format!("/api/v1/jobs{query}")).await
    }
    async fn cancel_job(&self, job_id: &str, cancel: CancelJob) -> Result<Job, ServiceError> {
        let body = json!(cancel);
        self.call(
            "POST",
            &format!("/api/v1/jobs/{}/cancel", segment(job_id)),
            Some(&body),
        )
        .await
    }
    async fn delete_job(&self, job_id: &str, force: bool) -> Result<(), ServiceError> {
        let path = format!("/api/v1/jobs/{}?force={force}", segment(job_id));
        self.call::<Value>("DELETE", &path, None).await.map(drop)
    }
    async fn describe_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<u64>,
    ) -> Result<JobExecution, ServiceError> {
        let query = execution_number.map_or_else(String::new, |n| format!("?executionNumber={n}"));
        let path = format!(
            "/api/v1/jobs/{}/executions/{}{query}",
            segment(job_id),
            segment(thing)
        );
        self.call("GET", &path, None).await
    }
    async fn list_job_executions_for_job(
        &self,
        job_id: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        let path = format!(
            "/api/v1/jobs/{}/executions{}",
            segment(job_id),
            status_query(status)
        );
        self.list(&path).await
    }
    async fn list_job_executions_for_thing(
        &self,
        thing: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        let path = format!(
            "/api/v1/things/{}/executions{}",
            segment(thing),
            status_query(status)
        );
        self.list(&path).await
    }
    async fn cancel_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        cancel: CancelExecution,
    ) -> Result<(), ServiceError> {
        let path = format!(
            "/api/v1/jobs/{}/executions/{}/cancel",
            segment(job_id),
            segment(thing)
        );
        self.call::<Value>("POST", &path, Some(&json!(cancel)))
            .await
            .map(drop)
    }
}

#[async_trait]
impl FleetService for HttpBackend {
    async fn create_thing(
        &self,
        name: &str,
        attributes: Vec<(String, String)>,
    ) -> Result<(), ServiceError> {
        let attributes: BTreeMap<String, String> = attributes.into_iter().collect();
        let body = json!({ "thingName": name, "attributes": attributes });
        self.call::<Value>("POST", "/api/v1/things", Some(&body))
            .await
            .map(drop)
    }
    async fn describe_thing(&self, name: &str) -> Result<Thing, ServiceError> {
        let answer: Value = self
            .call("GET", &format!("/api/v1/things/{}", segment(name)), None)
            .await?;
        let attributes = answer["attributes"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Thing {
            name: name.to_string(),
            attributes,
        })
    }
    async fn delete_thing(&self, name: &str) -> Result<(), ServiceError> {
        let path = format!("/api/v1/things/{}", segment(name));
        self.call::<Value>("DELETE", &path, None).await.map(drop)
    }
    async fn set_attribute(
        &self,
        _thing: &str,
        _key: &str,
        _value: Option<String>,
    ) -> Result<(), ServiceError> {
        Err(ServiceError::Unsupported(
            "the service's API cannot change a thing's attributes yet".into(),
        ))
    }
    async fn create_group(&self, name: &str, parent: Option<String>) -> Result<(), ServiceError> {
        let body = json!({ "groupName": name, "parentGroupName": parent });
        self.call::<Value>("POST", "/api/v1/groups", Some(&body))
            .await
            .map(drop)
    }
    async fn create_dynamic_group(&self, name: &str, query: &str) -> Result<(), ServiceError> {
        let body = json!({ "groupName": name, "query": query });
        self.call::<Value>("POST", "/api/v1/groups", Some(&body))
            .await
            .map(drop)
    }
    async fn add_thing_to_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        let path = format!(
            "/api/v1/groups/{}/things/{}",
            segment(group),
            segment(thing)
        );
        self.call::<Value>("PUT", &path, None).await.map(drop)
    }
    async fn remove_thing_from_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        let path = format!(
            "/api/v1/groups/{}/things/{}",
            segment(group),
            segment(thing)
        );
        self.call::<Value>("DELETE", &path, None).await.map(drop)
    }
    async fn list_group_members(&self, group: &str) -> Result<Vec<String>, ServiceError> {
        let answer: Value = self
            .call("GET", &format!("/api/v1/groups/{}", segment(group)), None)
            .await?;
        serde_json::from_value(answer["members"].clone())
            .map_err(|e| ServiceError::Unexpected(format!("DescribeThingGroup: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_segments() {
        assert!(HttpBackend::new("http://127.0.0.1:8080/", "t").is_ok());
        for bad in ["https://h:1", "h:1", "http://", "http://h", "http://h:1/x"] {
            assert!(HttpBackend::new(bad, "t").is_err(), "{bad}");
        }
        assert_eq!(segment("dev-1_a.b~"), "dev-1_a.b~");
        assert_eq!(segment("a/b c:%"), "a%2Fb%20c%3A%25");
    }

    #[test]
    fn responses_parse() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain), Some((200, b"{}".to_vec())));
        let chunked = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((404, b"abcde".to_vec())));
        assert_eq!(parse_response(b"garbage"), None);
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{}"),
            None
        );
    }

    #[test]
    fn refusals_map_to_errors() {
        let body = br#"{"code":"ResourceNotFoundException","message":"no job x"}"#;
        assert_eq!(
            refusal(404, body),
            ServiceError::ResourceNotFound("no job x".into())
        );
        assert!(matches!(
            refusal(401, br#"{"code":"UnauthorizedException","message":"m"}"#),
            ServiceError::AccessDenied(_)
        ));
        assert!(matches!(
            refusal(502, b"<html>"),
            ServiceError::Unexpected(_)
        ));
    }
}
