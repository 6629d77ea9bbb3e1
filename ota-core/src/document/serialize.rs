//! Writing documents back to JSON, in the shapes the parsers read (for services that build
//! documents, and for round-trip tests).

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::afr_ota::{AfrFile, AfrOta, Protocol};
use super::firmware::{FIRMWARE_OPERATION, FirmwareRef, FirmwareUpdate};

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Self::Mqtt => "MQTT",
            Self::Http => "HTTP",
        })
    }
}

/// `{"afr_ota": …}` is the job document; this writes the inner `afr_ota` object.
impl<const F: usize> Serialize for AfrOta<'_, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("protocols", self.protocols())?;
        if let Some(stream) = self.stream_name {
            map.serialize_entry("streamname", &stream)?;
        }
        map.serialize_entry("files", self.files.as_slice())?;
        map.end()
    }
}

impl Serialize for AfrFile<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(path) = self.file_path {
            map.serialize_entry("filepath", &path)?;
        }
        map.serialize_entry("filesize", &self.file_size)?;
        map.serialize_entry("fileid", &self.file_id)?;
        if let Some(cert) = self.cert_file {
            map.serialize_entry("certfile", &cert)?;
        }
        if let Some(t) = self.file_type {
            map.serialize_entry("fileType", &t)?;
        }
        if let Some(url) = self.update_data_url {
            map.serialize_entry("update_data_url", &url)?;
        }
        if let Some(scheme) = self.auth_scheme {
            map.serialize_entry("auth_scheme", &scheme)?;
        }
        if let Some(attr) = self.attr {
            map.serialize_entry("attr", &attr)?;
        }
        for (key, sig) in self.signatures() {
            map.serialize_entry(&key, &sig)?;
        }
        map.end()
    }
}

impl Serialize for FirmwareRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("manifest", &self.manifest)?;
        map.serialize_entry("signature", &self.signature)?;
        if let Some(key_id) = self.key_id {
            map.serialize_entry("keyId", &key_id)?;
        }
        if let Some(version) = self.version {
            map.serialize_entry("version", &version)?;
        }
        if let Some(stream) = self.stream {
            map.serialize_entry("stream", &stream)?;
            map.serialize_entry("fileId", &self.file_id)?;
        }
        if let Some(url) = self.url {
            map.serialize_entry("url", &url)?;
        }
        map.end()
    }
}

impl Serialize for FirmwareUpdate<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("operation", FIRMWARE_OPERATION)?;
        map.serialize_entry("firmware", &self.firmware)?;
        map.end()
    }
}
