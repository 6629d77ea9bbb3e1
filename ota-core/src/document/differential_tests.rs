//! The hand-written readers ([`StrictJson`]) against serde's derives through the same
//! scanner ([`StrictSerde`]): the same documents accepted as the same values, the same
//! refused with the same error (kinds compared for JSON errors).

use proptest::prelude::*;

use super::*;
use crate::json::differential::{apply, edits};

/// A document's outcome with JSON errors reduced to their kind.
fn outcome<T: PartialEq + core::fmt::Debug>(
    r: Result<T, DocumentError>,
) -> Result<T, std::string::String> {
    r.map_err(|e| match e {
        DocumentError::Json(e) => std::format!("json {:?}", e.kind()),
        e => std::format!("{e:?}"),
    })
}

fn same(input: &[u8]) -> Result<(), TestCaseError> {
    let text = std::string::String::from_utf8_lossy(input);
    prop_assert_eq!(
        outcome(DocumentKind::probe_with::<StrictJson>(input)),
        outcome(DocumentKind::probe_with::<StrictSerde>(input)),
        "probe of {}",
        text
    );
    prop_assert_eq!(
        outcome(parse_firmware::<StrictJson>(input)),
        outcome(parse_firmware::<StrictSerde>(input)),
        "firmware document {}",
        text
    );
    prop_assert_eq!(
        outcome(parse_trust_update::<StrictJson>(input)),
        outcome(parse_trust_update::<StrictSerde>(input)),
        "trust update {}",
        text
    );
    prop_assert_eq!(
        outcome(parse_floor_reset::<StrictJson>(input)),
        outcome(parse_floor_reset::<StrictSerde>(input)),
        "floor reset {}",
        text
    );
    prop_assert_eq!(
        outcome(JobDocument::parse_with::<StrictJson>(input)),
        outcome(JobDocument::parse_with::<StrictSerde>(input)),
        "job document {}",
        text
    );
    Ok(())
}

const KEY: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn documents() -> std::vec::Vec<std::string::String> {
    std::vec![
        std::format!(
            r#"{{"operation":"firmware_update","firmware":{{"manifest":"bQ==","signature":"cw==","keyId":"{KEY}","version":"1.2.3","stream":"fw-1","fileId":0,"url":"https://x/y"}}}}"#
        ),
        std::format!(
            r#"{{"firmware":{{"manifest":"bQ\/=","signature":"c\u0077==","keyId":"{KEY}","cosignatures":[{{"keyId":"{KEY}","signature":"cw=="}},{{"signature":"cw==","keyId":"ab","note":[1,2]}}],"stream":"fw\u002d1","fileId":"7","steps":["reboot"]}},"op\u0065ration":"firmware_update"}}"#
        ),
        r#"{"operation":"firmware_update","firmware":{"manifest":"bQ==","signature":"cw==","url":"https://x","fileId":null,"cosignatures":null,"stream":null,"keyId":null,"version":null},"afr_ota":null}"#.into(),
        r#" {"operation" : "firmware_update", "firmware": null} "#.into(),
        r#"{"operation":"custom","x":{"y":[true,false,null,-1.5e3]}}"#.into(),
        r#"{"operation":17,"afr_ota":{"protocols":["MQTT"],"streamname":"s","files":[{"filesize":1,"fileid":0}]}}"#.into(),
        r#"["firmware_update", 1]"#.into(),
        std::format!(
            r#"{{"operation":"trust_update","trust":{{"root":"eyJ9","signature":"cw==","keyId":"{KEY}","cosignatures":[{{"keyId":"{KEY}","signature":"cw=="}}]}}}}"#
        ),
        std::format!(
            r#"{{"reset":{{"statement":"eyJ9","signature":"c\u0077==","keyId":"{KEY}","cosignatures":null,"x":[1]}},"operation":"floor_reset"}}"#
        ),
        r#"{"operation":"trust_update","trust":null}"#.into(),
        r#"{"operation":"floor_reset","reset":{"statement":null,"signature":"cw==","keyId":"k"}}"#.into(),
    ]
}

#[test]
fn documents_read_as_serde_reads_them() {
    for doc in documents() {
        same(doc.as_bytes()).unwrap();
    }
    let docs = documents();
    let firmware = FirmwareUpdate::parse(docs[1].as_bytes()).unwrap();
    assert_eq!(firmware.firmware.cosignatures.unwrap().len(), 2);
    assert_eq!(firmware.firmware.file_id, 7);
    assert_eq!(firmware.firmware.stream.unwrap(), "fw-1");
}

#[test]
fn refusals_match_serde() {
    let firmware = r#""manifest":"bQ==","signature":"cw==","stream":"fw-1""#;
    for case in [
        std::format!(r#"{{"operation":"firmware_update","firmware":{{{firmware},"fileId":256}}}}"#),
        std::format!(r#"{{"operation":"firmware_update","firmware":{{{firmware},"fileId":-1}}}}"#),
        std::format!(r#"{{"operation":"firmware_update","firmware":{{{firmware},"fileId":1.5}}}}"#),
        std::format!(r#"{{"operation":"firmware_update","firmware":{{{firmware},"fileId":[]}}}}"#),
        std::format!(
            r#"{{"operation":"firmware_update","firmware":{{{firmware},"fileId":true}}}}"#
        ),
        std::format!(
            r#"{{"operation":"firmware_update","firmware":{{{firmware},"fileId":"0x1"}}}}"#
        ),
        std::format!(r#"{{"operation":"firmware_update","firmware":{{{firmware},"url":1}}}}"#),
        std::format!(
            r#"{{"operation":"firmware_update","firmware":{{{firmware},"manifest":"x"}}}}"#
        ),
        std::format!(
            r#"{{"operation":"firmware_update","firmware":{{{firmware}}},"operation":"x"}}"#
        ),
        std::format!(
            r#"{{"operation":"firmware_update","firmware":{{{firmware},"cosignatures":[]}}}}"#
        ),
        std::format!(
            r#"{{"operation":"firmware_update","firmware":{{{firmware},"cosignatures":{{}}}}}}"#
        ),
        std::format!(r#"{{"operation":"firmware_update","firmware":[{firmware}]}}"#),
        r#"{"afr_ota":1,"afr_ota":2,"operation":"firmware_update"}"#.into(),
        r#"{"operation":"firmware_update","firmware":{"manifest":"bQ==","signature":"cw=="}}"#
            .into(),
        r#"{"operation":"firmware_update" "firmware":{}}"#.into(),
        r#"{"operation":"firmware_update",}"#.into(),
        "{".into(),
        "".into(),
    ] {
        same(case.as_bytes()).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn mutated_documents_read_as_serde_reads_them(which in 0..11usize, edits in edits(6)) {
        let input = apply(documents()[which].as_bytes(), &edits);
        same(&input)?;
    }
}
