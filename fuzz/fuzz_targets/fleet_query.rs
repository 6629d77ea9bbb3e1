//! `ota_cloud::fleet::Query::parse` on any text: no panic; an accepted query prints back to
//! text that parses to the same query, and a key it does not mention never changes its
//! answer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_cloud::fleet::Query;

fuzz_target!(|input: (&str, &str, Vec<(String, String)>)| {
    let (text, thing, attributes) = input;
    let Ok(query) = Query::parse(text) else { return };
    let again = Query::parse(&query.to_string()).expect("printed query parses");
    assert_eq!(again, query, "round trip of {text:?}");
    let lookup = |key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let answer = query.matches(thing, lookup);
    let unmentioned: Vec<&(String, String)> = attributes
        .iter()
        .filter(|(k, _)| !query.mentions(k))
        .collect();
    let without = |key: &str| {
        attributes
            .iter()
            .filter(|a| !unmentioned.contains(a))
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(query.matches(thing, without), answer, "{text:?}");
});
