//! The signed statements of trust, read with [`Reader`] by hand: [`RootStatement::parse`],
//! and the floor-reset and latest statements ([`read_floor_reset`], [`read_latest`]). Each
//! accepts and refuses exactly what its `Deserialize` derive does through
//! [`crate::json::from_slice`] (the tests below compare them): unknown members refused,
//! every member but `timestamp` required.

use super::floor_reset::FloorResetStatement;
use super::statement::{KeyAlgorithm, MAX_ROLE_KEYS, RoleStatement, RootKey, RootStatement};
use crate::freshness::LatestStatement;
use crate::json::{Error, Fields, Reader, Unknown};
use crate::manifest::read_version;
use crate::version::SecurityCounter;

fn algorithm(r: &mut Reader<'_>) -> Result<KeyAlgorithm, Error> {
    const ALL: [KeyAlgorithm; 3] = [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::RsaPkcs1v15,
        KeyAlgorithm::RsaPss,
    ];
    let mut buf = [0u8; 32];
    let name = r.decoded(&mut buf)?;
    ALL.into_iter()
        .find(|a| a.name() == name)
        .ok_or_else(|| r.data_error("invalid value: a key algorithm"))
}

const KEY_FIELDS: &[&str] = &["algorithm", "key"];

fn root_key<'a>(r: &mut Reader<'a>) -> Result<RootKey<'a>, Error> {
    let mut fields = Fields::new(KEY_FIELDS);
    let (mut alg, mut key) = (None, None);
    let mut object = r.object()?;
    while let Some(name) = r.next_key(&mut object)? {
        match fields.member(r, name, Unknown::Deny)? {
            Some(0) => alg = Some(algorithm(r)?),
            _ => key = Some(r.string()?),
        }
    }
    Ok(RootKey {
        algorithm: fields.required(r, 0, alg)?,
        key: fields.required(r, 1, key)?,
    })
}

const ROLE_FIELDS: &[&str] = &["threshold", "keys"];

fn role<'a>(r: &mut Reader<'a>) -> Result<RoleStatement<'a>, Error> {
    let mut fields = Fields::new(ROLE_FIELDS);
    let (mut threshold, mut keys) = (None, None);
    let mut object = r.object()?;
    while let Some(name) = r.next_key(&mut object)? {
        match fields.member(r, name, Unknown::Deny)? {
            Some(0) => threshold = Some(r.u8()?),
            _ => {
                let mut list = heapless::Vec::<RootKey<'a>, MAX_ROLE_KEYS>::new();
                let mut array = r.array()?;
                while r.next_element(&mut array)? {
                    let key = root_key(r)?;
                    list.push(key)
                        .map_err(|_| r.data_error("invalid length: too many keys"))?;
                }
                keys = Some(list);
            }
        }
    }
    Ok(RoleStatement {
        threshold: fields.required(r, 0, threshold)?,
        keys: fields.required(r, 1, keys)?,
    })
}

const ROOT_FIELDS: &[&str] = &["type", "product", "version", "root", "release", "timestamp"];

impl RootStatement<'_> {
    /// Parse statement bytes (strict JSON, no allocation). Does not check `type`, the
    /// thresholds or the keys: [`super::Root::from_statement`] does.
    ///
    /// # Errors
    /// The JSON error, e.g. a missing or unknown member, or more than [`MAX_ROLE_KEYS`]
    /// keys in a role.
    pub fn parse(bytes: &[u8]) -> Result<RootStatement<'_>, Error> {
        Reader::read_all(bytes, |r| {
            let mut fields = Fields::new(ROOT_FIELDS);
            let (mut kind, mut product, mut version) = (None, None, None);
            let (mut root, mut release, mut timestamp) = (None, None, None);
            let mut object = r.object()?;
            while let Some(name) = r.next_key(&mut object)? {
                match fields.member(r, name, Unknown::Deny)? {
                    Some(0) => kind = Some(r.string()?),
                    Some(1) => product = Some(r.string()?),
                    Some(2) => version = Some(r.u32()?),
                    Some(3) => root = Some(role(r)?),
                    Some(4) => release = Some(role(r)?),
                    _ => timestamp = if r.null()? { None } else { Some(role(r)?) },
                }
            }
            Ok(RootStatement {
                kind: fields.required(r, 0, kind)?,
                product: fields.required(r, 1, product)?,
                version: fields.required(r, 2, version)?,
                root: fields.required(r, 3, root)?,
                release: fields.required(r, 4, release)?,
                timestamp,
            })
        })
    }
}

const FLOOR_RESET_FIELDS: &[&str] = &[
    "type",
    "product",
    "hardware",
    "sequence",
    "version",
    "securityCounter",
];

/// A floor-reset statement.
pub(crate) fn read_floor_reset(bytes: &[u8]) -> Result<FloorResetStatement<'_>, Error> {
    Reader::read_all(bytes, |r| {
        let mut fields = Fields::new(FLOOR_RESET_FIELDS);
        let (mut kind, mut product, mut hardware) = (None, None, None);
        let (mut sequence, mut version, mut counter) = (None, None, None);
        let mut object = r.object()?;
        while let Some(name) = r.next_key(&mut object)? {
            match fields.member(r, name, Unknown::Deny)? {
                Some(0) => kind = Some(r.string()?),
                Some(1) => product = Some(r.string()?),
                Some(2) => hardware = Some(r.string()?),
                Some(3) => sequence = Some(r.u32()?),
                Some(4) => version = Some(read_version(r)?),
                _ => counter = Some(SecurityCounter(r.u32()?)),
            }
        }
        Ok(FloorResetStatement {
            kind: fields.required(r, 0, kind)?,
            product: fields.required(r, 1, product)?,
            hardware: fields.required(r, 2, hardware)?,
            sequence: fields.required(r, 3, sequence)?,
            version: fields.required(r, 4, version)?,
            security_counter: fields.required(r, 5, counter)?,
        })
    })
}

