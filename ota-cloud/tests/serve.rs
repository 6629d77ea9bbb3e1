//! `ota_cloud::serve` from outside: the admin API over real HTTP, a device over real MQTT on
//! the embedded broker, signed artifact URLs, and a restart on the same data directory.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

mod common;

use common::http::{Response, request};
use ota_cloud::serve::{self, Running, ServeConfig, ServeError};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeFilter};
use serde_json::{Value, json};

/// The service under test and its token.
struct Service {
    running: Running,
    token: String,
}

impl Service {
    async fn start(data: &Path) -> Self {
        Self::start_with(data, |_| {}).await
    }

    /// The service with the tests' defaults, then `configure`'s changes.
    async fn start_with(data: &Path, configure: impl FnOnce(&mut ServeConfig)) -> Self {
        let mut config = ServeConfig::new(data);
        config.http = "127.0.0.1:0".parse().unwrap();
        config.mqtt = "127.0.0.1:0".parse().unwrap();
        config.campaign_tick_ms = 50;
        configure(&mut config);
        let running = serve::start(config).await.expect("the service starts");
        assert!(
            running.wait_ready(Duration::from_secs(30)).await,
            "gateway subscribed"
        );
        let token = running.admin_token().to_string();
        Self { running, token }
    }

    fn http(&self) -> SocketAddr {
        self.running.http_addr()
    }

    /// An admin call with the token; `body` as JSON when given.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let addr = self.http();
        let auth = format!("Bearer {}", self.token);
        let method = method.to_string();
        let path = path.to_string();
        tokio::task::spawn_blocking(move || {
            let body = body.map(|b| b.to_string()).unwrap_or_default();
            request(
                addr,
                &method,
                &path,
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                body.as_bytes(),
            )
        })
        .await
        .unwrap()
    }

    /// A request without the token.
    async fn anonymous(
        &self,
        method: &str,
        path: &str,
        headers: Vec<(String, String)>,
    ) -> Response {
        let addr = self.http();
        let method = method.to_string();
        let path = path.to_string();
        tokio::task::spawn_blocking(move || {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            request(addr, &method, &path, &headers, b"")
        })
        .await
        .unwrap()
    }

    /// New MQTT credentials for `thing` through the API.
    async fn credentials(&self, thing: &str) -> String {
        let r = self
            .call("POST", &format!("/api/v1/things/{thing}/credentials"), None)
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()["password"].as_str().unwrap().to_string()
    }

    /// `GET /metrics` (no token needed), as text.
    async fn metrics(&self) -> String {
        String::from_utf8(self.anonymous("GET", "/metrics", vec![]).await.body).unwrap()
    }

    async fn journal_entries(&self) -> u64 {
        let health = self.anonymous("GET", "/api/v1/health", vec![]).await;
        assert_eq!(health.status, 200);
        health.json()["journalEntries"].as_u64().unwrap()
    }
}

/// A device on the service's MQTT listener: subscribed to its own Jobs replies.
struct Device {
    client: AsyncClient,
    replies: tokio::sync::mpsc::UnboundedReceiver<(String, Value)>,
    thing: String,
    root: String,
}

impl Device {
    /// Issue the thing's credentials through the API and connect with them.
    async fn connect(service: &Service, thing: &str) -> Self {
        let password = service.credentials(thing).await;
        Self::connect_as(service, thing, thing, &password).await
    }

