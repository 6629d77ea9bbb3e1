//! The FreeRTOS `afr_ota` job document, as AWS `CreateOTAUpdate` writes it.
//!
//! Parsed tolerantly (unknown keys ignored, `null` treated as absent, several files, any
//! `sig-*` key kept) and validated strictly (see [`AfrOta`]). Numbers follow the
//! [quoted-number policy](super::number).
//!
//! What this format cannot do, and this type does not pretend to: nothing in it is signed
//! except the file bytes, so `filesize`, `fileid`, `fileType`, `certfile` and the job id are
//! unauthenticated; a device can only check the file's signature after downloading it. Prefer
//! the signed-manifest [`super::FirmwareUpdate`] document where you control the backend.

use core::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};

use super::DocumentError;
use super::number::{DocU8, DocU32};
use crate::json::JsonStr;

/// Most files one document may list (coreJobs indexes 0-9).
pub const MAX_FILES: usize = 10;
/// Most `sig-*` entries kept per file.
pub const MAX_SIGNATURES: usize = 4;
/// Largest block size a stream request may use; [`MAX_FILE_SIZE`] keeps the block count of
/// any file computable without overflow at this size.
pub const MAX_BLOCK_SIZE: u32 = 131_072;
/// Largest `filesize` accepted: `u32::MAX - MAX_BLOCK_SIZE + 1` (the AWS agent's rule,
/// applied at the largest block size so it holds for every block size).
pub const MAX_FILE_SIZE: u32 = u32::MAX - MAX_BLOCK_SIZE + 1;

/// A file transport named in `protocols`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// AWS IoT MQTT file streams (`streamname`, `fileid`).
    Mqtt,
    /// HTTPS download (`update_data_url`, `auth_scheme`).
    Http,
}

/// One `files[i]` entry, validated.
///
/// Strings are [`JsonStr`]s, as written in the document and decoded when read: a path or a
/// base64 signature written with `\/` (as several JSON encoders write every `/`) reads the
/// same as one written without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfrFile<'a> {
    /// `filepath`: a path, `"NA"` or a version string; informative only.
    pub file_path: Option<JsonStr<'a>>,
    /// `filesize` in bytes, 1..=[`MAX_FILE_SIZE`].
    pub file_size: u32,
    /// `fileid`: the file's id within the stream.
    pub file_id: u8,
    /// `certfile`: a **name** the device may map to one of its own trusted keys; never a
    /// certificate, never a path to load.
    pub cert_file: Option<JsonStr<'a>>,
    /// `fileType`: 0 is firmware by convention.
    pub file_type: Option<u8>,
    /// `update_data_url` (HTTP).
    pub update_data_url: Option<JsonStr<'a>>,
    /// `auth_scheme` (HTTP), e.g. `aws.s3.presigned`.
    pub auth_scheme: Option<JsonStr<'a>>,
    /// `attr` (AWS C agent only).
    pub attr: Option<u32>,
    signatures: heapless::Vec<(JsonStr<'a>, JsonStr<'a>), MAX_SIGNATURES>,
}

impl<'a> AfrFile<'a> {
    /// The base64 value of the `sig-*` key `key` (e.g. `sig-sha256-ecdsa`), if present and
    /// not `null`; decode it with [`JsonStr::decode_base64`].
    pub fn signature(&self, key: &str) -> Option<JsonStr<'a>> {
        crate::json::lookup(&self.signatures, key)
    }

    /// Every non-null `sig-*` entry as `(key, base64)`.
    pub fn signatures(&self) -> impl Iterator<Item = (JsonStr<'a>, JsonStr<'a>)> + '_ {
        self.signatures.iter().copied()
    }

    /// True for a firmware image by the AWS agent's convention: `fileid` 0 and `fileType`
    /// absent or 0. Other files are downloaded and verified but not activated.
    pub fn is_firmware(&self) -> bool {
        self.file_id == 0 && self.file_type.unwrap_or(0) == 0
    }
}

