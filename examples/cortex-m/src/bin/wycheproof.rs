//! Wycheproof's ECDSA P-256 SHA-256 vectors on the target, through ota-core's public API as
//! `ota-core/tests/wycheproof.rs` runs them on the host: every group's key through
//! `PublicKey::from_spki_der` and `TrustedKey::new(.., Algorithm::EcdsaP256Sha256)`, every
//! case through `TrustedKey::verify_message` (DER file: `SignatureEncoding::Der`; P1363 file:
//! `SignatureEncoding::Raw`). `valid` must verify, `invalid` must fail (a key parse error
//! counts as a failure); there are no `acceptable` cases in these files (their policy would
//! be: reject). Valid signatures are also checked with `require_low_s(true)`, to count the
//! high-S ones as the host test does, and each group's key is decoded again from its
//! compressed SEC1 form (`PublicKey::from_sec1`), which must give the same key (the host test
//! does not do this).
//!
//! The vectors are `ota-core/tests/vectors/wycheproof/*.json`, turned into compact tables by
//! `build.rs` (feature `wycheproof`). Prints the host test's lines and exits 0 when every
//! case gives the expected outcome and the counts are the host test's; otherwise prints
//! each mismatch and exits 1. Built for the Cortex-M3 (portable P-256) and the Cortex-M4
//! (portable, `p256-cm4`, and the stand-in accelerator of `p256-accelerator`, which it
//! installs first) by `scripts/qemu-firmware.sh`.
#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use ota_core::crypto::{Algorithm, CryptoError, PublicKey, SignatureEncoding, TrustedKey};
use ota_cortex_m::{INSTRUCTIONS_PER_TICK, stack_usage, start_systick, systick_ticks};
use panic_semihosting as _;

static DER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wycheproof_der.bin"));
static P1363: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wycheproof_p1363.bin"));

/// A reader over one table (format: `build.rs`, `wycheproof_table`).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn u8(&mut self) -> u8 {
        self.bytes(1)[0]
    }
    fn u16(&mut self) -> usize {
        let b = self.bytes(2);
        usize::from(u16::from_le_bytes([b[0], b[1]]))
    }
    fn field(&mut self) -> &'a [u8] {
        let n = self.u16();
        self.bytes(n)
    }
}

/// Outcome counts for one file, as the host test keeps them.
#[derive(Default)]
struct Tally {
    valid: usize,
    valid_accepted: usize,
    invalid: usize,
    invalid_rejected: usize,
    acceptable: usize,
    acceptable_accepted: usize,
    high_s_valid: usize,
    mismatches: usize,
    verify_calls: usize,
    keys: usize,
    compressed_same: usize,
}