    async fn connect_as(
        service: &Service,
        client_id: &str,
        username: &str,
        password: &str,
    ) -> Self {
        let thing = client_id;
        let addr = service.running.mqtt_addr();
        let mut options = MqttOptions::new(thing, addr.ip().to_string(), addr.port());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_credentials(username, password);
        let (client, mut events) = AsyncClient::new(options, 100);
        let (tx, replies) = tokio::sync::mpsc::unbounded_channel();
        let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
        let mut subscribed_tx = Some(subscribed_tx);
        tokio::spawn(async move {
            while let Ok(event) = events.poll().await {
                match event {
                    Event::Incoming(Packet::SubAck(_)) => {
                        if let Some(tx) = subscribed_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    Event::Incoming(Packet::Publish(p)) => {
                        let payload = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                        if tx.send((p.topic.clone(), payload)).is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
        });
        let root = service.running.topic_root().to_string();
        let filters = ["jobs/#", "ota/latest/get/+"].map(|tail| {
            SubscribeFilter::new(format!("{root}/things/{thing}/{tail}"), QoS::AtLeastOnce)
        });
        client.subscribe_many(filters).await.unwrap();
        tokio::time::timeout(Duration::from_secs(30), subscribed)
            .await
            .expect("suback")
            .unwrap();
        Self {
            client,
            replies,
            thing: thing.to_string(),
            root,
        }
    }

    /// Publish `payload` on `tail` (under the thing's `jobs/`) and wait for the reply on
    /// `tail/accepted` or `tail/rejected`.
    async fn ask(&mut self, tail: &str, payload: Value) -> (bool, Value) {
        self.ask_on(&format!("jobs/{tail}"), payload).await
    }

    /// [`Device::ask`] on `tail` under the thing's topics.
    async fn ask_on(&mut self, tail: &str, payload: Value) -> (bool, Value) {
        let topic = format!("{}/things/{}/{tail}", self.root, self.thing);
        self.client
            .publish(&topic, QoS::AtLeastOnce, false, payload.to_string())
            .await
            .unwrap();
        loop {
            let (t, v) = tokio::time::timeout(Duration::from_secs(30), self.replies.recv())
                .await
                .expect("a reply in time")
                .expect("the connection is up");
            if t == format!("{topic}/accepted") {
                return (true, v);
            }
            if t == format!("{topic}/rejected") {
                return (false, v);
            }
        }
    }

    /// Take the next pending job and report `status` for it; returns its id.
    /// (The rollout admits things over time, 1,000 a minute by default: ask again until the
    /// thing's execution is there.)
    async fn run_next(&mut self, status: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let job = loop {
            let (ok, reply) = self.ask("start-next", json!({"clientToken": "t1"})).await;
            assert!(ok, "{reply}");
            if let Some(job) = reply["execution"]["jobId"].as_str() {
                break job.to_string();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: no job in {reply}",
                self.thing
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (ok, reply) = self
            .ask(
                &format!("{job}/update"),
                json!({"status": status, "expectedVersion": 2}),
            )
            .await;
        assert!(ok, "{reply}");
        job
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_admin_api_needs_the_token_and_health_and_metrics_do_not() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        for (method, path) in [
            ("GET", "/api/v1/things"),
            ("POST", "/api/v1/things"),
            ("GET", "/api/v1/jobs"),
            ("POST", "/api/v1/jobs/x/cancel"),
            ("GET", "/api/v1/campaigns"),
            ("PUT", "/api/v1/artifacts/fw.bin"),
            ("GET", "/api/v1/artifacts/fw.bin/url"),
        ] {
            let none = service.anonymous(method, path, vec![]).await;
            assert_eq!(none.status, 401, "{method} {path}");
            assert_eq!(none.json()["code"], "UnauthorizedException");
            let wrong = service
                .anonymous(
                    method,
                    path,
                    vec![(
                        "Authorization".into(),
                        format!("Bearer {}0", &service.token[1..]),
                    )],
                )
                .await;
            assert_eq!(wrong.status, 401, "{method} {path} with a wrong token");
            let basic = service
                .anonymous(
                    method,
                    path,
                    vec![("Authorization".into(), format!("Basic {}", service.token))],
                )
                .await;
            assert_eq!(basic.status, 401, "{method} {path} with another scheme");
        }
        assert_eq!(
            service.call("GET", "/api/v1/things", None).await.status,
            200
        );
        assert_eq!(
            service.journal_entries().await,
            0,
            "refusals changed nothing"
        );
        let metrics = service.anonymous("GET", "/metrics", vec![]).await;
        assert_eq!(metrics.status, 200);
        let text = String::from_utf8(metrics.body).unwrap();
        assert!(text.contains("ota_http_unauthorized_total 21\n"), "{text}");
        // The token file is the service's, private.
        let file = std::fs::read_to_string(dir.path().join("admin-token")).unwrap();
        assert_eq!(file.trim(), service.token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("admin-token"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        service.running.shutdown().await;
    });
}

#[test]
fn a_job_runs_to_the_end_over_mqtt_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let entries = rt.block_on(async {
        let service = Service::start(dir.path()).await;
        for thing in ["dev-1", "dev-2", "dev-3"] {
            let r = service
                .call(
                    "POST",
                    "/api/v1/things",
                    Some(json!({"thingName": thing, "attributes": {"hardware": "rev-b"}})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        }
        let r = service
            .call(
                "POST",
                "/api/v1/things",
                Some(json!({"thingName": "dev-1"})),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (409, Some("ResourceAlreadyExistsException"))
        );
        let r = service
            .call("POST", "/api/v1/groups", Some(json!({"groupName": "lab"})))
            .await;
        assert_eq!(r.status, 201);
        for thing in ["dev-1", "dev-2"] {
            let r = service
                .call("PUT", &format!("/api/v1/groups/lab/things/{thing}"), None)
                .await;
            assert_eq!(r.status, 204);
        }
        let r = service.call("GET", "/api/v1/groups/lab", None).await;
        assert_eq!(r.json()["members"], json!(["dev-1", "dev-2"]));

        let spec = json!({
            "jobId": "fw-2",
            "targets": ["arn:aws:iot:us-east-1:123456789012:thinggroup/lab"],
            "document": "{\"operation\":\"update\",\"version\":\"2.0.0\"}",
        });
        let r = service.call("POST", "/api/v1/jobs", Some(spec)).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["status"], "IN_PROGRESS");

        let mut one = Device::connect(&service, "dev-1").await;
        let mut two = Device::connect(&service, "dev-2").await;
        assert_eq!(one.run_next("SUCCEEDED").await, "fw-2");
        assert_eq!(two.run_next("FAILED").await, "fw-2");
        // A device asking about another thing's execution is answered for that thing's
        // topics only: its own replies carry its own state.
        let (ok, reply) = one.ask("get", json!({})).await;
        assert!(ok);
        assert_eq!(reply["inProgressJobs"], json!([]));

        let job = service.call("GET", "/api/v1/jobs/fw-2", None).await.json();
        assert_eq!(job["status"], "COMPLETED", "{job}");
        assert_eq!(job["jobProcessDetails"]["numberOfSucceededThings"], 1);
        assert_eq!(job["jobProcessDetails"]["numberOfFailedThings"], 1);
        let page = service
            .call("GET", "/api/v1/jobs/fw-2/executions?limit=1", None)
            .await
            .json();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let token = page["nextToken"].as_str().unwrap().to_string();
        let rest = service
            .call(
                "GET",
                &format!("/api/v1/jobs/fw-2/executions?limit=1&nextToken={token}"),
                None,
            )
            .await
            .json();
        assert_eq!(rest["items"][0]["thingName"], "dev-2");
        assert!(rest.get("nextToken").is_none());
        let metrics = service.metrics().await;
        assert!(
            metrics.contains("ota_job_executions{job=\"fw-2\",status=\"SUCCEEDED\"} 1\n"),
            "{metrics}"
        );
        let requests: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("ota_gateway_jobs_requests_total "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(requests >= 5, "{metrics}");
        let entries = service.journal_entries().await;
        service.running.shutdown().await;
        entries
    });
    rt.block_on(async {
        let service = Service::start(dir.path()).await;
        assert_eq!(service.journal_entries().await, entries);
        let job = service.call("GET", "/api/v1/jobs/fw-2", None).await.json();
        assert_eq!(job["status"], "COMPLETED");
        let execution = service
            .call("GET", "/api/v1/jobs/fw-2/executions/dev-1", None)
            .await
            .json();
        assert_eq!(execution["status"], "SUCCEEDED");
        let things = service.call("GET", "/api/v1/things", None).await.json();
        assert_eq!(things["items"].as_array().unwrap().len(), 3);
        service.running.shutdown().await;
    });
}

#[test]
fn refused_requests_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        for (method, path, body, status) in [
            ("POST", "/api/v1/things", Some(json!({"thingName": "a", "colour": 1})), 400),
            ("POST", "/api/v1/things", Some(json!({"thingName": ""})), 400),
            ("POST", "/api/v1/jobs", Some(json!({"jobId": "x"})), 400),
            ("POST", "/api/v1/jobs", Some(json!({"jobId": "x", "targets": ["arn:aws:iot:us-east-1:1:thing/none"], "document": "{}"})), 404),
            ("POST", "/api/v1/jobs/none/cancel", None, 404),
            ("GET", "/api/v1/jobs?limit=0", None, 400),
            ("GET", "/api/v1/jobs?nextToken=%%%", None, 400),
            ("GET", "/api/v1/jobs?status=DONE", None, 400),
            ("POST", "/api/v1/campaigns", Some(json!({"id": "c"})), 400),
            ("POST", "/api/v1/campaigns/none/pause", None, 404),
            ("POST", "/api/v1/releases", Some(json!({"id": "../r"})), 400),
            ("PUT", "/api/v1/groups/none/things/none", None, 404),
        ] {
            let r = service.call(method, path, body).await;
            assert_eq!(r.status, status, "{method} {path}: {}", String::from_utf8_lossy(&r.body));
            assert!(r.json()["code"].is_string());
        }
        let r = service.call("POST", "/api/v1/things", None).await;
        assert_eq!(r.status, 400);
        // Nothing exists: refusals changed no state.
        for list in ["things", "groups", "jobs", "campaigns", "releases", "artifacts"] {
            let page = service.call("GET", &format!("/api/v1/{list}"), None).await;
            assert_eq!(page.status, 200, "{list}");
            assert_eq!(page.json()["items"], json!([]), "{list}");
        }
        service.running.shutdown().await;
    });
}

#[test]
fn artifacts_open_with_their_own_signed_url_only() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        let image: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let addr = service.http();
        let token = service.token.clone();
        let (up, other) = {
            let image = image.clone();
            tokio::task::spawn_blocking(move || {
                let auth = format!("Bearer {token}");
                let up = request(
                    addr,
                    "PUT",
                    "/api/v1/artifacts/fw-2.bin",
                    &[("Authorization", &auth)],
                    &image,
                );
                let other = request(
                    addr,
                    "PUT",
                    "/api/v1/artifacts/other.bin",
                    &[("Authorization", &auth)],
                    b"secret",
                );
                (up, other)
            })
            .await
            .unwrap()
        };
        assert_eq!(up.status, 201);
        assert_eq!(up.json()["size"], 100_000);
        assert_eq!(other.status, 201);
        let url = service
            .call("GET", "/api/v1/artifacts/fw-2.bin/url?expiresIn=600", None)
            .await
            .json();
        let url = url["url"].as_str().unwrap().to_string();
        let base = format!("http://{addr}");
        assert!(
            url.starts_with(&format!("{base}/artifacts/fw-2.bin?expires=")),
            "{url}"
        );
        let path = url.strip_prefix(&base).unwrap().to_string();

        let whole = service.anonymous("GET", &path, vec![]).await;
        assert_eq!(whole.status, 200);
        assert_eq!(whole.body, image);
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        let part = service
            .anonymous(
                "GET",
                &path,
                vec![("Range".into(), "bytes=1000-1999".into())],
            )
            .await;
        assert_eq!(part.status, 206);
        assert_eq!(part.body, &image[1000..2000]);
        assert_eq!(part.header("content-range"), Some("bytes 1000-1999/100000"));
        let tail = service
            .anonymous("GET", &path, vec![("Range".into(), "bytes=-10".into())])
            .await;
        assert_eq!(tail.body, &image[99_990..]);
        let past = service
            .anonymous("GET", &path, vec![("Range".into(), "bytes=200000-".into())])
            .await;
        assert_eq!(past.status, 416);
        assert_eq!(past.header("content-range"), Some("bytes */100000"));

        // The same signature for another object, a longer life, no signature at all.
        let widened = path.replace("fw-2.bin", "other.bin");
        assert_eq!(service.anonymous("GET", &widened, vec![]).await.status, 403);
        let (before, after) = path.split_once("expires=").unwrap();
        let (expires, rest) = after.split_once('&').unwrap();
        let extended = format!(
            "{before}expires={}&{rest}",
            expires.parse::<u64>().unwrap() + 3600
        );
        assert_eq!(
            service.anonymous("GET", &extended, vec![]).await.status,
            403
        );
        assert_eq!(
            service
                .anonymous("GET", "/artifacts/fw-2.bin", vec![])
                .await
                .status,
            403
        );
        let expired = format!("{before}expires=1000&{rest}");
        assert_eq!(service.anonymous("GET", &expired, vec![]).await.status, 403);
        // An artifact is immutable.
        let addr2 = service.http();
        let token = service.token.clone();
        let again = tokio::task::spawn_blocking(move || {
            request(
                addr2,
                "PUT",
                "/api/v1/artifacts/fw-2.bin",
                &[("Authorization", &format!("Bearer {token}"))],
                b"new",
            )
        })
        .await
        .unwrap();
        assert_eq!(again.status, 409);
        let metrics = service.metrics().await;
        assert!(
            metrics.contains("ota_artifact_url_refusals_total 4\n"),
            "{metrics}"
        );
        service.running.shutdown().await;
    });
}

#[test]
fn a_campaign_created_through_the_api_completes_with_devices_over_mqtt() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        let things = ["d-1", "d-2", "d-3", "d-4"];
        for thing in things {
            let body = json!({"thingName": thing, "attributes": {"hardware": "rev-b", "version": "1.0.0"}});
            assert_eq!(service.call("POST", "/api/v1/things", Some(body)).await.status, 201);
        }
        assert_eq!(service.call("POST", "/api/v1/groups", Some(json!({"groupName": "fleet"}))).await.status, 201);
        for thing in things {
            service.call("PUT", &format!("/api/v1/groups/fleet/things/{thing}"), None).await;
        }
        let release = json!({
            "id": "app-2.0.0", "version": "2.0.0", "product": "acme", "hardware": ["rev-b"],
            "securityCounter": 2, "document": "{\"operation\":\"update\",\"version\":\"2.0.0\"}",
        });
        assert_eq!(service.call("POST", "/api/v1/releases", Some(release.clone())).await.status, 201);
        assert_eq!(service.call("POST", "/api/v1/releases", Some(release.clone())).await.status, 409);
        let spec = json!({
            "id": "c-2",
            "release": release,
            "targets": {"Group": "fleet"},
            "stages": [
                {"name": "canary", "size": {"Count": 1}, "gate": {"min_sample": 1, "success_threshold": 10000}},
                {"name": "rest", "size": {"Percent": 10000}, "gate": {"min_sample": 3, "success_threshold": 10000}},
            ],
        });
        let r = service.call("POST", "/api/v1/campaigns", Some(spec.clone())).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(service.call("POST", "/api/v1/campaigns", Some(spec)).await.status, 409);

        let mut devices = Vec::new();
        for thing in things {
            devices.push(Device::connect(&service, thing).await);
        }
        // Each device takes whatever job reaches it, until the campaign completes.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            for device in &mut devices {
                let (ok, reply) = device.ask("start-next", json!({})).await;
                assert!(ok, "{reply}");
                if let Some(job) = reply["execution"]["jobId"].as_str() {
                    let (ok, reply) = device
                        .ask(&format!("{job}/update"), json!({"status": "SUCCEEDED"}))
                        .await;
                    assert!(ok, "{reply}");
                }
            }
            let status = service.call("GET", "/api/v1/campaigns/c-2", None).await.json();
            if status["status"]["state"] == "Completed" {
                assert_eq!(status["stages"][0]["status"]["devices"], 1);
                assert_eq!(status["stages"][1]["status"]["devices"], 3);
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "campaign still {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let paused = service.call("POST", "/api/v1/campaigns/c-2/pause", None).await;
        assert_eq!(paused.status, 409, "a finished campaign cannot be paused");
        service.running.shutdown().await;
        // The stored campaign is the finished one.
        let service = Service::start(dir.path()).await;
        let list = service.call("GET", "/api/v1/campaigns", None).await.json();
        assert_eq!(list["items"][0]["state"], "Completed");
        service.running.shutdown().await;
    });
}

