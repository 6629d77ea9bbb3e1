//! Release images to S3: [`AwsBackend::publish`], one `PutObject` for small images and a
//! multipart upload for large ones, and [`S3Location`], the `s3://BUCKET/KEY` a release
//! names and the pre-signed URL placeholder its document carries.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use super::AwsBackend;
use super::error::{missing, service};
use crate::error::ServiceError;

/// Images larger than this are uploaded in parts.
pub const MULTIPART_THRESHOLD: usize = 16 * 1024 * 1024;
/// The size of each part but the last (S3's minimum is 5 MiB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// S3's smallest part but the last.
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// S3's most parts.
const MAX_PARTS: usize = 10_000;

/// An object in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

impl S3Location {
    /// Parse `s3://BUCKET/KEY`. The bucket must follow S3's naming rules (3-63 of
    /// `[a-z0-9.-]`, starting and ending with a letter or digit); the key is 1-1024 bytes.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] saying what is wrong.
    pub fn parse(url: &str) -> Result<Self, ServiceError> {
        let invalid = |why: &str| ServiceError::InvalidRequest(format!("{url:?}: {why}"));
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("not an s3://BUCKET/KEY URL"))?;
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| invalid("no key after the bucket"))?;
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && bucket
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && bucket
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(invalid(
                "the bucket must be 3-63 of [a-z0-9.-], starting and ending with a letter or digit",
            ));
        }
        if key.is_empty() || key.len() > 1024 {
            return Err(invalid("the key must be 1-1024 bytes"));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// The object's path-style URL on `s3.amazonaws.com`, the form AWS IoT's placeholder
    /// takes.
    pub fn url(&self) -> String {
        format!("https://s3.amazonaws.com/{}/{}", self.bucket, self.key)
    }

    /// `${aws:iot:s3-presigned-url:URL}`: AWS IoT replaces it with a URL pre-signed for each
    /// device when it sends the job document (the job needs a `presignedUrlConfig`).
    pub fn presigned_placeholder(&self) -> String {
        format!("${{aws:iot:s3-presigned-url:{}}}", self.url())
    }
}

impl core::fmt::Display for S3Location {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Where.
    pub location: S3Location,
    /// Bytes uploaded.
    pub size: u64,
    /// 1 for a single `PutObject`, else the number of parts.
    pub parts: usize,
    /// The object's ETag, as S3 returned it.
    pub etag: Option<String>,
}

impl AwsBackend {
    /// Upload `image` to `location`: one `PutObject` up to [`MULTIPART_THRESHOLD`], else a
    /// multipart upload in [`PART_SIZE`] parts. Does not create the bucket.
    ///
    /// # Errors
    /// As [`Self::publish_in_parts`].
    pub async fn publish(
        &self,
        location: &S3Location,
        image: Vec<u8>,
    ) -> Result<Published, ServiceError> {
        if image.len() <= MULTIPART_THRESHOLD {
            let size = image.len() as u64;
            let out = self
                .s3
                .put_object()
                .bucket(&location.bucket)
                .key(&location.key)
                .body(ByteStream::from(image))
                .send()
                .await
                .map_err(|e| service("PutObject", e))?;
            return Ok(Published {
                location: location.clone(),
                size,
                parts: 1,
                etag: out.e_tag().map(str::to_string),
            });
        }
        self.publish_in_parts(location, &image, PART_SIZE).await
    }

    /// Upload `image` to `location` as a multipart upload of `part_size` parts (at least
    /// 5 MiB, at most 10,000 parts). A failed part aborts the upload, so no parts are left
    /// behind to be billed; the object is then absent (or unchanged if it existed).
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] for a part size S3 refuses; `ResourceNotFound` for a
    /// missing bucket; the transport and access errors of any call.
    pub async fn publish_in_parts(
        &self,
        location: &S3Location,
        image: &[u8],
        part_size: usize,
    ) -> Result<Published, ServiceError> {
        if part_size < MIN_PART_SIZE || image.len().div_ceil(part_size) > MAX_PARTS {
            return Err(ServiceError::InvalidRequest(format!(
                "part size {part_size}: parts must be at least {MIN_PART_SIZE} bytes and at \
                 most {MAX_PARTS}"
            )));
        }
        let created = self
            .s3
            .create_multipart_upload()
            .bucket(&location.bucket)
            .key(&location.key)
            .send()
            .await
            .map_err(|e| service("CreateMultipartUpload", e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| missing("CreateMultipartUpload", "UploadId"))?
            .to_string();
        match self
            .upload_parts(location, &upload_id, image, part_size)
            .await
        {
            Ok(published) => Ok(published),
            Err(e) => {
                // Best effort: the upload's parts are billed until aborted.
                let _ = self
                    .s3
                    .abort_multipart_upload()
                    .bucket(&location.bucket)
                    .key(&location.key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        location: &S3Location,
        upload_id: &str,
        image: &[u8],
        part_size: usize,
    ) -> Result<Published, ServiceError> {
        let mut completed = CompletedMultipartUpload::builder();
        let mut parts = 0;
        for (i, chunk) in image.chunks(part_size).enumerate() {
            let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
            let out = self
                .s3
                .upload_part()
                .bucket(&location.bucket)
                .key(&location.key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| service("UploadPart", e))?;
            completed = completed.parts(
                CompletedPart::builder()
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .part_number(number)
                    .build(),
            );
            parts += 1;
        }
        let out = self
            .s3
            .complete_multipart_upload()
            .bucket(&location.bucket)
            .key(&location.key)
            .upload_id(upload_id)
            .multipart_upload(completed.build())
            .send()
            .await
            .map_err(|e| service("CompleteMultipartUpload", e))?;
        Ok(Published {
            location: location.clone(),
            size: image.len() as u64,
            parts,
            etag: out.e_tag().map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_parse_and_make_the_placeholder() {
        let l = S3Location::parse("s3://fw-releases/app/1.2.3.bin").unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.key.as_str()),
            ("fw-releases", "app/1.2.3.bin")
        );
        assert_eq!(
            l.presigned_placeholder(),
            "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/fw-releases/app/1.2.3.bin}"
        );
        assert_eq!(l.to_string(), "s3://fw-releases/app/1.2.3.bin");
        for bad in [
            "fw/app.bin",
            "s3://fw",
            "s3://fw/",
            "s3://Upper/k",
            "s3://-fw/k",
            "s3://ab/k",
            "https://s3.amazonaws.com/fw/k",
        ] {
            assert!(
                matches!(S3Location::parse(bad), Err(ServiceError::InvalidRequest(_))),
                "{bad}"
            );
        }
    }
}
