//! The network: every message is bytes (a topic and a payload), delayed by a latency drawn
//! per message (so messages reorder), lost or duplicated with the scenario's probabilities,
//! and dropped while either end is offline.
//!
//! Requests, replies and stream blocks are QoS 0 (the client retries what gets no reply).
//! The service's pushes (`notify`, `notify-next`) are QoS 1, as a device subscribes to them:
//! a lost delivery is sent again by the broker after [`QOS1_RETRY_MS`] while the device stays
//! connected (up to 20 times), so they arrive late rather than not at all. Persistent sessions are not modelled:
//! a device offline when a push is sent misses it, and asks again when it reconnects.

use crate::rng::SimRng;
use crate::scenario::NetworkSpec;

/// A message in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// MQTT topic.
    pub topic: String,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

/// What the network does to one message: deliver it after these delays (none: lost; two:
/// duplicated).
pub fn deliveries(spec: &NetworkSpec, rng: &mut SimRng) -> Vec<u64> {
    if rng.chance(spec.loss) {
        return Vec::new();
    }
    let mut out = vec![rng.range(spec.latency_min_ms, spec.latency_max_ms)];
    if rng.chance(spec.duplicate) {
        out.push(rng.range(spec.latency_min_ms, spec.latency_max_ms));
    }
    out
}

/// How long the broker waits for a QoS 1 acknowledgement before sending again.
pub const QOS1_RETRY_MS: u64 = 5_000;

/// What the network does to a QoS 1 push: every lost attempt costs a retry interval; the
/// first attempt that gets through is delivered (and may be duplicated). After 20 lost
/// retries (100 s) the broker gives up and the push is lost.
pub fn deliveries_qos1(spec: &NetworkSpec, rng: &mut SimRng) -> Vec<u64> {
    let mut waited = 0;
    loop {
        let d = deliveries(spec, rng);
        if !d.is_empty() || waited >= 20 * QOS1_RETRY_MS {
            return d.into_iter().map(|ms| ms + waited).collect();
        }
        waited += QOS1_RETRY_MS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Latency between 10 and 50 ms, with `loss` and `duplicate`.
    fn spec_10_to_50_ms(loss: f64, duplicate: f64) -> NetworkSpec {
        NetworkSpec {
            latency_min_ms: 10,
            latency_max_ms: 50,
            loss,
            duplicate,
        }
    }

    #[test]
    fn loss_duplication_and_latency_bounds() {
        let spec = spec_10_to_50_ms(0.1, 0.05);
        let mut rng = SimRng::new(3);
        let (mut lost, mut dup) = (0, 0);
        for _ in 0..10_000 {
            let d = deliveries(&spec, &mut rng);
            match d.len() {
                0 => lost += 1,
                2 => dup += 1,
                _ => {}
            }
            assert!(d.iter().all(|&ms| (10..=50).contains(&ms)));
        }
        assert!((800..1200).contains(&lost), "{lost}");
        assert!((300..700).contains(&dup), "{dup}");
    }

    #[test]
    fn qos1_pushes_arrive_late_instead_of_never() {
        let spec = spec_10_to_50_ms(0.5, 0.0);
        let mut rng = SimRng::new(4);
        let mut late = 0;
        for _ in 0..1000 {
            let d = deliveries_qos1(&spec, &mut rng);
            assert_eq!(d.len(), 1);
            if d[0] > 50 {
                assert!(d[0] >= QOS1_RETRY_MS + 10);
                late += 1;
            }
        }
        assert!((400..600).contains(&late), "{late}");
    }
}
