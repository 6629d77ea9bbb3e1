//! The world over a real MQTT broker (`ota-sim run --transport mqtt`): the same fleet,
//! images, faults, campaigns, invariants and report as the simulated network, with every
//! device a [`ota_device::runner`] on its own MQTT connection and the service behind
//! `ota-cloud`'s MQTT gateway.
//!
//! What changes from the simulated network:
//! - Time. The service's clock (campaign ticks, soak periods, rollout rates, timeouts) runs
//!   [`LiveOptions::speed`] times faster than the wall clock; device-side delays drawn by the
//!   scenario (a reset after a power cut, an activation reboot) are scaled the same way. The
//!   devices' own timers (request retries, self-test timeout) run on the wall clock.
//! - The network is the real one: the scenario's `[network]` latency, loss and duplication
//!   are not applied, and messages are counted by the gateway (received requests, published
//!   replies and pushes), not per delivery.
//! - Power cuts trip in the device's simulated flash as before; the runner is stopped at the
//!   next step ([`ota_device::runner::Application::keep_running`]), so nothing the client
//!   queued after the cut is published, and its connection drops. Offline windows close the
//!   device's connection for their simulated length.
//! - Nothing is replayable: message order depends on the machine. Faults are drawn from the
//!   seed as before, so the same devices are cut, tampered or misfit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ota_cloud::broker::{BrokerError, EMBEDDED_TOPIC_ROOT, EmbeddedBroker};
use ota_cloud::gateway::Gateway;
use ota_cloud::gateway::mqtt::{MqttBinding, MqttGateway};
use ota_core::crypto::TrustStore;
use ota_core::jobs::JobExecutionStatus;
use ota_core::version::Version;
use ota_device::runner::{Application, Exit, MqttSettings, RunOptions, RunnerError, run};
use ota_device::storage::testing::PowerCut;
use ota_device::{Config, Event as DeviceEvent, Reason};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{Event, START, TICK_MS, World};
use crate::device::SimDevice;
use crate::rng::SimRng;
use crate::trust::{SimTrust, TRUST_KEYS};

/// How a run over MQTT connects, and how fast its service clock runs.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// `None`: an embedded broker on a free loopback port. `Some("mqtt://HOST:PORT")`: a
    /// broker already running (no TLS; every device and the gateway connect to it).
    pub broker: Option<String>,
    /// Topic root: `ota` on the embedded broker (it refuses `$`-topics), `$aws` on an
    /// external one, unless set.
    pub topic_root: Option<String>,
    /// Simulated milliseconds per wall-clock millisecond, 1 to [`LiveOptions::MAX_SPEED`].
    pub speed: u32,
}

impl LiveOptions {
    /// The fastest service clock allowed: past it, a campaign tick is shorter than a
    /// message's round trip on loopback.
    pub const MAX_SPEED: u32 = 600;

    /// The embedded broker, the service clock 60 times the wall clock (a simulated hour
    /// in a minute).
    pub fn embedded() -> Self {
        Self {
            broker: None,
            topic_root: None,
            speed: 60,
        }
    }
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self::embedded()
    }
}

/// Why a run over MQTT could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The embedded broker did not start.
    #[error("embedded broker: {0}")]
    Broker(#[from] BrokerError),
    /// `--broker` is not `mqtt://HOST:PORT`.
    #[error("broker `{0}`: expected mqtt://HOST:PORT")]
    BadBroker(String),
    /// `--speed` out of its range.
    #[error("speed must be 1 to {max}, not {0}", max = LiveOptions::MAX_SPEED)]
    Speed(u32),
    /// The gateway did not get its subscriptions in place.
    #[error("the gateway could not connect and subscribe to {0} within 10 s")]
    Gateway(String),
    /// The release key could not be loaded.
    #[error("{0}")]
    Key(#[from] crate::release::KeyError),
    /// A device task ended abnormally.
    #[error("device task: {0}")]
    Device(String),
    /// The scenario has `[trust]`, which runs on the simulated network only.
    #[error("a scenario with [trust] runs on the simulated network only, not over MQTT")]
    Trust,
}

/// `mqtt://HOST:PORT` as host and port.
fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.strip_prefix("mqtt://")?.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| Some((host.to_string(), port.parse().ok()?)))?
}

