//! Backend side of firmware updates: job model, rollout policy, an in-memory engine with
//! AWS IoT Jobs semantics, release signing.
//!
//! Not built yet: this crate currently holds only its dependency on `ota-core`, whose wire
//! types (job documents, manifests, Jobs payloads) a backend can already use.