/// The `afr_ota` object, validated: at least one known protocol, a non-empty `streamname`
/// when MQTT is offered, 1..=[`MAX_FILES`] files each with a size in 1..=[`MAX_FILE_SIZE`],
/// and, when HTTP is the only protocol, an `update_data_url` and `auth_scheme` per file.
///
/// `F` is how many files are kept (held inline, ~130 bytes each on 32-bit targets). With
/// fewer than [`MAX_FILES`], e.g. on a device that installs one file per job, every listed
/// file is still validated, and a document listing more than `F` is refused with
/// [`DocumentError::TooManyFiles`] once all its files passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfrOta<'a, const F: usize = MAX_FILES> {
    protocols: heapless::Vec<Protocol, 2>,
    /// `streamname`, present whenever [`Protocol::Mqtt`] is offered (not checked as a
    /// stream id: see [`crate::jobs::StreamId::from_json`]).
    pub stream_name: Option<JsonStr<'a>>,
    /// The files, in document order.
    pub files: heapless::Vec<AfrFile<'a>, F>,
}

impl<const F: usize> AfrOta<'_, F> {
    /// The protocols in document order, without duplicates.
    pub fn protocols(&self) -> &[Protocol] {
        &self.protocols
    }

    /// Whether `protocol` is offered.
    pub fn offers(&self, protocol: Protocol) -> bool {
        self.protocols.contains(&protocol)
    }
}

/// `files[i]` as written, before validation.
#[derive(Debug, Default)]
pub(super) struct RawFile<'a> {
    file_path: Option<JsonStr<'a>>,
    file_size: Option<u32>,
    file_id: Option<u8>,
    cert_file: Option<JsonStr<'a>>,
    file_type: Option<u8>,
    update_data_url: Option<JsonStr<'a>>,
    auth_scheme: Option<JsonStr<'a>>,
    attr: Option<u32>,
    signatures: heapless::Vec<(JsonStr<'a>, JsonStr<'a>), MAX_SIGNATURES>,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for RawFile<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FileVisitor<'a>(core::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for FileVisitor<'a> {
            type Value = RawFile<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an afr_ota file object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFile<'a>, A::Error> {
                let mut file = RawFile::default();
                // Keys are compared decoded: `"fil\u0065size"` is `filesize`.
                while let Some(key) = map.next_key::<JsonStr<'de>>()? {
                    if key == "filepath" {
                        file.file_path = map.next_value()?;
                    } else if key == "filesize" {
                        file.file_size = map.next_value::<Option<DocU32>>()?.map(|v| v.0);
                    } else if key == "fileid" {
                        file.file_id = map.next_value::<Option<DocU8>>()?.map(|v| v.0);
                    } else if key == "certfile" {
                        file.cert_file = map.next_value()?;
                    } else if key == "fileType" {
                        file.file_type = map.next_value::<Option<DocU8>>()?.map(|v| v.0);
                    } else if key == "update_data_url" {
                        file.update_data_url = map.next_value()?;
                    } else if key == "auth_scheme" {
                        file.auth_scheme = map.next_value()?;
                    } else if key == "attr" {
                        file.attr = map.next_value::<Option<DocU32>>()?.map(|v| v.0);
                    } else if key.starts_with("sig-") {
                        if let Some(value) = map.next_value::<Option<JsonStr<'de>>>()? {
                            if file.signatures.iter().any(|(k, _)| *k == key) {
                                return Err(serde::de::Error::duplicate_field("sig-*"));
                            }
                            file.signatures.push((key, value)).map_err(|_| {
                                serde::de::Error::custom("more than 4 sig-* entries")
                            })?;
                        }
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(file)
            }
        }
        d.deserialize_map(FileVisitor(core::marker::PhantomData))
    }
}

/// What validation needs of a file past the `F` kept ones.
#[derive(Debug, Clone, Copy)]
struct FileFacts {
    file_size: Option<u32>,
    file_id: Option<u8>,
    update_data_url: bool,
    auth_scheme: bool,
}

impl From<&RawFile<'_>> for FileFacts {
    fn from(raw: &RawFile<'_>) -> Self {
        let given = |s: Option<JsonStr<'_>>| s.is_some_and(|s| !s.is_empty());
        Self {
            file_size: raw.file_size,
            file_id: raw.file_id,
            update_data_url: given(raw.update_data_url),
            auth_scheme: given(raw.auth_scheme),
        }
    }
}