#[test]
fn an_unusable_data_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    runtime().block_on(async {
        let mut config = ServeConfig::new(file.join("data"));
        config.http = "127.0.0.1:0".parse().unwrap();
        config.mqtt = "127.0.0.1:0".parse().unwrap();
        let e = serve::start(config).await.unwrap_err();
        assert!(matches!(e, ServeError::Data { .. }), "{e}");
        assert!(e.to_string().contains("a-file"), "{e}");

        // A second service on a data directory in use.
        let first = Service::start(dir.path()).await;
        let mut config = ServeConfig::new(dir.path());
        config.http = "127.0.0.1:0".parse().unwrap();
        config.mqtt = "127.0.0.1:0".parse().unwrap();
        let e = serve::start(config).await.unwrap_err();
        assert!(matches!(e, ServeError::Journal { .. }), "{e}");
        first.running.shutdown().await;
    });
}

#[test]
fn every_documented_operation_exists_and_the_dashboard_is_served() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        let doc = service
            .anonymous("GET", "/api/v1/openapi.json", vec![])
            .await;
        assert_eq!(doc.status, 200);
        let doc = doc.json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            // Path parameters as names no resource has: the route must answer, with a
            // resource error at most.
            let concrete: String = path
                .split('/')
                .map(|part| {
                    if part.starts_with('{') {
                        "absent"
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            for method in item.as_object().unwrap().keys() {
                if !["get", "post", "put", "delete"].contains(&method.as_str()) {
                    continue;
                }
                operations += 1;
                let r = service.call(&method.to_uppercase(), &concrete, None).await;
                let code = serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_string));
                assert_ne!(r.status, 405, "{method} {path}");
                assert_ne!(
                    code.as_deref(),
                    Some("UnknownOperationException"),
                    "{method} {path}"
                );
                assert!(r.status < 500, "{method} {path}: {}", r.status);
            }
        }
        assert!(operations >= 35, "{operations} operations documented");
        let unknown = service.call("GET", "/api/v1/nothing-here", None).await;
        assert_eq!(
            (unknown.status, unknown.json()["code"].as_str()),
            (404, Some("UnknownOperationException"))
        );
        let wrong_method = service.call("PATCH", "/api/v1/jobs", None).await;
        assert_eq!(wrong_method.status, 405);

        let page = service.anonymous("GET", "/", vec![]).await;
        assert_eq!(page.status, 200);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        let html = String::from_utf8(page.body).unwrap();
        for id in [
            "token-form",
            "campaigns",
            "jobs",
            "failures",
            "chart-outcomes",
            "chart-rate",
            "gateway",
            "status-banner",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "#{id}");
        }
        for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
            assert!(!html.contains(external), "an external resource: {external}");
        }
        service.running.shutdown().await;
    });
}