/// Wall-clock time mapped onto simulated time.
#[derive(Debug, Clone, Copy)]
struct LiveClock {
    origin: Instant,
    speed: u64,
}

impl LiveClock {
    fn sim_now(&self) -> u64 {
        let real_us = u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX);
        START.saturating_add(real_us.saturating_mul(self.speed) / 1000)
    }

    /// The wall-clock instant of simulated time `at`.
    fn instant(&self, at: u64) -> Instant {
        let sim_ms = at.saturating_sub(START);
        self.origin + Duration::from_micros(sim_ms.saturating_mul(1000) / self.speed)
    }

    async fn sleep_until(&self, at: u64) {
        tokio::time::sleep_until(self.instant(at)).await;
    }
}

/// What a device is doing, as the run's end condition needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LiveState {
    /// Powered, connected, no job in hand.
    Idle,
    /// Working on a job (or not reported yet).
    Busy,
    /// Between a cut or an activation and the reset's end.
    Down,
    /// In an offline window.
    Offline,
}

/// What device tasks tell the run.
#[derive(Debug)]
enum Note {
    Finished {
        d: u32,
        at: u64,
        status: JobExecutionStatus,
        reason: Option<Reason>,
    },
    Committed,
    Reset,
    State(u32, LiveState),
    Failed(String),
}

/// What a device task needs beyond its [`SimDevice`].
struct Plan {
    d: u32,
    trust: &'static TrustStore<TRUST_KEYS>,
    topic_root: &'static str,
    block_size: u32,
    /// Version and whether it is a release build, by image index.
    images: Arc<[(Version, bool)]>,
    seed: u64,
    /// Simulated start and end of its offline window.
    offline: Option<(u64, u64)>,
    url: Arc<str>,
}

impl Plan {
    fn config(&self, device: &SimDevice, boot: u64) -> Config<'static> {
        let running = device
            .storage
            .running_image()
            .and_then(|i| self.images.get(i))
            .map_or(device.initial_version, |(v, _)| *v);
        let seed = self.seed ^ boot.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut config = device.config(running, self.block_size, seed);
        config.topic_root = self.topic_root;
        config
    }

    fn runs_release(&self, device: &SimDevice) -> bool {
        device
            .storage
            .running_image()
            .and_then(|i| self.images.get(i))
            .is_some_and(|(_, release)| *release)
    }
}

/// The application a live device runs: reports to the run, fails its self-test as drawn,
/// and stops when its power is cut.
struct LiveApp<'a> {
    d: u32,
    power: PowerCut,
    self_test_passes: bool,
    clock: LiveClock,
    notes: &'a mpsc::UnboundedSender<Note>,
    busy: bool,
}

impl Application for LiveApp<'_> {
    fn on_event(&mut self, event: &DeviceEvent) {
        if !self.busy {
            self.busy = true;
            let _ = self.notes.send(Note::State(self.d, LiveState::Busy));
        }
        match *event {
            DeviceEvent::JobFinished { status, reason } => {
                let _ = self.notes.send(Note::Finished {
                    d: self.d,
                    at: self.clock.sim_now(),
                    status,
                    reason,
                });
            }
            DeviceEvent::Committed => {
                let _ = self.notes.send(Note::Committed);
            }
            _ => {}
        }
    }

    fn self_test(&mut self) -> bool {
        self.self_test_passes
    }

    fn keep_running(&mut self) -> bool {
        !self.power.is_cut()
    }
}

/// How a powered spell of a device ended.
enum Down {
    /// The client asked for a reset: reboot after this many simulated ms.
    Reboot(u64),
    /// The power was cut.
    Cut,
    /// The run is over.
    Stop,
}

