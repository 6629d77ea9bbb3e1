//! The gateway as a device sees it: requests in as bytes, replies decoded with `ota-core`'s
//! wire types (never with the gateway's own encoders).

use std::sync::Arc;

use ota_core::streams::{
    DataBlock, DescribeStreamResponse, Format, GetStreamRequest, StreamErrorCode,
    StreamMessage as _, StreamRejected,
};
use serde_json::Value;

use super::*;
use crate::Settings;
use crate::jobs::model::{JobSpec, Target};

fn setup() -> (Engine, Gateway, MemoryStreams) {
    let mut engine = Engine::new(0, Settings::default());
    engine.create_thing("dev-1", &[]).unwrap();
    let mut streams = MemoryStreams::new();
    streams.add_file(
        "s1",
        0,
        Arc::from((0..=255u8).cycle().take(700).collect::<Vec<_>>()),
    );
    (engine, Gateway::new("$aws"), streams)
}

fn publish(
    (engine, gateway, streams): &mut (Engine, Gateway, MemoryStreams),
    topic: &str,
    payload: &[u8],
) -> Vec<Outgoing> {
    let mut out = Vec::new();
    gateway.handle_publish(engine, streams, topic, payload, &mut out);
    out
}

fn json_reply(out: &Outgoing) -> Value {
    serde_json::from_slice(&out.payload).unwrap()
}

/// Finding "Wire truth" 1, Jobs requests and stream requests as the service reads them:
/// a client token written with escapes (`"a\/b"`, valid JSON, and `a/b` a valid token)
/// was refused as malformed; it is read decoded and every reply echoes it decoded.
#[test]
fn escaped_client_tokens_are_echoed_decoded() {
    let mut g = setup();
    // An accepted reply and a rejection (no such job) both echo it.
    for (topic, payload, reply_topic, token) in [
        (
            "$aws/things/dev-1/jobs/get",
            &br#"{"clientToken":"a\/b"}"#[..],
            "$aws/things/dev-1/jobs/get/accepted",
            "a/b",
        ),
        (
            "$aws/things/dev-1/jobs/fw-1/update",
            br#"{"status":"IN_PROGRESS","clientToken":"7:dev\u002d1"}"#,
            "$aws/things/dev-1/jobs/fw-1/update/rejected",
            "7:dev-1",
        ),
    ] {
        let out = publish(&mut g, topic, payload);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].topic, reply_topic);
        assert_eq!(json_reply(&out[0])["clientToken"], token);
    }

    // A stream request: every block carries the token decoded.
    let out = publish(
        &mut g,
        "$aws/things/dev-1/streams/s1/get/json",
        br#"{"c":"\u0061bc","f":0,"l":256,"o":0,"n":2}"#,
    );
    assert_eq!(out.len(), 2);
    for m in &out {
        let mut payload = [0u8; 256];
        let block = DataBlock::decode_json(&m.payload, &mut payload).unwrap();
        assert!(
            block
                .client_token
                .is_some_and(|c| c == "abc" && !c.is_escaped())
        );
    }
    assert_eq!(g.1.stats.malformed, 0);
    assert_eq!(g.1.stats.jobs_requests, 2);
    assert_eq!(g.1.stats.stream_requests, 1);
    assert_eq!(g.1.stats.blocks, 2);
}

#[test]
fn malformed_jobs_payload_is_rejected_with_invalid_json() {
    let mut g = setup();
    let out = publish(&mut g, "$aws/things/dev-1/jobs/start-next", b"{not json");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].topic, "$aws/things/dev-1/jobs/start-next/rejected");
    assert_eq!(json_reply(&out[0])["code"], "InvalidJson");
    assert_eq!(g.1.stats.malformed, 1);
}

#[test]
fn other_topics_get_no_reply() {
    let mut g = setup();
    for topic in [
        "$aws/things/dev-1/jobs/get/accepted",
        "$aws/things/dev-1/jobs/notify-next",
        "$aws/things/dev-1/streams/s1/data/cbor",
        "other/things/dev-1/jobs/get",
        "$aws/things/dev-1/shadow/get",
    ] {
        assert!(publish(&mut g, topic, b"{}").is_empty(), "{topic}");
    }
}