/// What a connection attempt got: the CONNACK's code, or that the connection ended.
async fn connect_outcome(
    service: &Service,
    client_id: &str,
    login: Option<(&str, &str)>,
) -> String {
    let addr = service.running.mqtt_addr();
    let mut options = MqttOptions::new(client_id, addr.ip().to_string(), addr.port());
    if let Some((user, password)) = login {
        options.set_credentials(user, password);
    }
    let (_client, mut events) = AsyncClient::new(options, 10);
    loop {
        match tokio::time::timeout(Duration::from_secs(30), events.poll())
            .await
            .expect("an answer")
        {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => return format!("{:?}", ack.code),
            Ok(_) => {}
            Err(e) => return format!("{e}"),
        }
    }
}

#[test]
fn a_device_reaches_only_its_own_thing() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        for thing in ["d1", "d2"] {
            let r = service
                .call("POST", "/api/v1/things", Some(json!({"thingName": thing})))
                .await;
            assert_eq!(r.status, 201);
        }
        let spec = json!({"jobId": "j", "targets": ["thing/d1", "thing/d2"], "document": "{}"});
        assert_eq!(
            service
                .call("POST", "/api/v1/jobs", Some(spec))
                .await
                .status,
            201
        );
        let p1 = service.credentials("d1").await;
        let p2 = service.credentials("d2").await;

        // Who may connect.
        assert_eq!(
            connect_outcome(&service, "d1", Some(("d1", &p1))).await,
            "Success"
        );
        for (client, login) in [
            ("d1", None),
            ("d1", Some(("d1", "wrong"))),
            ("d1", Some(("d1", p2.as_str()))),
            ("d2", Some(("d1", p1.as_str()))),
            ("d2", Some(("d2", p1.as_str()))),
            ("d3", Some(("d3", p1.as_str()))),
            ("", Some(("", p1.as_str()))),
        ] {
            let outcome = connect_outcome(&service, client, login).await;
            assert!(
                outcome.contains("BadUserNamePassword"),
                "{client} {login:?}: {outcome}"
            );
        }
        // Rotation and revocation take effect at once.
        let rotated = service.credentials("d1").await;
        assert!(
            connect_outcome(&service, "d1", Some(("d1", &p1)))
                .await
                .contains("BadUserNamePassword")
        );
        assert_eq!(
            connect_outcome(&service, "d1", Some(("d1", &rotated))).await,
            "Success"
        );
        assert_eq!(
            service
                .call("DELETE", "/api/v1/things/d2/credentials", None)
                .await
                .status,
            204
        );
        assert!(
            connect_outcome(&service, "d2", Some(("d2", &p2)))
                .await
                .contains("BadUserNamePassword")
        );
        let p2 = service.credentials("d2").await;
        let unknown = service
            .call("POST", "/api/v1/things/d9/credentials", None)
            .await;
        assert_eq!(unknown.status, 404);

        // d1 cannot subscribe to d2's topics: its SUBACK says so, and it hears nothing of d2.
        let mut d1 = Device::connect_as(&service, "d1", "d1", &rotated).await;
        d1.client
            .subscribe("$aws/things/d2/jobs/#", QoS::AtLeastOnce)
            .await
            .unwrap();
        d1.client
            .subscribe("$aws/things/+/jobs/#", QoS::AtLeastOnce)
            .await
            .unwrap();
        let mut d2 = Device::connect_as(&service, "d2", "d2", &p2).await;
        let (ok, _) = d2.ask("get", json!({})).await;
        assert!(ok);
        assert_eq!(d1.run_next("SUCCEEDED").await, "j");
        while let Ok((topic, _)) = d1.replies.try_recv() {
            assert!(topic.starts_with("$aws/things/d1/"), "d1 heard {topic}");
        }

        // d1 publishing as d2 is cut off, and d2's execution is untouched.
        d1.client
            .publish(
                "$aws/things/d2/jobs/j/update",
                QoS::AtLeastOnce,
                false,
                r#"{"status":"FAILED"}"#,
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let execution = service
            .call("GET", "/api/v1/jobs/j/executions/d2", None)
            .await
            .json();
        assert_eq!(execution["status"], "QUEUED", "{execution}");
        let metrics = service.metrics().await;
        assert!(
            metrics.contains("ota_mqtt_refused_publishes_total 1\n"),
            "{metrics}"
        );
        assert!(
            metrics.contains("ota_mqtt_refused_subscriptions_total 2\n"),
            "{metrics}"
        );
        assert!(
            metrics.contains("ota_mqtt_refused_connects_total 9\n"),
            "{metrics}"
        );
        // d2 still runs its own.
        assert_eq!(d2.run_next("SUCCEEDED").await, "j");

        // Revoking d2's credentials ends its connection: it is answered no more.
        let r = service
            .call("DELETE", "/api/v1/things/d2/credentials", None)
            .await;
        assert_eq!(r.status, 204);
        // Revoking is idempotent; an unknown thing is not found.
        let again = service
            .call("DELETE", "/api/v1/things/d2/credentials", None)
            .await;
        assert_eq!(again.status, 204);
        let unknown = service
            .call("DELETE", "/api/v1/things/nobody/credentials", None)
            .await;
        assert_eq!(unknown.status, 404);
        tokio::time::sleep(Duration::from_millis(200)).await;
        while d2.replies.try_recv().is_ok() {}
        let _ = d2
            .client
            .publish("$aws/things/d2/jobs/get", QoS::AtLeastOnce, false, "{}")
            .await;
        let heard = tokio::time::timeout(Duration::from_secs(1), d2.replies.recv()).await;
        assert!(
            !matches!(heard, Ok(Some(_))),
            "d2 was answered after its revocation: {heard:?}"
        );
        // Deleting a thing takes its credentials: a new thing of the same name does not
        // inherit them.
        assert_eq!(
            service
                .call("DELETE", "/api/v1/things/d1", None)
                .await
                .status,
            204
        );
        let r = service
            .call("POST", "/api/v1/things", Some(json!({"thingName": "d1"})))
            .await;
        assert_eq!(r.status, 201);
        let outcome = connect_outcome(&service, "d1", Some(("d1", &rotated))).await;
        assert!(outcome.contains("BadUserNamePassword"), "{outcome}");
        service.running.shutdown().await;
    });
}