/// One device's life over MQTT until `stop`: boot, run, reset, again. Returns the device
/// for the report.
async fn live_device(
    mut device: SimDevice,
    plan: Plan,
    clock: LiveClock,
    notes: mpsc::UnboundedSender<Note>,
    mut stop: watch::Receiver<bool>,
) -> SimDevice {
    let mut rng = SimRng::new(plan.seed);
    let mut offline = plan.offline;
    let mut boots = 0;
    loop {
        let config = plan.config(&device, boots);
        boots += 1;
        // Live devices hold a fixed trust store: no root statements.
        let scratch = crate::device::scratch_len(plan.block_size, false);
        let down = if device
            .boot(config, SimTrust::Fixed(plan.trust), scratch)
            .is_err()
        {
            Down::Cut
        } else {
            powered(
                &mut device,
                &plan,
                clock,
                &notes,
                &mut stop,
                &mut offline,
                &mut rng,
            )
            .await
        };
        let _ = notes.send(Note::State(plan.d, LiveState::Down));
        let after = match down {
            Down::Stop => return device,
            Down::Reboot(after) => after,
            Down::Cut => {
                device.cut_power();
                rng.range(5_000, 60_000)
            }
        };
        device.reset_pending = true;
        tokio::select! {
            _ = stop.changed() => return device,
            () = clock.sleep_until(clock.sim_now() + after) => {}
        }
        device.reset();
        if plan.runs_release(&device) {
            device.tried_new = true;
        }
        let _ = notes.send(Note::Reset);
    }
}

/// Run the booted client until it asks for a reset, its power is cut, or the run stops;
/// through an offline window by closing the connection for its length.
async fn powered(
    device: &mut SimDevice,
    plan: &Plan,
    clock: LiveClock,
    notes: &mpsc::UnboundedSender<Note>,
    stop: &mut watch::Receiver<bool>,
    offline: &mut Option<(u64, u64)>,
    rng: &mut SimRng,
) -> Down {
    let mut settings = MqttSettings::new(&*plan.url, device.name);
    settings.reconnect_min = Duration::from_millis(50);
    settings.reconnect_max = Duration::from_millis(1000);
    loop {
        let self_test_passes = !(device.self_test_fails && plan.runs_release(device));
        let Some(client) = device.client.as_mut() else {
            return Down::Cut;
        };
        let state = if client.is_idle() {
            LiveState::Idle
        } else {
            LiveState::Busy
        };
        let _ = notes.send(Note::State(plan.d, state));
        let mut app = LiveApp {
            d: plan.d,
            power: device.storage.power().clone(),
            self_test_passes,
            clock,
            notes,
            busy: state == LiveState::Busy,
        };
        let options = RunOptions {
            stop_after_job: true,
            seed: rng.u64(),
            ..RunOptions::default()
        };
        let goes_offline = offline.map(|(at, _)| at);
        let result = tokio::select! {
            biased;
            _ = stop.changed() => return Down::Stop,
            () = clock.sleep_until(goes_offline.unwrap_or(0)), if goes_offline.is_some() => None,
            result = run(client, &settings, &mut app, options) => Some(result),
        };
        let cut = device.storage.power().is_cut();
        match result {
            None => {
                let back = offline.take().map_or(0, |(_, back)| back);
                device.online = false;
                let _ = notes.send(Note::State(plan.d, LiveState::Offline));
                tokio::select! {
                    _ = stop.changed() => return Down::Stop,
                    () = clock.sleep_until(back) => {}
                }
                device.online = true;
            }
            Some(Ok(Exit::Activate | Exit::RollBack(_))) => return Down::Reboot(2_000),
            Some(Ok(_) | Err(RunnerError::Client(_))) if cut => return Down::Cut,
            Some(Ok(Exit::JobFinished { .. } | Exit::JobCanceled)) => {}
            Some(Ok(other)) => {
                let _ = notes.send(Note::Failed(format!(
                    "{}: unexpected end of run {other:?}",
                    device.name
                )));
                return wait_for_stop(stop).await;
            }
            Some(Err(e)) => {
                let _ = notes.send(Note::Failed(format!("{}: {e}", device.name)));
                return wait_for_stop(stop).await;
            }
        }
    }
}

async fn wait_for_stop(stop: &mut watch::Receiver<bool>) -> Down {
    let _ = stop.changed().await;
    Down::Stop
}

/// The broker the run uses: the embedded one (kept alive while the run lasts) or an
/// external one.
struct Broker {
    _embedded: Option<EmbeddedBroker>,
    url: String,
    host: String,
    port: u16,
    root: &'static str,
}