#[test]
fn describe_stream_in_both_formats() {
    let mut g = setup();
    g.2.add_file("s1", 2, Arc::from(vec![1u8; 10]));
    assert!(g.2.set_info("s1", 3, Some("fw 1.2")));
    for (format, request) in [
        (Format::Json, &br#"{"c":"t1"}"#[..]),
        (Format::Cbor, &[0xa1, 0x61, b'c', 0x62, b't', b'1'][..]),
    ] {
        let topic = format!("$aws/things/dev-1/streams/s1/describe/{}", format.as_str());
        let out = publish(&mut g, &topic, request);
        assert_eq!(out.len(), 1);
        let expected = format!(
            "$aws/things/dev-1/streams/s1/description/{}",
            format.as_str()
        );
        assert_eq!(out[0].topic, expected);
        let r = DescribeStreamResponse::<4>::decode(format, &out[0].payload, &mut []).unwrap();
        assert!(r.client_token.is_some_and(|c| c == "t1"));
        assert_eq!(r.stream_version, 3);
        assert!(r.description.is_some_and(|d| d == "fw 1.2"));
        assert_eq!(r.file(0).map(|f| f.size), Some(700));
        assert_eq!(r.file(2).map(|f| f.size), Some(10));
    }
    assert_eq!(g.1.stats.stream_requests, 2);
}

#[test]
fn get_stream_with_a_bitmap_sends_the_marked_blocks_within_the_file() {
    let mut g = setup();
    // Blocks 1 and 2 from offset 1: file blocks 2 and 3; 3 is past the end (700 bytes).
    let request = GetStreamRequest {
        client_token: None,
        offset: 1,
        block_count: Some(3),
        bitmap: Some(&[0b0000_0110]),
        ..GetStreamRequest::new(0, 256)
    };
    let mut buf = [0u8; 64];
    let n = request.encode_cbor(&mut buf).unwrap();
    let out = publish(&mut g, "$aws/things/dev-1/streams/s1/get/cbor", &buf[..n]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].topic, "$aws/things/dev-1/streams/s1/data/cbor");
    let block = DataBlock::decode_cbor(&out[0].payload, &mut []).unwrap();
    assert_eq!(block.block_id, 2);
    assert_eq!(block.payload.len(), 700 - 512);
    let file = g.2.file("s1", 0).unwrap();
    assert_eq!(block.payload, &file[512..]);
}

fn rejected(out: &[Outgoing], format: Format) -> (StreamErrorCode<'_>, Option<String>) {
    assert_eq!(out.len(), 1);
    assert!(
        out[0]
            .topic
            .ends_with(&format!("/rejected/{}", format.as_str()))
    );
    let r = StreamRejected::decode(format, &out[0].payload, &mut []).unwrap();
    (r.code, r.client_token.map(|c| c.to_string()))
}

