//! Writing documents back to JSON, in the shapes the parsers read (for services that build
//! documents, and for round-trip tests).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::afr_ota::{AfrFile, AfrOta, Protocol};
use super::cosignatures::{Cosignature, Cosignatures};
use super::firmware::{FIRMWARE_OPERATION, FirmwareRef, FirmwareUpdate};
use super::floor_reset::{FLOOR_RESET_OPERATION, FloorReset};
use super::trust_update::{TRUST_UPDATE_OPERATION, TrustUpdate};

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
        entry_if(&mut map, "streamname", self.stream_name)?;
        map.serialize_entry("files", self.files.as_slice())?;
        map.end()
    }
}

impl Serialize for AfrFile<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        entry_if(&mut map, "filepath", self.file_path)?;
        map.serialize_entry("filesize", &self.file_size)?;
        map.serialize_entry("fileid", &self.file_id)?;
        entry_if(&mut map, "certfile", self.cert_file)?;
        entry_if(&mut map, "fileType", self.file_type)?;
        entry_if(&mut map, "update_data_url", self.update_data_url)?;
        entry_if(&mut map, "auth_scheme", self.auth_scheme)?;
        entry_if(&mut map, "attr", self.attr)?;
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
        entry_if(&mut map, "keyId", self.key_id)?;
        entry_if(&mut map, "cosignatures", self.cosignatures)?;
        entry_if(&mut map, "version", self.version)?;
        if let Some(stream) = self.stream {
            map.serialize_entry("stream", &stream)?;
            map.serialize_entry("fileId", &self.file_id)?;
        }
        entry_if(&mut map, "url", self.url)?;
        map.end()
    }
}

/// The entries, one `{"keyId","signature"}` object each (members the document had besides
/// these are not kept).
impl Serialize for Cosignatures<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for entry in self.iter() {
            seq.serialize_element(&entry)?;
        }
        seq.end()
    }
}

impl Serialize for Cosignature<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("keyId", &self.key_id)?;
        map.serialize_entry("signature", &self.signature)?;
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

/// `{"operation":"trust_update","trust":{…}}`: the whole document.
impl Serialize for TrustUpdate<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Trust<'t, 'a>(&'t TrustUpdate<'a>);
        impl Serialize for Trust<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let t = self.0;
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("root", &t.root)?;
                map.serialize_entry("signature", &t.signature)?;
                map.serialize_entry("keyId", &t.key_id)?;
                entry_if(&mut map, "cosignatures", t.cosignatures)?;
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("operation", TRUST_UPDATE_OPERATION)?;
        map.serialize_entry("trust", &Trust(self))?;
        map.end()
    }
}

/// `{"operation":"floor_reset","reset":{…}}`: the whole document.
impl Serialize for FloorReset<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Reset<'t, 'a>(&'t FloorReset<'a>);
        impl Serialize for Reset<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let r = self.0;
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("statement", &r.statement)?;
                map.serialize_entry("signature", &r.signature)?;
                map.serialize_entry("keyId", &r.key_id)?;
                entry_if(&mut map, "cosignatures", r.cosignatures)?;
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("operation", FLOOR_RESET_OPERATION)?;
        map.serialize_entry("reset", &Reset(self))?;
        map.end()
    }
}

/// `key: value` into `map` when `value` is present; nothing when it is absent.
fn entry_if<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &'static str,
    value: Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(value) => map.serialize_entry(key, &value),
        None => Ok(()),
    }
}
