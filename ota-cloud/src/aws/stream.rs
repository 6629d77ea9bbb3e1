//! MQTT stream delivery on AWS: [`AwsBackend::create_stream`] makes an AWS IoT stream
//! (`CreateStream`) whose files are S3 objects, which AWS then serves to devices over the
//! MQTT Streams API (`$aws/things/{thing}/streams/{streamId}/...`).

use aws_sdk_iot::types::{S3Location as AwsS3Location, StreamFile};

use super::AwsBackend;
use super::error::service;
use super::publish::S3Location;
use crate::error::ServiceError;

/// A stream that was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedStream {
    /// Its id (what documents name).
    pub stream_id: String,
    /// Its ARN.
    pub stream_arn: Option<String>,
    /// Its version.
    pub version: Option<i32>,
}

impl AwsBackend {
    /// `CreateStream`: stream `stream_id` of `files` (file id and S3 object), read by AWS
    /// IoT with the role `role_arn` (which needs `s3:GetObject` on the objects). A stream id
    /// is 1-128 of `[a-zA-Z0-9_-]`, at most 10 files.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] for a bad id or file list (before any call);
    /// `ResourceAlreadyExists` for a taken id; [`ServiceError::Unsupported`] where the
    /// endpoint has no streams (MiniStack); the transport and access errors of any call.
    pub async fn create_stream(
        &self,
        stream_id: &str,
        description: &str,
        files: &[(u8, S3Location)],
        role_arn: &str,
    ) -> Result<CreatedStream, ServiceError> {
        let id_ok = (1..=128).contains(&stream_id.len())
            && stream_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(ServiceError::InvalidRequest(format!(
                "stream id {stream_id:?}: 1-128 of [a-zA-Z0-9_-]"
            )));
        }
        if files.is_empty() || files.len() > 10 {
            return Err(ServiceError::InvalidRequest(format!(
                "a stream has 1 to 10 files, not {}",
                files.len()
            )));
        }
        let mut request = self
            .iot
            .create_stream()
            .stream_id(stream_id)
            .description(description)
            .role_arn(role_arn);
        for (file_id, location) in files {
            request = request.files(
                StreamFile::builder()
                    .file_id(i32::from(*file_id))
                    .s3_location(
                        AwsS3Location::builder()
                            .bucket(&location.bucket)
                            .key(&location.key)
                            .build(),
                    )
                    .build(),
            );
        }
        let out = request
            .send()
            .await
            .map_err(|e| service("CreateStream", e))?;
        Ok(CreatedStream {
            stream_id: out.stream_id().unwrap_or(stream_id).to_string(),
            stream_arn: out.stream_arn().map(str::to_string),
            version: out.stream_version(),
        })
    }
}