#[test]
fn stream_requests_are_rejected_where_aws_rejects_them() {
    let mut g = setup();
    let cases: [(&str, &[u8], StreamErrorCode<'_>, Option<&str>); 6] = [
        (
            "s9/get",
            br#"{"c":"t","f":0,"l":256,"n":1}"#,
            StreamErrorCode::ResourceNotFound,
            Some("t"),
        ),
        (
            "s1/get",
            br#"{"c":"t","f":5,"l":256,"n":1}"#,
            StreamErrorCode::ResourceNotFound,
            Some("t"),
        ),
        (
            "s9/describe",
            br#"{"c":"d"}"#,
            StreamErrorCode::ResourceNotFound,
            Some("d"),
        ),
        (
            "s1/get",
            br#"{"f":0,"l":100,"n":1}"#,
            StreamErrorCode::BlockSizeOutOfBounds,
            None,
        ),
        (
            "s1/get",
            br#"{"f":0,"l":256,"o":3,"n":1}"#,
            StreamErrorCode::OffsetOutOfBounds,
            None,
        ),
        (
            "s1/get",
            br#"{"f":0,"l":256,"s":2,"n":1}"#,
            StreamErrorCode::VersionMismatch,
            None,
        ),
    ];
    for (path, payload, code, token) in cases {
        let topic = format!("$aws/things/dev-1/streams/{path}/json");
        let out = publish(&mut g, &topic, payload);
        let (got, got_token) = rejected(&out, Format::Json);
        assert_eq!(got, code, "{path} {payload:?}");
        assert_eq!(got_token.as_deref(), token);
    }
    assert_eq!(g.1.stats.malformed, 1);
    let out = publish(&mut g, "$aws/things/dev-1/streams/s1/get/cbor", b"\xff");
    assert_eq!(rejected(&out, Format::Cbor).0, StreamErrorCode::InvalidCbor);
    let out = publish(
        &mut g,
        "$aws/things/dev-1/streams/s1/get/json",
        br#"{"f":0,"l":256,"n":99999}"#,
    );
    assert_eq!(
        rejected(&out, Format::Json).0,
        StreamErrorCode::BlockCountLimitExceeded
    );
    assert_eq!(g.1.stats.malformed, 3);
    assert_eq!(g.1.stats.blocks, 0);
}

#[test]
fn notify_next_and_notify_fan_out_to_each_target() {
    let (mut engine, gateway, _) = setup();
    engine.create_thing("dev-2", &[]).unwrap();
    let targets = vec![Target::Thing("dev-1".into()), Target::Thing("dev-2".into())];
    engine
        .create_job(JobSpec::new("fw-1", targets, r#"{"v":1}"#))
        .unwrap();
    engine.advance(60_000);
    let mut pushes = Vec::new();
    while let Some(n) = engine.poll_notification() {
        pushes.extend(gateway.notification(&engine, n));
    }
    for thing in ["dev-1", "dev-2"] {
        let next = pushes
            .iter()
            .find(|(t, o)| t == thing && o.topic.ends_with("/jobs/notify-next"))
            .unwrap();
        assert_eq!(
            next.1.topic,
            format!("$aws/things/{thing}/jobs/notify-next")
        );
        let reply = json_reply(&next.1);
        assert_eq!(reply["execution"]["jobId"], "fw-1");
        assert_eq!(reply["execution"]["jobDocument"]["v"], 1);
        if let Some((_, notify)) = pushes
            .iter()
            .find(|(t, o)| t == thing && o.topic.ends_with("/jobs/notify"))
        {
            assert_eq!(json_reply(notify)["jobs"]["QUEUED"][0]["jobId"], "fw-1");
        }
    }
}

#[test]
fn a_payload_over_the_limit_is_dropped_unanswered() {
    let mut g = setup();
    g.1 = Gateway::with_limits(
        "$aws",
        Limits {
            max_payload: 64,
            jobs_rate: None,
        },
    );
    let big = format!(r#"{{"clientToken":"{}"}}"#, "x".repeat(60));
    assert!(publish(&mut g, "$aws/things/dev-1/jobs/get", big.as_bytes()).is_empty());
    let get = br#"{"c":"t","s":1,"f":0,"l":256,"o":0,"n":1,"pad":"0123456789012345678901234567890123456789"}"#;
    assert!(publish(&mut g, "$aws/things/dev-1/streams/s1/get/json", get).is_empty());
    assert_eq!((g.1.stats.oversized, g.1.stats.jobs_requests), (2, 0));
    // At the limit it is answered.
    let fits = br#"{"clientToken":"ok"}"#;
    assert_eq!(publish(&mut g, "$aws/things/dev-1/jobs/get", fits).len(), 1);
    assert_eq!(
        Limits::default().max_payload,
        128 * 1024,
        "AWS IoT's MQTT limit"
    );
}

#[test]
fn a_thing_over_its_rate_is_throttled_and_others_are_not() {
    let mut g = setup();
    g.0.create_thing("dev-2", &[]).unwrap();
    let rate = Rate {
        per_second: 1,
        burst: 2,
    };
    g.1 = Gateway::with_limits(
        "$aws",
        Limits {
            jobs_rate: Some(rate),
            ..Limits::default()
        },
    );
    let get = |g: &mut (Engine, Gateway, MemoryStreams), thing: &str, token: &str| {
        let topic = format!("$aws/things/{thing}/jobs/get");
        let payload = format!(r#"{{"clientToken":"{token}"}}"#);
        let out = publish(g, &topic, payload.as_bytes());
        assert_eq!(out.len(), 1);
        (out[0].topic.clone(), json_reply(&out[0]))
    };
    for token in ["a", "b"] {
        let (topic, _) = get(&mut g, "dev-1", token);
        assert!(topic.ends_with("/get/accepted"), "{topic}");
    }
    let (topic, reply) = get(&mut g, "dev-1", "c");
    assert_eq!(topic, "$aws/things/dev-1/jobs/get/rejected");
    assert_eq!(reply["code"], "RequestThrottled");
    assert_eq!(reply["clientToken"], "c");
    let (topic, _) = get(&mut g, "dev-2", "d");
    assert!(topic.ends_with("/get/accepted"), "another thing: {topic}");
    // A second later dev-1 has one request again.
    g.0.advance(1_000);
    let (topic, _) = get(&mut g, "dev-1", "e");
    assert!(topic.ends_with("/get/accepted"), "{topic}");
    assert_eq!(g.1.stats.throttled, 1);
}

#[test]
fn a_presigner_rewrites_the_placeholders_it_accepts() {
    let presigner = Presigner::new(|url| {
        url.starts_with("http://svc/")
            .then(|| format!("{url}?expires=9&signature=ab"))
    });
    let payload = concat!(
        r#"{"a":"${aws:iot:s3-presigned-url:http://svc/artifacts/x}","#,
        r#""b":"${aws:iot:s3-presigned-url:https://s3/other}","c":"${aws:iot:s3-presigned-url:"}"#
    );
    let out = String::from_utf8(presigner.apply(payload.as_bytes().to_vec())).unwrap();
    assert_eq!(
        out,
        concat!(
            r#"{"a":"http://svc/artifacts/x?expires=9&signature=ab","#,
            r#""b":"${aws:iot:s3-presigned-url:https://s3/other}","c":"${aws:iot:s3-presigned-url:"}"#
        )
    );
    let quoting = Presigner::new(|_| Some("a\"b".into()));
    let kept = r#"{"u":"${aws:iot:s3-presigned-url:x}"}"#;
    assert_eq!(quoting.apply(kept.as_bytes().to_vec()), kept.as_bytes());
}
