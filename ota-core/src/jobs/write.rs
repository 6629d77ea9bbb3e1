//! The requests a device publishes, written by hand with [`Writer`]: `write` on
//! [`UpdateRequest`] and [`DescribeRequest`]. Byte for byte what their `Serialize` derives
//! write through [`crate::json::to_slice`] (the tests below compare them), without serde's
//! serializer on a device.

use super::details::StatusDetails;
use super::request::{DescribeRequest, UpdateRequest};
use crate::json::{Error, JsonStr, Writer};

fn optional_u64(w: &mut Writer<'_>, key: &str, v: Option<u64>) -> Result<(), Error> {
    match v {
        Some(v) => {
            w.key(key)?;
            w.u64(v)
        }
        None => Ok(()),
    }
}

fn optional_bool(w: &mut Writer<'_>, key: &str, v: Option<bool>) -> Result<(), Error> {
    match v {
        Some(v) => {
            w.key(key)?;
            w.bool(v)
        }
        None => Ok(()),
    }
}

fn client_token(w: &mut Writer<'_>, token: Option<JsonStr<'_>>) -> Result<(), Error> {
    match token {
        Some(token) => {
            w.key("clientToken")?;
            w.json_str(token)
        }
        None => Ok(()),
    }
}

impl<const N: usize> StatusDetails<'_, N> {
    /// Write the map: its entries in order, keys and values decoded and escaped.
    ///
    /// # Errors
    /// [`crate::json::ErrorKind::BufferFull`].
    pub fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.begin_object()?;
        for (key, value) in self.iter() {
            w.json_key(key)?;
            w.json_str(value)?;
        }
        w.end_object()
    }
}

impl UpdateRequest<'_> {
    /// Write the request as compact JSON into `buf`; its length. Absent options are left
    /// out.
    ///
    /// # Errors
    /// [`crate::json::ErrorKind::BufferFull`].
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer::new(buf);
        w.begin_object()?;
        w.key("status")?;
        w.str(self.status.as_str())?;
        if let Some(details) = &self.status_details {
            w.key("statusDetails")?;
            details.write(&mut w)?;
        }
        optional_u64(&mut w, "expectedVersion", self.expected_version)?;
        optional_u64(&mut w, "executionNumber", self.execution_number)?;
        optional_bool(
            &mut w,
            "includeJobExecutionState",
            self.include_job_execution_state,
        )?;
        optional_bool(&mut w, "includeJobDocument", self.include_job_document)?;
        if let Some(timeout) = self.step_timeout_in_minutes {
            w.key("stepTimeoutInMinutes")?;
            w.i64(timeout.get())?;
        }
        client_token(&mut w, self.client_token)?;
        w.end_object()?;
        Ok(w.len())
    }
}

impl DescribeRequest<'_> {
    /// Write the request as compact JSON into `buf`; its length. Absent options are left
    /// out.
    ///
    /// # Errors
    /// [`crate::json::ErrorKind::BufferFull`].
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer::new(buf);
        w.begin_object()?;
        optional_u64(&mut w, "executionNumber", self.execution_number)?;
        optional_bool(&mut w, "includeJobDocument", self.include_job_document)?;
        client_token(&mut w, self.client_token)?;
        w.end_object()?;
        Ok(w.len())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::jobs::{JobExecutionStatus, StepTimeout};

    fn serde(value: &impl serde::Serialize) -> std::vec::Vec<u8> {
        let mut buf = [0u8; 4096];
        let n = crate::json::to_slice(value, &mut buf).unwrap();
        buf[..n].to_vec()
    }

    fn text() -> impl Strategy<Value = std::string::String> {
        prop_oneof!["[a-zA-Z0-9:_-]{1,20}", "\\PC{0,12}", "[\\x00-\\x7f]{0,12}"]
    }

    proptest! {
        #[test]
        fn updates_are_written_as_serde_writes_them(
            status in prop::sample::select(JobExecutionStatus::ALL.to_vec()),
            details in prop::collection::vec((text(), text()), 0..4),
            escaped_value in any::<bool>(),
            expected_version in any::<Option<u64>>(),
            execution_number in any::<Option<u64>>(),
            state in any::<Option<bool>>(),
            document in any::<Option<bool>>(),
            timeout in prop::option::of(prop_oneof![Just(-1i64), 1i64..=10_080]),
            token in prop::option::of(text()),
        ) {
            let mut map: StatusDetails<'_, 10> = if escaped_value {
                crate::json::from_slice(br#"{"k\u0031":"a\u0062\/\"c"}"#).unwrap()
            } else {
                StatusDetails::new()
            };
            for (k, v) in &details {
                let _ = map.insert(k, v);
            }
            let request = UpdateRequest {
                status_details: (!map.is_empty()).then_some(map),
                expected_version,
                execution_number,
                include_job_execution_state: state,
                include_job_document: document,
                step_timeout_in_minutes: timeout.map(|t| StepTimeout::try_from(t).unwrap()),
                client_token: token.as_deref().map(JsonStr::text),
                ..UpdateRequest::new(status)
            };
            let mut buf = [0u8; 4096];
            let n = request.write(&mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &serde(&request)[..]);
        }

        #[test]
        fn describes_are_written_as_serde_writes_them(
            execution_number in any::<Option<u64>>(),
            document in any::<Option<bool>>(),
            token in prop::option::of(text()),
        ) {
            let request = DescribeRequest {
                execution_number,
                include_job_document: document,
                client_token: token.as_deref().map(JsonStr::text),
            };
            let mut buf = [0u8; 512];
            let n = request.write(&mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &serde(&request)[..]);
        }
    }

    #[test]
    fn a_short_buffer_is_an_error() {
        let request = DescribeRequest {
            client_token: Some(JsonStr::text("token")),
            ..DescribeRequest::default()
        };
        let mut buf = [0u8; 10];
        assert!(request.write(&mut buf).is_err());
    }
}
