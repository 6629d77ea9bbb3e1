//! [`AsFields`]: a [`StatusCounts`] written as fields of its container, under the names the
//! container's JSON shape gives them ([`StatusNames`]).

use core::fmt;
use core::marker::PhantomData;

use ota_core::jobs::JobExecutionStatus;
use serde::de::{Error as _, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserializer, Serializer};

use super::StatusCounts;

/// A JSON shape's field names for the statuses it counts, in the order it writes them.
pub trait StatusNames {
    /// `(status, field name)`; a status not listed is neither written nor read.
    const NAMES: &'static [(JobExecutionStatus, &'static str)];
}

/// Serde `with` functions writing a [`StatusCounts`] as one field per status named by `N`,
/// flattened into its container:
/// `#[serde(flatten, with = "AsFields::<MyNames>")] counts: StatusCounts`.
///
/// Reading needs every field `N` names (like a derived struct without defaults), rejects one
/// given twice, and ignores fields it does not name (the container's others among them).
pub struct AsFields<N>(PhantomData<N>);

impl<N: StatusNames> AsFields<N> {
    /// Write `counts`' named statuses, in `N`'s order.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(
        counts: &StatusCounts,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(N::NAMES.len()))?;
        for &(status, name) in N::NAMES {
            map.serialize_entry(name, &counts[status])?;
        }
        map.end()
    }

    /// Read the named statuses; the others stay zero.
    ///
    /// # Errors
    /// A named field missing or given twice, a count that is not a `u64`, or the
    /// deserializer's own.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<StatusCounts, D::Error> {
        deserializer.deserialize_map(FieldsVisitor::<N>(PhantomData))
    }
}

struct FieldsVisitor<N>(PhantomData<N>);

impl<'de, N: StatusNames> Visitor<'de> for FieldsVisitor<N> {
    type Value = StatusCounts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a count per execution status")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StatusCounts, A::Error> {
        let mut counts = StatusCounts::default();
        let mut seen = vec![false; N::NAMES.len()];
        while let Some(key) = map.next_key::<String>()? {
            let Some(k) = N::NAMES.iter().position(|&(_, name)| name == key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let (status, name) = N::NAMES[k];
            if core::mem::replace(&mut seen[k], true) {
                return Err(A::Error::duplicate_field(name));
            }
            counts[status] = map.next_value()?;
        }
        match N::NAMES.iter().zip(seen).find(|(_, seen)| !seen) {
            Some(((_, name), _)) => Err(A::Error::missing_field(name)),
            None => Ok(counts),
        }
    }
}

#[cfg(test)]
mod tests {
    use ota_core::jobs::JobExecutionStatus::*;
    use serde::{Deserialize, Serialize};

    use super::*;

    struct Short;

    impl StatusNames for Short {
        const NAMES: &'static [(JobExecutionStatus, &'static str)] =
            &[(Succeeded, "ok"), (Failed, "ko")];
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        id: u32,
        #[serde(flatten, with = "AsFields::<Short>")]
        counts: StatusCounts,
        note: String,
    }

    #[test]
    fn named_statuses_are_written_in_order_between_the_other_fields() {
        let row = Row {
            id: 7,
            counts: StatusCounts::from([(Failed, 2), (Succeeded, 3), (Queued, 9)]),
            note: "n".into(),
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"{"id":7,"ok":3,"ko":2,"note":"n"}"#);
        let back: Row = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.counts,
            StatusCounts::from([(Failed, 2), (Succeeded, 3)])
        );
    }

    #[test]
    fn reading_needs_each_named_field_once_and_ignores_others() {
        let read = |json: &str| serde_json::from_str::<Row>(json).map_err(|e| e.to_string());
        let row = read(r#"{"extra":[1],"ko":1,"note":"","ok":0,"id":1}"#).unwrap();
        assert_eq!(row.counts, StatusCounts::from([(Failed, 1)]));
        assert!(
            read(r#"{"id":1,"ok":0,"note":""}"#)
                .unwrap_err()
                .contains("missing field `ko`")
        );
        let twice = read(r#"{"id":1,"ok":0,"ko":1,"ok":2,"note":""}"#).unwrap_err();
        assert!(twice.contains("duplicate field `ok`"), "{twice}");
        assert!(read(r#"{"id":1,"ok":-1,"ko":1,"note":""}"#).is_err());
    }
}