/// `files` as written: the first `F` whole, the others (up to [`MAX_FILES`] in all) as
/// [`FileFacts`].
#[derive(Debug)]
pub(super) struct RawFiles<'a, const F: usize> {
    kept: heapless::Vec<RawFile<'a>, F>,
    more: heapless::Vec<FileFacts, MAX_FILES>,
}

impl<'de: 'a, 'a, const F: usize> serde::Deserialize<'de> for RawFiles<'a, F> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FilesVisitor<'a, const F: usize>(core::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a, const F: usize> Visitor<'de> for FilesVisitor<'a, F> {
            type Value = RawFiles<'a, F>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "at most {MAX_FILES} afr_ota file objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut files = RawFiles {
                    kept: heapless::Vec::new(),
                    more: heapless::Vec::new(),
                };
                while let Some(file) = seq.next_element::<RawFile<'de>>()? {
                    let listed = files.kept.len() + files.more.len();
                    if listed == MAX_FILES {
                        return Err(serde::de::Error::invalid_length(listed + 1, &self));
                    }
                    if let Err(file) = files.kept.push(file) {
                        // `listed` < MAX_FILES, so this fits.
                        let _ = files.more.push(FileFacts::from(&file));
                    }
                }
                Ok(files)
            }
        }
        d.deserialize_seq(FilesVisitor(core::marker::PhantomData))
    }
}

/// The `afr_ota` object as written, before validation.
#[derive(Debug, serde::Deserialize)]
pub(super) struct RawAfrOta<'a, const F: usize> {
    #[serde(borrow, default)]
    protocols: Option<heapless::Vec<JsonStr<'a>, 4>>,
    #[serde(borrow, default)]
    streamname: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    files: Option<RawFiles<'a, F>>,
}

impl<'a, const F: usize> RawAfrOta<'a, F> {
    pub(super) fn validate(self) -> Result<AfrOta<'a, F>, DocumentError> {
        let names = self
            .protocols
            .ok_or(DocumentError::MissingField("protocols"))?;
        let mut protocols = heapless::Vec::new();
        for name in names {
            let protocol = if name == "MQTT" {
                Protocol::Mqtt
            } else if name == "HTTP" {
                Protocol::Http
            } else {
                return Err(DocumentError::UnknownProtocol);
            };
            if protocols.contains(&protocol) {
                return Err(DocumentError::DuplicateProtocol);
            }
            // Two distinct protocols exist, so this never overflows.
            let _ = protocols.push(protocol);
        }
        if protocols.is_empty() {
            return Err(DocumentError::NoProtocols);
        }
        let mqtt = protocols.contains(&Protocol::Mqtt);
        if mqtt {
            match self.streamname {
                None => return Err(DocumentError::MissingField("streamname")),
                Some(name) if name.is_empty() => return Err(DocumentError::EmptyStreamName),
                Some(_) => {}
            }
        }
        let raw_files = self.files.ok_or(DocumentError::MissingField("files"))?;
        if raw_files.kept.is_empty() && raw_files.more.is_empty() {
            return Err(DocumentError::NoFiles);
        }
        let mut files = heapless::Vec::new();
        for raw in raw_files.kept {
            let file = validate_file(raw, !mqtt)?;
            // Same capacity as the raw list.
            let _ = files.push(file);
        }
        for facts in &raw_files.more {
            check_facts(facts, !mqtt)?;
        }
        if !raw_files.more.is_empty() {
            return Err(DocumentError::TooManyFiles);
        }
        Ok(AfrOta {
            protocols,
            stream_name: self.streamname.filter(|_| mqtt),
            files,
        })
    }
}