fn run(name: &str, table: &[u8], encoding: SignatureEncoding) -> Tally {
    let mut t = Tally::default();
    let mut r = Reader(table);
    for _ in 0..r.u16() {
        let spki = r.field();
        let key = PublicKey::from_spki_der(spki)
            .and_then(|k| TrustedKey::new(k, Algorithm::EcdsaP256Sha256));
        // The same point compressed (`02`/`03` ‖ x, from the SPKI's `04` ‖ x ‖ y) must decode
        // to the same key: point decompression is the backend's too.
        if let Ok(k) = &key {
            let point = &spki[spki.len() - 65..];
            let mut compressed = [0u8; 33];
            compressed[0] = 0x02 | (point[64] & 1);
            compressed[1..].copy_from_slice(&point[1..33]);
            t.keys += 1;
            match PublicKey::from_sec1(&compressed) {
                Ok(c) if c.key_id() == k.key_id() => t.compressed_same += 1,
                other => {
                    t.mismatches += 1;
                    hprintln!(
                        "MISMATCH {}: compressed key decodes to {:?}",
                        name,
                        other.map(|c| c.key_id())
                    );
                }
            }
        }
        let strict = key.clone().map(|k| k.require_low_s(true));
        for _ in 0..r.u16() {
            let tc_id = r.u16();
            let result = r.u8();
            let (msg, sig) = (r.field(), r.field());
            let check = |key: &Result<TrustedKey, CryptoError>| {
                let key = key.as_ref().map_err(|e| *e)?;
                key.verify_message(msg, sig, encoding)
            };
            let outcome = check(&key);
            t.verify_calls += 1;
            let ok = outcome.is_ok();
            let good = match result {
                0 => {
                    t.valid += 1;
                    t.valid_accepted += usize::from(ok);
                    t.verify_calls += 1;
                    if check(&strict) == Err(CryptoError::HighS) {
                        t.high_s_valid += 1;
                    }
                    ok
                }
                1 => {
                    t.invalid += 1;
                    t.invalid_rejected += usize::from(!ok);
                    !ok
                }
                _ => {
                    // Policy for `acceptable`: reject (as the host test).
                    t.acceptable += 1;
                    t.acceptable_accepted += usize::from(ok);
                    !ok
                }
            };
            if !good {
                t.mismatches += 1;
                let expected = ["valid", "invalid", "acceptable"][usize::from(result.min(2))];
                hprintln!(
                    "MISMATCH {}: tcId {} expected {}, got {:?}",
                    name,
                    tc_id,
                    expected,
                    outcome
                );
            }
        }
    }
    assert!(r.0.is_empty(), "trailing bytes in the table");
    hprintln!(
        "wycheproof {}: {} cases; valid {}/{} accepted; invalid {}/{} rejected; acceptable {} ({} accepted, {} rejected)",
        name,
        t.valid + t.invalid + t.acceptable,
        t.valid_accepted,
        t.valid,
        t.invalid_rejected,
        t.invalid,
        t.acceptable,
        t.acceptable_accepted,
        t.acceptable - t.acceptable_accepted,
    );
    hprintln!(
        "wycheproof {}: {} keys, {} decoded the same from their compressed form",
        name,
        t.keys,
        t.compressed_same
    );
    hprintln!(
        "wycheproof {}: {} valid signatures are high-S (accepted by default, refused with require_low_s)",
        name,
        t.high_s_valid
    );
    t
}

#[entry]
fn main() -> ! {
    let mut cp = cortex_m::Peripherals::take().unwrap();
    #[cfg(feature = "p256-accelerator")]
    ota_cortex_m::accelerator::install().unwrap();
    start_systick(&mut cp.SYST);
    let start = systick_ticks();
    let der = run(
        "ecdsa_secp256r1_sha256_test.json",
        DER,
        SignatureEncoding::Der,
    );
    let p1363 = run(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        P1363,
        SignatureEncoding::Raw,
    );
    let ticks = systick_ticks() - start;
    let (stack, used) = stack_usage();
    // The host test's assertions (ota-core/tests/wycheproof.rs), and the 70 high-S P1363
    // signatures it prints.
    let counts = [
        (der.valid, 174),
        (der.invalid, 310),
        (der.acceptable, 0),
        (der.high_s_valid, 71),
        (p1363.valid, 173),
        (p1363.invalid, 89),
        (p1363.acceptable, 0),
        (der.keys, 113),
        (p1363.keys, 112),
    ];
    let counts_ok = counts.iter().all(|(got, want)| got == want) && p1363.high_s_valid == 70;
    let mismatches = der.mismatches + p1363.mismatches;
    hprintln!(
        "wycheproof: {} verifications in {} instructions; stack {} of {} bytes",
        der.verify_calls + p1363.verify_calls,
        ticks * INSTRUCTIONS_PER_TICK,
        used,
        stack
    );
    #[cfg(feature = "p256-accelerator")]
    hprintln!(
        "wycheproof: {} of them reached the P-256 accelerator (the others were refused before it)",
        ota_cortex_m::accelerator::calls()
    );
    if mismatches == 0 && counts_ok {
        hprintln!("WYCHEPROOF OK: every case as expected, the host test's counts");
        debug::exit(debug::EXIT_SUCCESS);
    } else {
        hprintln!(
            "WYCHEPROOF FAILED: {} mismatches; counts {}",
            mismatches,
            if counts_ok {
                "as the host's"
            } else {
                "differ from the host's"
            }
        );
        debug::exit(debug::EXIT_FAILURE);
    }
    loop {}
}

#[exception]
fn SysTick() {
    ota_cortex_m::on_systick();
}