const LATEST_FIELDS: &[&str] = &[
    "type",
    "product",
    "version",
    "securityCounter",
    "issued",
    "expires",
];

/// A latest-release statement.
pub(crate) fn read_latest(bytes: &[u8]) -> Result<LatestStatement<'_>, Error> {
    Reader::read_all(bytes, |r| {
        let mut fields = Fields::new(LATEST_FIELDS);
        let (mut kind, mut product, mut version) = (None, None, None);
        let (mut counter, mut issued, mut expires) = (None, None, None);
        let mut object = r.object()?;
        while let Some(name) = r.next_key(&mut object)? {
            match fields.member(r, name, Unknown::Deny)? {
                Some(0) => kind = Some(r.string()?),
                Some(1) => product = Some(r.string()?),
                Some(2) => version = Some(read_version(r)?),
                Some(3) => counter = Some(SecurityCounter(r.u32()?)),
                Some(4) => issued = Some(r.u64()?),
                _ => expires = Some(r.u64()?),
            }
        }
        Ok(LatestStatement {
            kind: fields.required(r, 0, kind)?,
            product: fields.required(r, 1, product)?,
            version: fields.required(r, 2, version)?,
            security_counter: fields.required(r, 3, counter)?,
            issued: fields.required(r, 4, issued)?,
            expires: fields.required(r, 5, expires)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json::differential::{apply, compare, edits};

    const KEY: &str =
        "BHk8Jv5UYJ3m0yZ0rHh3m1b2RkQ2lW6Q8y1jA9cXqv1dE0oXcJmH1rK9kC0k2T7Gb4cQm1yXr9Y7Qw0xqKfQy1c=";

    fn root() -> std::string::String {
        std::format!(
            r#"{{"type":"root","product":"acme","version":2,"root":{{"threshold":1,"keys":[{{"algorithm":"ecdsa-p256-sha256","key":"{KEY}"}}]}},"release":{{"keys":[{{"key":"{KEY}","algorithm":"rsa-pss-sha256"}},{{"algorithm":"rsa-pkcs1v15-sha256","key":"a\/b"}}],"threshold":2}},"timestamp":null}}"#
        )
    }

    fn statements() -> std::vec::Vec<std::string::String> {
        std::vec![
            root(),
            root().replace(r#""timestamp":null"#, &std::format!(r#""timestamp":{{"threshold":1,"keys":[{{"algorithm":"ecdsa-p256-sha\u003256","key":"{KEY}"}}]}}"#)),
            r#"{"type":"floor-reset","product":"acme","hardware":"rev-b","sequence":1,"version":"1.2.1","securityCounter":6}"#.into(),
            r#"{"type":"latest","product":"acme","version":"1.3.0-rc.1","securityCounter":5,"issued":1790000000,"expires":1790086400}"#.into(),
        ]
    }

    fn same(input: &[u8]) -> Result<(), std::string::String> {
        compare(input, RootStatement::parse)?;
        compare(input, read_floor_reset)?;
        compare(input, read_latest)
    }

    #[test]
    fn statements_read_as_serde_reads_them() {
        for s in statements() {
            same(s.as_bytes()).unwrap();
        }
        let docs = statements();
        let root = RootStatement::parse(docs[1].as_bytes()).unwrap();
        assert_eq!(root.release.keys.len(), 2);
        assert_eq!(
            root.timestamp.unwrap().keys[0].algorithm,
            KeyAlgorithm::EcdsaP256
        );
        assert_eq!(read_floor_reset(docs[2].as_bytes()).unwrap().sequence, 1);
        assert_eq!(
            read_latest(docs[3].as_bytes()).unwrap().issued,
            1_790_000_000
        );
    }

    #[test]
    fn refusals_match_serde() {
        let key = std::format!(r#"{{"algorithm":"ecdsa-p256-sha256","key":"{KEY}"}}"#);
        let nine = std::vec![key.as_str(); 9].join(",");
        for case in [
            root().replace(r#""timestamp":null"#, r#""extra":1"#),
            root().replace(r#""threshold":1"#, r#""threshold":256"#),
            root().replace(r#""rsa-pss-sha256""#, r#""rsa-pss""#),
            root().replace(r#""version":2"#, r#""version":2,"version":3"#),
            root().replace(r#""keys":[{"key""#, &std::format!(r#""keys":[{nine},{{"key""#)),
            root().replace(r#","timestamp":null"#, ""),
            root().replace(r#""release":"#, r#""releases":"#),
            r#"{"type":"latest","product":"acme","version":"1.3","securityCounter":5,"issued":1,"expires":2}"#.into(),
            r#"{"type":"floor-reset","product":"acme","hardware":"rev-b","sequence":-1,"version":"1.2.1","securityCounter":6}"#.into(),
        ] {
            same(case.as_bytes()).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn mutated_statements_read_as_serde_reads_them(which in 0..4usize, edits in edits(6)) {
            let input = apply(statements()[which].as_bytes(), &edits);
            prop_assert_eq!(same(&input), Ok(()));
        }
    }
}