#[test]
fn a_document_placeholder_becomes_a_signed_url_for_each_delivery() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        let addr = service.http();
        let token = service.token.clone();
        let image = vec![0xa5u8; 5000];
        let upload = {
            let image = image.clone();
            tokio::task::spawn_blocking(move || {
                let auth = format!("Bearer {token}");
                request(
                    addr,
                    "PUT",
                    "/api/v1/artifacts/fw-3.bin",
                    &[("Authorization", &auth)],
                    &image,
                )
            })
            .await
            .unwrap()
        };
        assert_eq!(upload.status, 201);
        assert_eq!(
            service
                .call("POST", "/api/v1/things", Some(json!({"thingName": "p1"})))
                .await
                .status,
            201
        );
        let placeholder = format!("${{aws:iot:s3-presigned-url:http://{addr}/artifacts/fw-3.bin}}");
        let foreign = "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/k}";
        let document = json!({"files": [{"url": placeholder}, {"url": foreign}]}).to_string();
        let spec = json!({"jobId": "p", "targets": ["thing/p1"], "document": document});
        assert_eq!(
            service
                .call("POST", "/api/v1/jobs", Some(spec))
                .await
                .status,
            201
        );
        // The stored document keeps the placeholder; the device gets a signed URL.
        let stored = service
            .call("GET", "/api/v1/jobs/p/document", None)
            .await
            .json();
        assert!(stored["document"].as_str().unwrap().contains(&placeholder));

        let mut device = Device::connect(&service, "p1").await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let execution = loop {
            let (ok, reply) = device.ask("start-next", json!({})).await;
            assert!(ok);
            if reply["execution"].is_object() {
                break reply["execution"].clone();
            }
            assert!(tokio::time::Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let url = execution["jobDocument"]["files"][0]["url"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            url.starts_with(&format!("http://{addr}/artifacts/fw-3.bin?expires=")),
            "{url}"
        );
        assert_eq!(
            execution["jobDocument"]["files"][1]["url"], foreign,
            "not ours: kept"
        );
        let path = url
            .strip_prefix(&format!("http://{addr}"))
            .unwrap()
            .to_string();
        let got = service.anonymous("GET", &path, vec![]).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body, image);

        // A placeholder the device writes itself (status details) is echoed as it came:
        // only job documents are signed.
        let own = format!("${{aws:iot:s3-presigned-url:http://{addr}/artifacts/fw-3.bin}}");
        let (ok, reply) = device
            .ask(
                "p/update",
                json!({
                    "status": "IN_PROGRESS",
                    "statusDetails": {"u": own},
                    "includeJobExecutionState": true,
                }),
            )
            .await;
        assert!(ok, "{reply}");
        let text = reply.to_string();
        assert!(!text.contains("signature="), "{text}");
        assert_eq!(reply["executionState"]["statusDetails"]["u"], own.as_str());
        let (ok, reply) = device.ask("p/get", json!({})).await;
        assert!(ok, "{reply}");
        assert_eq!(reply["execution"]["statusDetails"]["u"], own.as_str());
        let signed = reply["execution"]["jobDocument"]["files"][0]["url"]
            .as_str()
            .unwrap();
        assert!(
            signed.contains("signature="),
            "the document itself is signed: {signed}"
        );
        service.running.shutdown().await;
    });
}