impl Broker {
    fn start(options: &LiveOptions, devices: u32) -> Result<Self, LiveError> {
        let leak = |root: &str| &*Box::leak(root.to_string().into_boxed_str());
        match &options.broker {
            None => {
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                let embedded = EmbeddedBroker::start(addr, devices as usize + 16)?;
                let addr = embedded.addr();
                Ok(Self {
                    url: embedded.url(),
                    host: addr.ip().to_string(),
                    port: addr.port(),
                    root: leak(options.topic_root.as_deref().unwrap_or(EMBEDDED_TOPIC_ROOT)),
                    _embedded: Some(embedded),
                })
            }
            Some(url) => {
                let (host, port) =
                    host_port(url).ok_or_else(|| LiveError::BadBroker(url.clone()))?;
                Ok(Self {
                    _embedded: None,
                    url: url.clone(),
                    host,
                    port,
                    root: leak(options.topic_root.as_deref().unwrap_or("$aws")),
                })
            }
        }
    }
}

impl World {
    /// Run to the end over a real MQTT broker, as the [module docs](self) say. Must be called
    /// inside a multi-threaded tokio runtime. `progress` as for [`World::run`].
    ///
    /// # Errors
    /// [`LiveError`] when the broker or the gateway cannot start, or a device task panics.
    /// A device whose runner fails is listed among the run's errors, and the invariant on
    /// errors fails.
    pub async fn run_live(
        &mut self,
        options: &LiveOptions,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(), LiveError> {
        if options.speed == 0 || options.speed > LiveOptions::MAX_SPEED {
            return Err(LiveError::Speed(options.speed));
        }
        if self.scenario.trust.is_some() {
            return Err(LiveError::Trust);
        }
        let broker = Broker::start(options, self.scenario.devices)?;
        self.transport = format!(
            "mqtt {}{}, topic root {}, service clock x{}; the scenario's network faults are \
             not applied, messages counted at the gateway",
            broker.url,
            if options.broker.is_none() {
                " (embedded rumqttd)"
            } else {
                ""
            },
            broker.root,
            options.speed
        );
        let streams = self
            .responder
            .live_streams(self.rng.u64(), self.scenario.faults.corrupt_block);
        let corrupted = streams.corrupted();
        let mut binding = MqttBinding::new(&broker.host, broker.port, "ota-sim-gateway");
        binding.tick = Duration::from_millis(20);
        let gateway = MqttGateway::start(
            Arc::clone(&self.service),
            streams,
            Gateway::new(broker.root),
            binding,
        );
        if !gateway.wait_subscribed(Duration::from_secs(10)).await {
            return Err(LiveError::Gateway(broker.url));
        }
        let clock = LiveClock {
            origin: Instant::now(),
            speed: u64::from(options.speed),
        };
        let (notes_tx, mut notes) = mpsc::unbounded_channel();
        let (stop, stopped) = watch::channel(false);
        let tasks = self.spawn_devices(&broker, clock, &notes_tx, &stopped);
        drop(notes_tx);
        let mut states = vec![LiveState::Busy; tasks.len()];
        self.drive(clock, &gateway, &mut notes, &mut states, &mut progress)
            .await;
        let _ = stop.send(true);
        for task in tasks {
            let device = task.await.map_err(|e| LiveError::Device(e.to_string()))?;
            self.devices.push(device);
        }
        while let Ok(note) = notes.try_recv() {
            self.apply(note, &mut states);
        }
        let g = gateway.stats();
        self.stats.messages_up = g.received;
        self.stats.bytes_up = g.bytes_received;
        self.stats.messages_down = g.published;
        self.stats.bytes_down = g.bytes_published;
        self.responder
            .record_live(g.gateway, corrupted.load(Ordering::Relaxed));
        gateway.stop();
        self.sample();
        Ok(())
    }

    /// Move every device into a task of its own, with its offline window.
    fn spawn_devices(
        &mut self,
        broker: &Broker,
        clock: LiveClock,
        notes: &mpsc::UnboundedSender<Note>,
        stop: &watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<SimDevice>> {
        let windows = self.take_offline_windows();
        let images: Arc<[(Version, bool)]> = self
            .known
            .iter()
            .map(|k| (k.version, k.role == "release"))
            .collect();
        let url: Arc<str> = broker.url.as_str().into();
        std::mem::take(&mut self.devices)
            .into_iter()
            .enumerate()
            .map(|(d, device)| {
                let plan = Plan {
                    d: d as u32,
                    trust: self.keys.trust,
                    topic_root: broker.root,
                    block_size: self.scenario.image.block_size,
                    images: Arc::clone(&images),
                    seed: self.rng.u64(),
                    offline: windows.get(&(d as u32)).copied(),
                    url: Arc::clone(&url),
                };
                tokio::spawn(live_device(
                    device,
                    plan,
                    clock,
                    notes.clone(),
                    stop.clone(),
                ))
            })
            .collect()
    }

    /// The offline windows the fleet drew (the only events queued before a run), by device.
    fn take_offline_windows(&mut self) -> BTreeMap<u32, (u64, u64)> {
        let mut starts = BTreeMap::new();
        let mut windows = BTreeMap::new();
        while let Some((at, event)) = self.queue.pop() {
            match event {
                Event::Offline(d) => {
                    starts.insert(d, at);
                }
                Event::Online(d) => {
                    if let Some(start) = starts.remove(&d) {
                        windows.insert(d, (start, at));
                    }
                }
                _ => {}
            }
        }
        self.wakeups = 0;
        windows
    }

    /// Step the service clock and the campaigns until the run is over.
    async fn drive(
        &mut self,
        clock: LiveClock,
        gateway: &MqttGateway,
        notes: &mut mpsc::UnboundedReceiver<Note>,
        states: &mut [LiveState],
        progress: &mut impl FnMut(u64, u64),
    ) {
        let horizon = START.saturating_add(self.scenario.horizon_minutes.saturating_mul(60_000));
        let mut ticker = tokio::time::interval(Duration::from_millis(20));
        let (mut next_control, mut last_minute, mut requests) = (START, None, 0);
        loop {
            ticker.tick().await;
            self.now = self.now.max(clock.sim_now());
            self.service.clock().set(self.now);
            while let Ok(note) = notes.try_recv() {
                self.apply(note, states);
            }
            let received = gateway.stats().received;
            if received != requests {
                requests = received;
                self.control.last_activity = self.now;
            }
            if self.now > horizon {
                self.stats.hit_horizon = true;
                return;
            }
            if self.now < next_control {
                continue;
            }
            next_control = self.now + TICK_MS;
            self.control_step();
            let minute = (self.now - START) / 60_000;
            if last_minute != Some(minute) {
                last_minute = Some(minute);
                self.sample();
                progress(minute, self.stats.finished_devices());
            }
            if self.live_over(states) {
                return;
            }
        }
    }

    fn apply(&mut self, note: Note, states: &mut [LiveState]) {
        self.control.last_activity = self.now;
        match note {
            Note::Finished {
                d,
                at,
                status,
                reason,
            } => self.stats.finished(d, at, status, reason),
            Note::Committed => self.stats.committed += 1,
            Note::Reset => self.stats.resets += 1,
            Note::State(d, state) => {
                if let Some(s) = states.get_mut(d as usize) {
                    *s = state;
                }
            }
            Note::Failed(error) => self.control.errors.push(error),
        }
    }

    /// Over as the simulated run is ([`World::run_over`]): every campaign over and every
    /// device idle, or quiet for the quiet period with nothing due.
    fn live_over(&self, states: &[LiveState]) -> bool {
        if !self.control.errors.is_empty() {
            return true;
        }
        if self.control.finished() && states.iter().all(|s| *s == LiveState::Idle) {
            return true;
        }
        let quiet = self.scenario.campaign.quiet_minutes.saturating_mul(60_000);
        let nothing_due = !states
            .iter()
            .any(|s| matches!(s, LiveState::Down | LiveState::Offline))
            && !self.control.soaking()
            && self.service.engine().poll_timeout().is_none();
        nothing_due && self.now >= self.control.last_activity.saturating_add(quiet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_are_host_and_port() {
        assert_eq!(
            host_port("mqtt://127.0.0.1:1883"),
            Some(("127.0.0.1".into(), 1883))
        );
        assert_eq!(host_port("mqtt://[::1]:1883/"), Some(("::1".into(), 1883)));
        for bad in [
            "mqtts://h:8883",
            "mqtt://h",
            "mqtt://:1883",
            "mqtt://h:x",
            "h:1",
        ] {
            assert_eq!(host_port(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_live_clock_scales_wall_time() {
        let clock = LiveClock {
            origin: Instant::now(),
            speed: 60,
        };
        assert_eq!(
            clock.instant(START + 60_000),
            clock.origin + Duration::from_secs(1)
        );
        assert!(clock.sim_now() >= START);
    }
}
