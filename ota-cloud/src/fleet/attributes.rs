//! Thing attributes: the AWS limits, and a packed form that costs one allocation per thing.
//!
//! A thing's attributes are kept as one string, `key=value` entries sorted by key and joined
//! by `\n`. Neither character can appear in a key and `\n` cannot appear in a value, so the
//! packing is unambiguous; a thing without attributes stores nothing at all.

use super::FleetError;

/// Most attributes one thing may have (AWS: 50 for a thing with a thing type).
pub const MAX_ATTRIBUTES: usize = 50;
/// Longest attribute key AWS accepts.
pub const MAX_ATTRIBUTE_KEY_LEN: usize = 128;
/// Longest attribute value AWS accepts.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 800;

/// AWS `AttributeName`: 1-128 characters of `[a-zA-Z0-9_.,@/:#-]`.
pub(super) fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_ATTRIBUTE_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.,@/:#-".contains(&b))
}

/// AWS `AttributeValue`: 0-800 characters of `[a-zA-Z0-9_.,@/:#=\[\]-]`. Empty means "absent".
pub(super) fn valid_value(value: &str) -> bool {
    value.len() <= MAX_ATTRIBUTE_VALUE_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.,@/:#=[]-".contains(&b))
}

/// The entries of a packed attribute string, sorted by key.
pub(super) fn iter(packed: &str) -> impl Iterator<Item = (&str, &str)> {
    packed.split('\n').filter_map(|entry| entry.split_once('='))
}

/// The value of `key` in a packed attribute string.
pub(super) fn get<'a>(packed: &'a str, key: &str) -> Option<&'a str> {
    iter(packed).find(|&(k, _)| k == key).map(|(_, v)| v)
}

/// Check and pack the attributes given to `create_thing`. Empty values are dropped.
///
/// # Errors
/// [`FleetError::InvalidAttribute`] for a bad key or value or a repeated key,
/// [`FleetError::TooManyAttributes`] past [`MAX_ATTRIBUTES`].
pub(super) fn pack(pairs: &[(&str, &str)]) -> Result<Option<Box<str>>, FleetError> {
    let mut entries = Vec::with_capacity(pairs.len());
    for &(key, value) in pairs {
        if !valid_key(key) || !valid_value(value) {
            return Err(FleetError::InvalidAttribute);
        }
        entries.push((key, value));
    }
    entries.sort_unstable_by_key(|&(key, _)| key);
    if entries.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(FleetError::InvalidAttribute);
    }
    entries.retain(|&(_, value)| !value.is_empty());
    encode(&entries)
}

/// `packed` with `key` set to `value` (`None` or empty removes it).
///
/// # Errors
/// As [`pack`].
pub(super) fn update(
    packed: &str,
    key: &str,
    value: Option<&str>,
) -> Result<Option<Box<str>>, FleetError> {
    let value = value.unwrap_or("");
    if !valid_key(key) || !valid_value(value) {
        return Err(FleetError::InvalidAttribute);
    }
    let mut entries: Vec<_> = iter(packed).collect();
    match entries.binary_search_by_key(&key, |&(k, _)| k) {
        Ok(at) if value.is_empty() => {
            entries.remove(at);
        }
        Ok(at) => entries[at].1 = value,
        Err(_) if value.is_empty() => {}
        Err(at) => entries.insert(at, (key, value)),
    }
    encode(&entries)
}

/// Join sorted, checked entries; `None` when there are none.
fn encode(entries: &[(&str, &str)]) -> Result<Option<Box<str>>, FleetError> {
    if entries.len() > MAX_ATTRIBUTES {
        return Err(FleetError::TooManyAttributes);
    }
    if entries.is_empty() {
        return Ok(None);
    }
    let size = entries.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut packed = String::with_capacity(size);
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            packed.push('\n');
        }
        packed.push_str(key);
        packed.push('=');
        packed.push_str(value);
    }
    Ok(Some(packed.into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(valid_key("a.b,c@d/e:f#g-h_1"));
        assert!(!valid_key(""));
        assert!(!valid_key("a=b"));
        assert!(!valid_key("a b"));
        assert!(!valid_key(&"k".repeat(129)));
        assert!(valid_value("") && valid_value("x=[1]"));
        assert!(!valid_value("a\nb") && !valid_value("a b") && !valid_value("é"));
        assert!(!valid_value(&"v".repeat(801)));
    }

    #[test]
    fn pack_sorts_drops_empty_and_refuses_duplicates() {
        let packed = pack(&[("z", "1"), ("a", "x=y"), ("m", "")])
            .unwrap()
            .unwrap();
        assert_eq!(&*packed, "a=x=y\nz=1");
        assert_eq!(
            iter(&packed).collect::<Vec<_>>(),
            [("a", "x=y"), ("z", "1")]
        );
        assert_eq!(get(&packed, "a"), Some("x=y"));
        assert_eq!(get(&packed, "m"), None);
        assert_eq!(pack(&[]), Ok(None));
        assert_eq!(
            pack(&[("a", "1"), ("a", "2")]),
            Err(FleetError::InvalidAttribute)
        );
        assert_eq!(pack(&[("a b", "1")]), Err(FleetError::InvalidAttribute));
        let many: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
        let pairs: Vec<(&str, &str)> = many.iter().map(|k| (k.as_str(), "v")).collect();
        assert_eq!(pack(&pairs), Err(FleetError::TooManyAttributes));
        assert!(pack(&pairs[..50]).is_ok());
    }

    #[test]
    fn update_sets_replaces_and_removes() {
        let p = update("", "b", Some("2")).unwrap().unwrap();
        let p = update(&p, "a", Some("1")).unwrap().unwrap();
        assert_eq!(&*p, "a=1\nb=2");
        let p = update(&p, "a", Some("3")).unwrap().unwrap();
        assert_eq!(&*p, "a=3\nb=2");
        let p = update(&p, "a", None).unwrap().unwrap();
        assert_eq!(&*p, "b=2");
        assert_eq!(update(&p, "b", Some("")), Ok(None));
        assert_eq!(update(&p, "c", None).unwrap().as_deref(), Some("b=2"));
        assert_eq!(update(&p, "", None), Err(FleetError::InvalidAttribute));
    }
}