/// An MQTT string: two bytes of length, then the bytes.
fn mqtt_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&u16::try_from(s.len()).unwrap().to_be_bytes());
    out.extend_from_slice(s);
}

/// A packet: its first byte, the remaining length (variable-length encoding), the body.
fn mqtt_packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mut len = body.len();
    loop {
        let byte = u8::try_from(len % 128).unwrap();
        len /= 128;
        out.push(if len > 0 { byte | 0x80 } else { byte });
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

/// A CONNECT written by hand from MQTT 3.1.1 section 3.1 (protocol `level`, clean session,
/// user name and password, keep-alive 60 s).
fn raw_connect(level: u8, client: &str, password: &str) -> Vec<u8> {
    let mut body = Vec::new();
    mqtt_string(&mut body, b"MQTT");
    body.extend_from_slice(&[level, 0xC2, 0, 60]);
    mqtt_string(&mut body, client.as_bytes());
    mqtt_string(&mut body, client.as_bytes());
    mqtt_string(&mut body, password.as_bytes());
    mqtt_packet(0x10, &body)
}

/// Bytes the server sends until it has sent `n` or closed the connection (30 s at most).
async fn read_upto(stream: &mut tokio::net::TcpStream, n: usize) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while got.len() < n {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("the server answers or closes in time");
        match read {
            Ok(0) | Err(_) => break,
            Ok(k) => got.extend_from_slice(&buf[..k]),
        }
    }
    got
}

