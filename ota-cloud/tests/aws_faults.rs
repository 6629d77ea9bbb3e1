//! The `aws` backend against faults no emulator produces (MiniStack never throttles and
//! accepts any key): an in-process HTTP server answers with AWS's documented error shapes
//! (REST-JSON: the status, `x-amzn-ErrorType` and a JSON body) in a scripted order, and
//! counts the requests, to check the SDK's retries and the typed errors that come out; and
//! list answers in pages, for the list calls no emulator pages (MiniStack answers ListJobs
//! and ListThingsInThingGroup whole; moto's ListJobs fails on a second page). The request
//! count also shows that a spec over AWS's limits is refused before any call.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ota_cloud::aws::{AwsBackend, AwsSettings, MULTIPART_THRESHOLD, S3Location};
use ota_cloud::jobs::model::Target;
use ota_cloud::{FleetService, JobService, ServiceError};

/// One scripted answer: status, error type (none for a success) and body.
type Answer = (u16, Option<&'static str>, &'static str);

const THING: Answer = (
    200,
    None,
    r#"{"thingName":"dev-1","thingArn":"arn:aws:iot:eu-west-1:123456789012:thing/dev-1","attributes":{"hardware":"rev-b"},"version":1}"#,
);

/// A server answering each request with the next of `script` (the last one repeated).
struct Fake {
    url: String,
    requests: Arc<AtomicUsize>,
    /// Each request's first line (`GET /path?query HTTP/1.1`), in order.
    lines: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

fn serve(script: Vec<Answer>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script));
    let (counter, seen) = (requests.clone(), lines.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (counter, script, seen) = (counter.clone(), script.clone(), seen.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    // The request head, then its body (Content-Length).
                    let mut length = 0usize;
                    let mut line = String::new();
                    let mut first = None;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if first.is_none() {
                            first = Some(line.trim_end().to_string());
                            continue;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    seen.lock().unwrap().extend(first);
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let (status, kind, text) = {
                        let script = script.lock().unwrap();
                        script[n.min(script.len() - 1)]
                    };
                    let mut head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                        text.len()
                    );
                    if let Some(kind) = kind {
                        head.push_str(&format!("x-amzn-ErrorType: {kind}\r\n"));
                    }
                    head.push_str("\r\n");
                    if stream.write_all(head.as_bytes()).is_err()
                        || stream.write_all(text.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Fake {
        url,
        requests,
        lines,
    }
}

async fn backend(fake: &Fake, attempts: u32) -> AwsBackend {
    let mut settings = AwsSettings::emulator(fake.url.clone());
    settings.max_attempts = attempts;
    AwsBackend::connect(&settings).await
}

const THROTTLED: Answer = (
    429,
    Some("ThrottlingException"),
    r#"{"message":"Rate exceeded"}"#,
);

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_until_it_passes() {
    let fake = serve(vec![THROTTLED, THROTTLED, THING]);
    let aws = backend(&fake, 3).await;
    let thing = aws.describe_thing("dev-1").await.unwrap();
    assert_eq!(thing.attributes, vec![("hardware".into(), "rev-b".into())]);
    assert_eq!(fake.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn throttling_past_the_attempts_is_throttled_and_transient() {
    let fake = serve(vec![THROTTLED]);
    let aws = backend(&fake, 2).await;
    match aws.describe_thing("dev-1").await {
        Err(e @ ServiceError::Throttled(_)) => {
            assert!(e.is_transient());
            assert!(
                e.to_string()
                    .contains("DescribeThing: ThrottlingException: Rate exceeded"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn expired_credentials_are_access_denied_at_once() {
    let fake = serve(vec![(
        403,
        Some("ExpiredTokenException"),
        r#"{"message":"The security token included in the request is expired"}"#,
    )]);
    let aws = backend(&fake, 5).await;
    match aws.describe_thing("dev-1").await {
        Err(e @ ServiceError::AccessDenied(_)) => {
            assert!(!e.is_transient());
            assert!(e.to_string().contains("expired"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn a_service_failing_on_its_side_is_retried_then_unavailable() {
    let fake = serve(vec![(
        503,
        Some("ServiceUnavailableException"),
        r#"{"message":"Service unavailable"}"#,
    )]);
    let aws = backend(&fake, 3).await;
    assert!(matches!(
        aws.describe_thing("dev-1").await,
        Err(ServiceError::Unavailable(_))
    ));
    assert_eq!(fake.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_unknown_exception_is_unexpected_and_names_its_code() {
    let fake = serve(vec![(
        400,
        Some("BrandNewException"),
        r#"{"message":"what"}"#,
    )]);
    let aws = backend(&fake, 3).await;
    match aws.describe_thing("dev-1").await {
        Err(ServiceError::Unexpected(m)) => assert!(m.contains("BrandNewException"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_unexpected() {
    let fake = serve(vec![(200, None, "<html>proxy login</html>")]);
    let aws = backend(&fake, 1).await;
    assert!(matches!(
        aws.describe_thing("dev-1").await,
        Err(ServiceError::Unexpected(_))
    ));
}

#[tokio::test]
async fn a_target_arn_of_another_region_or_account_is_refused() {
    let fake = serve(vec![THING]);
    let mut settings = AwsSettings::emulator(fake.url.clone());
    settings.region = Some("eu-west-1".into());
    let aws = AwsBackend::connect(&settings).await;
    // Another region: refused before any call.
    match aws
        .resolve_target("arn:aws:iot:us-east-1:123456789012:thing/dev-1")
        .await
    {
        Err(ServiceError::InvalidRequest(m)) => {
            assert!(
                m.contains("region us-east-1") && m.contains("region eu-west-1"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests.load(Ordering::SeqCst), 0);
    // Another account: refused once the registry's ARN shows this account's.
    match aws
        .resolve_target("arn:aws:iot:eu-west-1:999999999999:thing/dev-1")
        .await
    {
        Err(ServiceError::InvalidRequest(m)) => {
            assert!(
                m.contains("account 999999999999") && m.contains("account 123456789012"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests.load(Ordering::SeqCst), 1);
    // This account and region, and the short form: the thing.
    for text in [
        "arn:aws:iot:eu-west-1:123456789012:thing/dev-1",
        "thing/dev-1",
    ] {
        let target = aws.resolve_target(text).await.unwrap();
        assert_eq!(target, Target::Thing("dev-1".into()));
    }
    assert!(matches!(
        aws.resolve_target("arn:aws:s3:::bucket/x").await,
        Err(ServiceError::InvalidRequest(_))
    ));
    assert_eq!(fake.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn group_members_are_read_page_after_page() {
    let fake = serve(vec![
        (200, None, r#"{"things":["a","b"],"nextToken":"page-2"}"#),
        (200, None, r#"{"things":["c"]}"#),
    ]);
    let aws = backend(&fake, 1).await;
    assert_eq!(aws.list_group_members("g").await.unwrap(), ["a", "b", "c"]);
    let lines = fake.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("GET /thing-groups/g/things?") && !lines[0].contains("nextToken"),
        "{lines:?}"
    );
    assert!(lines[1].contains("nextToken=page-2"), "{lines:?}");
}

#[tokio::test]
async fn jobs_are_listed_page_after_page_then_described() {
    let job = |id| -> Answer {
        match id {
            "a" => (
                200,
                None,
                r#"{"job":{"jobId":"a","status":"IN_PROGRESS","targets":[]}}"#,
            ),
            _ => (
                200,
                None,
                r#"{"job":{"jobId":"b","status":"COMPLETED","targets":[]}}"#,
            ),
        }
    };
    let document: Answer = (200, None, r#"{"document":"{}"}"#);
    let fake = serve(vec![
        (
            200,
            None,
            r#"{"jobs":[{"jobId":"a"}],"nextToken":"page-2"}"#,
        ),
        (200, None, r#"{"jobs":[{"jobId":"b"}]}"#),
        job("a"),
        document,
        job("b"),
        document,
    ]);
    let aws = backend(&fake, 1).await;
    let ids: Vec<String> = aws
        .list_jobs(None)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.spec.job_id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let lines = fake.lines();
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert!(lines[1].starts_with("GET /jobs?") && lines[1].contains("nextToken=page-2"));
}

#[tokio::test]
async fn specs_over_aws_limits_are_refused_before_any_call() {
    use ota_cloud::jobs::model::{JobSpec, RolloutConfig};
    let fake = serve(vec![THING]);
    let aws = backend(&fake, 1).await;
    let spec =
        |id: &str, document: &str| JobSpec::new(id, vec![Target::Thing("dev-1".into())], document);
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(33_000));
    let many: Vec<Target> = (0..101).map(|i| Target::Thing(format!("d{i}"))).collect();
    let refused: [(JobSpec, &str); 5] = [
        (
            spec("j", "{}").with_rollout(RolloutConfig::per_minute(1001)),
            "maximumPerMinute",
        ),
        (spec("j", &big), "too long"),
        (spec("bad id!", "{}"), "jobId"),
        (JobSpec::new("j", many, "{}"), "targets"),
        (
            spec("j", "{}").with_rollout(RolloutConfig::per_minute(10).with_max_in_flight(2)),
            "maximumInFlight",
        ),
    ];
    for (spec, says) in refused {
        match aws.create_job(spec).await {
            Err(ServiceError::InvalidRequest(m) | ServiceError::NotExpressible(m)) => {
                assert!(m.contains(says), "{says}: {m}")
            }
            other => panic!("{says}: {other:?}"),
        }
    }
    assert_eq!(
        fake.requests.load(Ordering::SeqCst),
        0,
        "{:?}",
        fake.lines()
    );
}

const UPLOAD_CREATED: Answer = (
    200,
    None,
    "<InitiateMultipartUploadResult><Bucket>fw-1</Bucket><Key>app.bin</Key>\
     <UploadId>u-1</UploadId></InitiateMultipartUploadResult>",
);
const NO_CONTENT: Answer = (204, None, "");

#[tokio::test]
async fn a_failed_part_aborts_the_multipart_upload() {
    let fake = serve(vec![
        UPLOAD_CREATED,
        (
            500,
            None,
            "<Error><Code>InternalError</Code><Message>part lost</Message></Error>",
        ),
        NO_CONTENT,
    ]);
    let aws = backend(&fake, 1).await;
    let location = S3Location::parse("s3://fw-1/app.bin").unwrap();
    let image = vec![7u8; 5 * 1024 * 1024 + 1];
    match aws
        .publish_in_parts(&location, &image, 5 * 1024 * 1024)
        .await
    {
        Err(ServiceError::Unavailable(m)) => assert!(m.contains("UploadPart"), "{m}"),
        other => panic!("{other:?}"),
    }
    let lines = fake.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("POST /fw-1/app.bin?uploads"),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("PUT /fw-1/app.bin?") && lines[1].contains("partNumber=1"),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with("DELETE /fw-1/app.bin?") && lines[2].contains("uploadId=u-1"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn an_image_over_16_mib_is_uploaded_in_8_mib_parts() {
    let fake = serve(vec![
        UPLOAD_CREATED,
        (200, None, ""),
        (200, None, ""),
        (200, None, ""),
        (
            200,
            None,
            "<CompleteMultipartUploadResult><Bucket>fw-1</Bucket><Key>app.bin</Key>\
             <ETag>\"e-3\"</ETag></CompleteMultipartUploadResult>",
        ),
    ]);
    let aws = backend(&fake, 1).await;
    let location = S3Location::parse("s3://fw-1/app.bin").unwrap();
    let image = vec![7u8; MULTIPART_THRESHOLD + 1];
    let done = aws.publish(&location, image).await.unwrap();
    assert_eq!((done.parts, done.size), (3, MULTIPART_THRESHOLD as u64 + 1));
    assert_eq!(done.etag.as_deref(), Some("\"e-3\""));
    let lines = fake.lines();
    assert_eq!(lines.len(), 5, "{lines:?}");
    for (i, line) in lines[1..4].iter().enumerate() {
        let part = format!("partNumber={}", i + 1);
        assert!(
            line.starts_with("PUT /fw-1/app.bin?") && line.contains(&part),
            "{lines:?}"
        );
    }
    assert!(
        lines[4].starts_with("POST /fw-1/app.bin?") && lines[4].contains("uploadId=u-1"),
        "{lines:?}"
    );
}