/// The checks of one file, on what they need of it; its size and id.
fn check_facts(facts: &FileFacts, http_only: bool) -> Result<(u32, u8), DocumentError> {
    let file_size = facts
        .file_size
        .ok_or(DocumentError::MissingField("filesize"))?;
    if file_size == 0 {
        return Err(DocumentError::EmptyFile);
    }
    if file_size > MAX_FILE_SIZE {
        return Err(DocumentError::FileTooLarge);
    }
    let file_id = facts.file_id.ok_or(DocumentError::MissingField("fileid"))?;
    if http_only {
        if !facts.update_data_url {
            return Err(DocumentError::MissingField("update_data_url"));
        }
        if !facts.auth_scheme {
            return Err(DocumentError::MissingField("auth_scheme"));
        }
    }
    Ok((file_size, file_id))
}

fn validate_file(raw: RawFile<'_>, http_only: bool) -> Result<AfrFile<'_>, DocumentError> {
    let (file_size, file_id) = check_facts(&FileFacts::from(&raw), http_only)?;
    Ok(AfrFile {
        file_path: raw.file_path,
        file_size,
        file_id,
        cert_file: raw.cert_file,
        file_type: raw.file_type,
        update_data_url: raw.update_data_url,
        auth_scheme: raw.auth_scheme,
        attr: raw.attr,
        signatures: raw.signatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::ErrorKind;

    /// An `afr_ota` document with `protocols` after the given files.
    fn doc(files: &[&str], protocols: &str) -> std::string::String {
        let files = files.join(",");
        std::format!(
            r#"{{"afr_ota":{{"files":[{files}],"streamname":"s","protocols":{protocols}}}}}"#
        )
    }

    const GOOD: &str = r#"{"filesize":10,"fileid":0}"#;
    const HTTP: &str = r#"{"filesize":10,"fileid":1,"update_data_url":"u","auth_scheme":"a"}"#;

    #[test]
    fn fewer_kept_files_still_validates_every_file() {
        let three = doc(&[GOOD, GOOD, HTTP], r#"["MQTT"]"#);
        assert_eq!(
            AfrOta::<MAX_FILES>::parse(three.as_bytes())
                .unwrap()
                .files
                .len(),
            3
        );
        assert_eq!(AfrOta::<3>::parse(three.as_bytes()).unwrap().files.len(), 3);
        assert_eq!(
            AfrOta::<1>::parse(three.as_bytes()),
            Err(DocumentError::TooManyFiles)
        );
        let second_empty = doc(&[GOOD, r#"{"filesize":0,"fileid":1}"#], r#"["MQTT"]"#);
        for result in [
            AfrOta::<1>::parse(second_empty.as_bytes()).map(drop),
            AfrOta::<MAX_FILES>::parse(second_empty.as_bytes()).map(drop),
        ] {
            assert_eq!(result, Err(DocumentError::EmptyFile));
        }
        // HTTP-only is known after the files: the skipped file is checked against it too.
        let http = doc(&[HTTP, GOOD], r#"["HTTP"]"#);
        assert_eq!(
            AfrOta::<1>::parse(http.as_bytes()),
            Err(DocumentError::MissingField("update_data_url"))
        );
        assert_eq!(
            AfrOta::<0>::parse(doc(&[GOOD], r#"["MQTT"]"#).as_bytes()),
            Err(DocumentError::TooManyFiles)
        );
        assert_eq!(
            AfrOta::<1>::parse(doc(&[], r#"["MQTT"]"#).as_bytes()),
            Err(DocumentError::NoFiles)
        );
    }

    #[test]
    fn more_than_max_files_is_a_data_error_whatever_is_kept() {
        let eleven = doc(&[GOOD; MAX_FILES + 1], r#"["MQTT"]"#);
        for result in [
            AfrOta::<1>::parse(eleven.as_bytes()).map(drop),
            AfrOta::<MAX_FILES>::parse(eleven.as_bytes()).map(drop),
        ] {
            let Err(DocumentError::Json(e)) = result else {
                panic!("{result:?}")
            };
            assert_eq!(e.kind(), ErrorKind::Data);
        }
        let ten = doc(&[GOOD; MAX_FILES], r#"["MQTT"]"#);
        assert_eq!(
            AfrOta::<MAX_FILES>::parse(ten.as_bytes())
                .unwrap()
                .files
                .len(),
            MAX_FILES
        );
    }
}
