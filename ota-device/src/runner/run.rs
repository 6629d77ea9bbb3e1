//! The runner's loop: [`run`].

use core::borrow::Borrow;
use std::string::{String, ToString};
use std::time::Duration;
use std::vec;
use std::vec::Vec;

use rumqttc::QoS;
use tokio::task::JoinHandle;

use super::app::{Application, Exit};
use super::backoff::Backoff;
use super::clock::Clock;
use super::error::RunnerError;
use super::http;
use super::link::{Link, LinkEvent};
use super::settings::MqttSettings;
use crate::client::{Client, MIN_TRANSMIT_LEN, Qos, SUBSCRIPTIONS};
use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::storage::{FirmwareSlot, StateStore};
use crate::trust::TrustSource;

/// How a run behaves beyond the connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Return [`Exit::JobFinished`] or [`Exit::JobCanceled`] when the first job ends,
    /// instead of waiting for the next one.
    pub stop_after_job: bool,
    /// Give the client the system clock as trusted time, so that expired manifests are
    /// refused. Only for a device whose clock is set securely (NTS, a signed time source);
    /// off, expiry is not checked (see the client's docs on trusted time).
    pub trust_system_clock: bool,
    /// Seeds the reconnect jitter.
    pub seed: u64,
}

/// An HTTP range in flight: where it starts, and the blocking task fetching it.
struct Fetch {
    offset: u32,
    task: JoinHandle<Result<Vec<u8>, String>>,
}

/// Connect as `settings` say and drive `client` until it asks for a reset, until (with
/// [`RunOptions::stop_after_job`]) its job ends, or until [`Application::keep_running`] says
/// no.
///
/// Subscribes to the client's topics at QoS 1 on every connection and then calls
/// [`Client::handle_connected`]; feeds it every message, its timeouts, and the HTTP ranges it
/// asks for ([`Event::FetchRange`]); publishes what it sends with the QoS it asks for;
/// answers [`Event::SelfTestRequired`] with [`Application::self_test`] and custom jobs with
/// [`Application::custom_job`]. A lost connection is retried forever with exponential backoff
/// and jitter; the broker keeps the session unless [`MqttSettings::clean_session`].
///
/// Does not reset anything itself: on [`Exit::Activate`] and [`Exit::RollBack`] the caller
/// resets the device (on Linux, [`crate::storage::files::FileBoot::reset`] and re-executing
/// into the active image). Must be called inside a tokio runtime with the time driver.
///
/// # Errors
/// [`RunnerError::BadUrl`] or [`RunnerError::Tls`] before connecting,
/// [`RunnerError::Client`] when applying a self-test result fails in storage,
/// [`RunnerError::Closed`] if the event loop stops.
pub async fn run<
    'a,
    S: FirmwareSlot,
    P: StateStore,
    const K: usize,
    T: TrustSource<K>,
    C: Borrow<Config<'a>>,
