//! [`find_member`]: the raw text of one value at a path of object keys, found in one strict
//! pass without deserializing anything else (the job document inside an execution, say).

use super::de::Deserializer;
use super::error::Error;
use super::str::JsonStr;

/// The raw bytes of the value at `path` (a list of object keys from the top level), or
/// `None` if some key on the path is absent or a step is not an object.
///
/// The whole input is still checked as one strict JSON value. Keys are compared decoded
/// (`"jobD\u006fcument"` is `jobDocument`). Duplicate keys: the first occurrence wins.
///
/// # Errors
/// Any JSON syntax error in `input`.
pub fn find_member<'a>(input: &'a [u8], path: &[&str]) -> Result<Option<&'a [u8]>, Error> {
    let mut de = Deserializer::new(input);
    let found = find_in(&mut de, input, path)?;
    de.end()?;
    Ok(found)
}

fn find_in<'a>(
    de: &mut Deserializer<'a>,
    input: &'a [u8],
    path: &[&str],
) -> Result<Option<&'a [u8]>, Error> {
    let Some((key, rest)) = path.split_first() else {
        let start = de.peek_non_ws().map(|_| de.offset()).unwrap_or(de.offset());
        de.skip_value()?;
        return Ok(Some(&input[start..de.offset()]));
    };
    if de.peek_non_ws() != Some(b'{') {
        de.skip_value()?;
        return Ok(None);
    }
    de.expect(b'{')?;
    let mut first = true;
    let (mut found, mut matched) = (None, false);
    while de.next_member(&mut first)? {
        let name = de.key_str()?;
        de.expect(b':')?;
        if !matched && JsonStr::checked(name.raw) == **key {
            matched = true;
            found = find_in(de, input, rest)?;
        } else {
            de.skip_value()?;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_raw_values() {
        let doc = br#"{"timestamp":1,"execution":{"jobId":"j","jobDocument": {"x":[1,{"y":2}]} }}"#;
        let raw = find_member(doc, &["execution", "jobDocument"])
            .unwrap()
            .unwrap();
        assert_eq!(raw, br#"{"x":[1,{"y":2}]}"#);
        assert_eq!(
            find_member(doc, &["execution", "jobId"]).unwrap().unwrap(),
            br#""j""#
        );
        assert_eq!(find_member(doc, &["execution", "nope"]).unwrap(), None);
        assert_eq!(find_member(doc, &["timestamp", "x"]).unwrap(), None);
        assert!(find_member(br#"{"a":1,}"#, &["a"]).is_err());
    }

    #[test]
    fn keys_are_compared_decoded() {
        let doc = br#"{"execution":{"jobDocument":{"x":"\/"}}}"#;
        let raw = find_member(doc, &["execution", "jobDocument"]).unwrap();
        assert_eq!(raw, Some(&br#"{"x":"\/"}"#[..]));
    }
}