#[test]
fn the_mqtt_endpoint_keeps_to_mqtt_3_1_1_and_aws_limits() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        let r = service
            .call("POST", "/api/v1/things", Some(json!({"thingName": "d1"})))
            .await;
        assert_eq!(r.status, 201);
        let password = service.credentials("d1").await;
        let addr = service.running.mqtt_addr();
        let connect = |level: u8| {
            let packet = raw_connect(level, "d1", &password);
            async move {
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.write_all(&packet).await.unwrap();
                let ack = read_upto(&mut stream, 4).await;
                (stream, ack)
            }
        };

        // Protocol level 5 with valid credentials: CONNACK 0x01, unacceptable protocol
        // level, and the connection closes (section 3.1.2.2).
        let (mut stream, ack) = connect(5).await;
        assert_eq!(ack, [0x20, 0x02, 0x00, 0x01]);
        assert!(read_upto(&mut stream, 1).await.is_empty(), "still open");

        // Level 4: accepted.
        let (mut stream, ack) = connect(4).await;
        assert_eq!(ack, [0x20, 0x02, 0x00, 0x00]);
        // 51 filters of its own in one SUBSCRIBE: 50 granted (QoS 1), the 51st refused.
        let mut body = vec![0x00, 0x07];
        for i in 0..51 {
            // The first is where a `get` is answered, to hear whether one is.
            let filter = match i {
                0 => "$aws/things/d1/jobs/get/accepted".to_string(),
                _ => format!("$aws/things/d1/jobs/f{i}"),
            };
            mqtt_string(&mut body, filter.as_bytes());
            body.push(1);
        }
        stream.write_all(&mqtt_packet(0x82, &body)).await.unwrap();
        let suback = read_upto(&mut stream, 2 + 2 + 51).await;
        assert_eq!(&suback[..5], [0x90, 53, 0x00, 0x07, 0x01]);
        let codes = &suback[4..];
        assert_eq!(codes.len(), 51);
        assert!(codes[..50].iter().all(|&c| c == 0x01), "{codes:?}");
        assert_eq!(codes[50], 0x80);

        // QoS 2 is not supported (as on AWS IoT): the PUBLISH gets no PUBREC or PUBACK,
        // the connection closes, and the request is not served.
        let mut body = Vec::new();
        mqtt_string(&mut body, b"$aws/things/d1/jobs/get");
        body.extend_from_slice(&[0x00, 0x09]);
        body.extend_from_slice(b"{}");
        stream.write_all(&mqtt_packet(0x34, &body)).await.unwrap();
        assert!(read_upto(&mut stream, 1).await.is_empty(), "answered QoS 2");

        let metrics = service.metrics().await;
        assert!(
            metrics.contains("ota_mqtt_refused_connects_total 1\n"),
            "{metrics}"
        );
        service.running.shutdown().await;
    });
}

#[test]
fn a_thing_over_its_request_rate_is_throttled_before_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start_with(dir.path(), |c| {
            c.device_requests_per_second = 1;
            c.device_request_burst = 2;
        })
        .await;
        let r = service
            .call("POST", "/api/v1/things", Some(json!({"thingName": "d1"})))
            .await;
        assert_eq!(r.status, 201);
        let password = service.credentials("d1").await;
        let before = service.journal_entries().await;
        let mut d1 = Device::connect_as(&service, "d1", "d1", &password).await;
        let mut answers = Vec::new();
        for _ in 0..6 {
            // `start-next` is journaled when it is answered (even with nothing to start).
            let (ok, reply) = d1.ask("start-next", json!({"clientToken": "c"})).await;
            answers.push((ok, reply["code"].as_str().unwrap_or_default().to_string()));
        }
        // The burst of 2 is answered; in the same instant the rest are throttled (a token
        // a second may admit one more on a slow machine).
        assert!(answers[0].0 && answers[1].0, "{answers:?}");
        let throttled = answers
            .iter()
            .filter(|(ok, code)| !ok && code == "RequestThrottled")
            .count();
        assert!(throttled >= 3, "{answers:?}");
        assert_eq!(
            answers.iter().filter(|(ok, _)| !ok).count(),
            throttled,
            "{answers:?}"
        );
        // Only the answered ones reached the journal.
        let after = service.journal_entries().await;
        assert_eq!(after - before, 6 - throttled as u64, "{before} -> {after}");
        service.running.shutdown().await;
    });
}