>(
    client: &mut Client<'a, S, P, K, T, C>,
    settings: &MqttSettings,
    app: &mut impl Application,
    options: RunOptions,
) -> Result<Exit, RunnerError> {
    let mqtt = settings.mqtt_options()?;
    let backoff = Backoff::new(settings.reconnect_min, settings.reconnect_max, options.seed);
    let mut link = Link::start(mqtt, backoff);
    let clock = Clock::start();
    let agent = http::agent();
    let mut fetch: Option<Fetch> = None;
    let mut out = vec![0u8; MIN_TRANSMIT_LEN * 2];
    if options.trust_system_clock {
        set_system_time(client, clock);
    }
    loop {
        let now = clock.now();
        client.handle_timeout(now);
        let exit = apply_events(client, app, options, clock, &agent, &mut fetch)?;
        if !app.keep_running() {
            if let Some(f) = fetch.take() {
                f.task.abort();
            }
            // Dropping the link aborts the connection: nothing queued is sent.
            drop(link);
            return Ok(Exit::Stopped);
        }
        transmit(client, &mut link, clock, &mut out);
        if let Some(exit) = exit {
            link.close().await;
            return Ok(exit);
        }
        let deadline = client.poll_timeout().map(|t| clock.tokio(t));
        let retry = link
            .has_waiting()
            .then(|| tokio::time::Instant::now() + Duration::from_millis(20));
        let wake = match (deadline, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        tokio::select! {
            event = link.next() => {
                let event = event.ok_or(RunnerError::Closed)?;
                on_link_event(client, &mut link, app, clock, event);
            }
            fetched = async { (&mut fetch.as_mut().expect("guarded").task).await },
                if fetch.is_some() =>
            {
                let offset = fetch.take().map_or(0, |f| f.offset);
                on_fetched(client, clock, offset, fetched.unwrap_or_else(|e| Err(e.to_string())));
            }
            () = sleep_until(wake), if wake.is_some() => {}
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

fn set_system_time<
    'a,
    S: FirmwareSlot,
    P: StateStore,
    const K: usize,
    T: TrustSource<K>,
    C: Borrow<Config<'a>>,
>(
    client: &mut Client<'a, S, P, K, T, C>,
    clock: Clock,
) {
    if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        client.set_trusted_time(clock.now(), since.as_secs());
    }
}

/// Drain the client's events and act on them, until none are left. Returns how the run ends,
/// if it does.
fn apply_events<
    'a,
    S: FirmwareSlot,
    P: StateStore,
    const K: usize,
    T: TrustSource<K>,
    C: Borrow<Config<'a>>,
>(
    client: &mut Client<'a, S, P, K, T, C>,
    app: &mut impl Application,
    options: RunOptions,
    clock: Clock,
    agent: &ureq::Agent,
    fetch: &mut Option<Fetch>,
) -> Result<Option<Exit>, RunnerError> {
    let mut exit = None;
    loop {
        // Taken out first: acting on one (a self-test result) queues more.
        let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
        if events.is_empty() {
            return Ok(exit);
        }
        for event in events {
            log_event(&event);
            app.on_event(&event);
            match event {
                Event::ActivateAndReboot => return Ok(Some(Exit::Activate)),
                Event::RollBackAndReboot { reason } => return Ok(Some(Exit::RollBack(reason))),
                Event::SelfTestRequired => {
                    let passed = app.self_test();
                    client.handle_self_test(clock.now(), passed)?;
                }
                Event::FetchRange { offset, len } => {
                    if let Some(old) = fetch.take() {
                        old.task.abort();
                    }
                    *fetch = start_fetch(client, agent, offset, len);
                }
                Event::JobFinished { status, reason } if options.stop_after_job => {
                    exit = Some(Exit::JobFinished { status, reason });
                }
                Event::JobCanceled if options.stop_after_job => exit = Some(Exit::JobCanceled),
                _ => {}
            }
        }
    }
}

fn start_fetch<
    'a,
    S: FirmwareSlot,
    P: StateStore,
    const K: usize,
    T: TrustSource<K>,
    C: Borrow<Config<'a>>,
>(
    client: &Client<'a, S, P, K, T, C>,
    agent: &ureq::Agent,
    offset: u32,
    len: u32,
) -> Option<Fetch> {
    let url = client.http_url()?.to_string();
    let agent = agent.clone();
    let task = tokio::task::spawn_blocking(move || http::fetch_range(&agent, &url, offset, len));
    Some(Fetch { offset, task })
}

fn on_fetched<
    'a,
    S: FirmwareSlot,
    P: StateStore,
    const K: usize,
    T: TrustSource<K>,
    C: Borrow<Config<'a>>,
>(
    client: &mut Client<'a, S, P, K, T, C>,
    clock: Clock,
    offset: u32,
    fetched: Result<Vec<u8>, String>,
) {
    let now = clock.now();
    // Refusals (the job moved on meanwhile) leave the client as it was.
    let _ = match fetched {
        Ok(bytes) => client.handle_http_data(now, offset, &bytes),
        Err(reason) => {
            #[cfg(feature = "tracing")]
            tracing::warn!(offset, %reason, "HTTP range failed");
            let _ = reason;
            client.handle_http_error(now)
        }
    };
}

fn on_link_event<
    'a,
    S: FirmwareSlot,
    P: StateStore,
    const K: usize,
    T: TrustSource<K>,
    C: Borrow<Config<'a>>,
>(
    client: &mut Client<'a, S, P, K, T, C>,
    link: &mut Link,
    app: &mut impl Application,
    clock: Clock,
    event: LinkEvent,
) {
    let now = clock.now();
    match event {
        LinkEvent::Connected => {
            let mut buf = [0u8; MIN_TRANSMIT_LEN];
            let filters = (0..SUBSCRIPTIONS)
                .filter_map(|i| client.subscription(i, &mut buf).map(str::to_string))
                .collect();
            link.subscribe(filters);
        }
        LinkEvent::Subscribed => {
            app.on_connection(true, "");
            client.handle_connected(now);
        }
        LinkEvent::Lost(detail) => {
            #[cfg(feature = "tracing")]
            tracing::info!(%detail, "MQTT connection lost; reconnecting");
            app.on_connection(false, &detail);
        }
        LinkEvent::Message { topic, payload } => {
            match client.handle_message(now, &topic, &payload) {
                Ok(Some(job)) => {
                    let status = app.custom_job(&job);
                    let _ = client.report_custom_job(now, status);
                }
                Ok(None) => {}
                Err(Error::Ignored | Error::UnknownTopic) => {}
                Err(_e) => {
                    #[cfg(feature = "tracing")]
                    tracing::debug!(%topic, error = %_e, "message refused");
                }
            }
        }
    }
}

fn transmit<
    'a,
    S: FirmwareSlot,
    P: StateStore,
    const K: usize,
    T: TrustSource<K>,
    C: Borrow<Config<'a>>,
>(
    client: &mut Client<'a, S, P, K, T, C>,
    link: &mut Link,
    clock: Clock,
    out: &mut [u8],
) {
    while let Some(publish) = client.poll_transmit(clock.now(), out) {
        let qos = match publish.qos {
            Qos::AtMostOnce => QoS::AtMostOnce,
            Qos::AtLeastOnce => QoS::AtLeastOnce,
        };
        link.publish(publish.topic, qos, publish.payload);
    }
    link.flush();
}

fn log_event(_event: &Event) {
    #[cfg(feature = "tracing")]
    tracing::info!(event = ?_event, "ota event");
}