#[test]
fn a_full_journal_is_a_clear_refusal_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        // The journal's size limit fills as a full disk would: SQLite's own refusal.
        let service =
            Service::start_with(dir.path(), |c| c.journal_max_bytes = Some(64 * 1024)).await;
        let mut created = Vec::new();
        let refused = loop {
            let name = format!("thing-{:05}", created.len());
            let body = json!({"thingName": name, "attributes": {"note": "x".repeat(400)}});
            let r = service.call("POST", "/api/v1/things", Some(body)).await;
            match r.status {
                201 => created.push(name),
                503 => break (name, r.json()),
                other => panic!("{other}: {}", String::from_utf8_lossy(&r.body)),
            }
            assert!(created.len() < 10_000, "the limit never bit");
        };
        let (name, error) = refused;
        assert!(created.len() > 10, "{}", created.len());
        assert_eq!(error["code"], "ServiceUnavailableException", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains("full"),
            "{error}"
        );
        service.running.shutdown().await;

        // Restarted with room: every thing answered 201 is there, the refused one is not.
        let service = Service::start(dir.path()).await;
        for thing in &created {
            let r = service
                .call("GET", &format!("/api/v1/things/{thing}"), None)
                .await;
            assert_eq!(r.status, 200, "{thing}");
        }
        let r = service
            .call("GET", &format!("/api/v1/things/{name}"), None)
            .await;
        assert_eq!(r.status, 404);
        service.running.shutdown().await;
    });
}

#[test]
fn a_campaign_of_a_release_with_a_placeholder_is_signed_by_the_service() {
    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        let body =
            json!({"thingName": "d1", "attributes": {"hardware": "rev-a", "version": "1.0.0"}});
        assert_eq!(
            service
                .call("POST", "/api/v1/things", Some(body))
                .await
                .status,
            201
        );
        let url = format!("http://{}/artifacts/fw.bin", service.http());
        let document =
            json!({"operation": "update", "url": format!("${{aws:iot:s3-presigned-url:{url}}}")});
        let release = json!({
            "id": "r-2", "version": "2.0.0", "product": "acme", "hardware": ["rev-a"],
            "securityCounter": 1, "document": document.to_string(),
        });
        assert_eq!(
            service
                .call("POST", "/api/v1/releases", Some(release.clone()))
                .await
                .status,
            201
        );
        let spec = json!({
            "id": "c-1", "release": release, "targets": {"Things": ["d1"]},
            "stages": [{"name": "all", "size": {"Percent": 10000}, "gate": {"min_sample": 1}}],
        });
        let r = service.call("POST", "/api/v1/campaigns", Some(spec)).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        // Its stage job carries the configuration AWS would need, as a job created through
        // the API does.
        let mut tries = 0;
        let job = loop {
            let r = service.call("GET", "/api/v1/jobs/c-1-all", None).await;
            if r.status == 200 {
                break r.json();
            }
            tries += 1;
            assert!(
                tries < 600,
                "no stage job: {}",
                String::from_utf8_lossy(&r.body)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            job["presignedUrlConfig"]["roleArn"].as_str().is_some(),
            "{job}"
        );
        assert_eq!(job["presignedUrlConfig"]["expiresInSec"], 3600);
        service.running.shutdown().await;
    });
}

#[test]
fn the_latest_release_is_signed_handed_to_devices_and_their_reports_counted() {
    use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
    use ota_core::freshness::{MAX_LATEST_LEN, SignedLatest, check};

    let dir = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let service = Service::start(dir.path()).await;
        let r = service
            .call("POST", "/api/v1/things", Some(json!({"thingName": "d1"})))
            .await;
        assert_eq!(r.status, 201);
        let set = service
            .call(
                "PUT",
                "/api/v1/latest/acme",
                Some(json!({"version": "1.2.0", "securityCounter": 3})),
            )
            .await;
        assert_eq!(set.status, 200, "{:?}", set.json());
        let bad = service
            .call("PUT", "/api/v1/latest/acme", Some(json!({"version": "x"})))
            .await;
        assert_eq!(bad.status, 400);
        let overview = service.call("GET", "/api/v1/latest", None).await.json();
        assert_eq!(overview["statements"][0]["product"], "acme");
        let pem = overview["timestampKey"].as_str().unwrap().to_string();

        let mut d1 = Device::connect(&service, "d1").await;
        let ask = json!({"product": "acme", "stale": true, "behind": false, "issued": 0, "clientToken": "7:d1"});
        let (ok, reply) = d1.ask_on("ota/latest/get", ask).await;
        assert!(ok, "{reply}");
        assert_eq!(reply["clientToken"], "7:d1");
        // The statement checks out with the device's own code and the published key.
        let mut keys = TrustStore::<1>::new();
        let key = PublicKey::from_spki_pem(&pem).unwrap();
        keys.add(TrustedKey::new(key, Algorithm::EcdsaP256Sha256).unwrap())
            .unwrap();
        let text = reply.to_string();
        let signed = SignedLatest::parse(text.as_bytes()).unwrap();
        let mut scratch = [0u8; MAX_LATEST_LEN];
        let latest = check(&signed, &keys, "acme", None, &mut scratch).unwrap();
        assert_eq!(latest.version.to_string(), "1.2.0");
        assert_eq!(latest.expires - latest.issued, 86_400);

        let (ok, reply) = d1
            .ask_on("ota/latest/get", json!({"product": "other", "clientToken": "8:d1"}))
            .await;
        assert!(!ok);
        assert_eq!(reply["code"], "ResourceNotFound");
        let metrics = service.metrics().await;
        assert!(metrics.contains("ota_freshness_devices{state=\"asking\"} 1\n"), "{metrics}");
        assert!(metrics.contains("ota_latest_requests_total 2\n"), "{metrics}");
        assert!(metrics.contains("ota_latest_expires_seconds{product=\"acme\"} "));
        let key_id = overview["keyId"].clone();
        service.running.shutdown().await;

        // The setting and the key survive a restart; the statement is signed anew.
        let again = Service::start(dir.path()).await;
        let overview = again.call("GET", "/api/v1/latest", None).await.json();
        assert_eq!(overview["keyId"], key_id);
        assert_eq!(overview["statements"][0]["version"], "1.2.0");
        again.running.shutdown().await;
    });
}
