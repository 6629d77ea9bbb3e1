//! Feature `p256-accelerator` through the public API. One test accelerator is installed for
//! the whole binary (the slot is set once per process); each test thread tells it how to
//! answer (verification runs on the caller's thread) and reads back the calls it received:
//! - `RustCrypto`: RustCrypto's own `ecdsa` verifier (`VerifyingKey::verify_prehash`), not
//!   ota-core's code;
//! - `Portable`: ota-core's `PortableP256`;
//! - `Always(verdict)`: the same verdict whatever it is asked.
//!
//! Wycheproof's ECDSA P-256 files give the host test's counts through either verifier; what
//! ota-core decides before the accelerator (strict DER, r and s in 1..n-1, low-S) holds
//! against an accelerator that always says valid; one that always says invalid refuses
//! everything; a fault is refused. `p256_accelerator_missing.rs` has the case of none.

use std::cell::{Cell, RefCell};
use std::sync::Once;

use ota_core::crypto::{
    AlreadyInstalled, CryptoError, Digest, P256Accelerator, P256Point, P256Verdict, PortableP256,
    PublicKey, SignatureEncoding, TrustStore, TrustedKey, install_p256_accelerator,
    p256_accelerator,
};
use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
use p256::ecdsa::{Signature, VerifyingKey};

#[path = "common/wycheproof.rs"]
mod common;
#[path = "common/p256_key.rs"]
mod p256_key;
use common::{Tally, groups, hex, load, tests};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    RustCrypto,
    Portable,
    Always(P256Verdict),
}

/// One call, as the accelerator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    key: [u8; 65],
    digest: [u8; 32],
    r: [u8; 32],
    s: [u8; 32],
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::RustCrypto) };
    static CALLS: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
}

struct Switchboard;

impl P256Accelerator for Switchboard {
    fn verify_prehash(
        &self,
        key: &P256Point,
        digest: &[u8; 32],
        r: &[u8; 32],
        s: &[u8; 32],
    ) -> P256Verdict {
        CALLS.with_borrow_mut(|calls| {
            calls.push(Call {
                key: key.to_uncompressed(),
                digest: *digest,
                r: *r,
                s: *s,
            })
        });
        match MODE.get() {
            Mode::RustCrypto => rust_crypto(key, digest, r, s),
            Mode::Portable => PortableP256.verify_prehash(key, digest, r, s),
            Mode::Always(verdict) => verdict,
        }
    }
}

/// RustCrypto's verifier; `Fault` if the key or the scalars are not what the trait promises.
fn rust_crypto(key: &P256Point, digest: &[u8; 32], r: &[u8; 32], s: &[u8; 32]) -> P256Verdict {
    let (Ok(key), Ok(signature)) = (
        VerifyingKey::from_sec1_bytes(&key.to_uncompressed()),
        Signature::from_scalars(*r, *s),
    ) else {
        return P256Verdict::Fault;
    };
    if key.verify_prehash(digest, &signature).is_ok() {
        P256Verdict::Valid
    } else {
        P256Verdict::Invalid
    }
}

static SWITCHBOARD: Switchboard = Switchboard;

/// Install the switchboard (once per process) and set this thread's mode; forget the calls.
fn answer(mode: Mode) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| install_p256_accelerator(&SWITCHBOARD).expect("the first install"));
    MODE.set(mode);
    CALLS.take();
}

/// The calls since the last look.
fn calls() -> Vec<Call> {
    CALLS.take()
}

/// One Wycheproof case: its id, ota-core's outcome, and whether the accelerator was asked.
struct Case {
    id: u64,
    outcome: Result<(), CryptoError>,
    asked: bool,
}

/// Every case of an ECDSA P-256 file with the accelerator answering as `mode`.
fn wycheproof(name: &str, encoding: SignatureEncoding, mode: Mode) -> (Tally, Vec<Case>) {
    answer(mode);
    let file = load(name);
    let (mut tally, mut cases) = (Tally::default(), Vec::new());
    for group in groups(&file) {
        let key = PublicKey::from_spki_der(&hex(&group["publicKeyDer"]))
            .and_then(|k| TrustedKey::new(k, ota_core::crypto::Algorithm::EcdsaP256Sha256));
        for case in tests(group) {
            let outcome = key.as_ref().map_err(|e| *e).and_then(|key| {
                key.verify_message(&hex(&case["msg"]), &hex(&case["sig"]), encoding)
            });
            let asked = calls();
            assert!(
                asked.len() <= 1,
                "tcId {}: {} calls",
                case["tcId"],
                asked.len()
            );
            for call in &asked {
                assert!(
                    Signature::from_scalars(call.r, call.s).is_ok(),
                    "tcId {}: r or s out of range reached the accelerator",
                    case["tcId"]
                );
            }
            tally.record(case, outcome, false);
            cases.push(Case {
                id: case["tcId"].as_u64().expect("tcId"),
                outcome,
                asked: !asked.is_empty(),
            });
        }
    }
    (tally, cases)
}

const DER: &str = "ecdsa_secp256r1_sha256_test.json";
const P1363: &str = "ecdsa_secp256r1_sha256_p1363_test.json";

/// Both verifiers give the host test's counts, the same outcome for every case, and are
/// asked exactly for the cases that are well-formed (the others are refused as
/// `BadSignatureEncoding` without asking). Returns how many cases were asked.
fn same_counts(name: &str, encoding: SignatureEncoding, counts: (usize, usize)) -> usize {
    let (tally, rust_crypto) = wycheproof(name, encoding, Mode::RustCrypto);
    tally.report(name);
    tally.assert_counts(counts.0, counts.1, 0);
    let (tally, portable) = wycheproof(name, encoding, Mode::Portable);
    tally.report(name);
    tally.assert_counts(counts.0, counts.1, 0);
    for (a, b) in rust_crypto.iter().zip(&portable) {
        assert_eq!((a.id, a.outcome, a.asked), (b.id, b.outcome, b.asked));
        let decided_before = a.outcome == Err(CryptoError::BadSignatureEncoding);
        assert_eq!(a.asked, !decided_before, "tcId {}: {:?}", a.id, a.outcome);
    }
    let asked = rust_crypto.iter().filter(|c| c.asked).count();
    println!(
        "{name}: {asked} of {} cases reached the accelerator",
        rust_crypto.len()
    );
    asked
}

#[test]
fn wycheproof_der_gives_the_same_counts_through_the_accelerator() {
    assert_eq!(same_counts(DER, SignatureEncoding::Der, (174, 310)), 197);
}

#[test]
fn wycheproof_p1363_gives_the_same_counts_through_the_accelerator() {
    assert_eq!(same_counts(P1363, SignatureEncoding::Raw, (173, 89)), 191);
}

#[test]
fn always_valid_still_refuses_what_is_decided_before_it() {
    for (name, encoding) in [
        (DER, SignatureEncoding::Der),
        (P1363, SignatureEncoding::Raw),
    ] {
        let (_, honest) = wycheproof(name, encoding, Mode::RustCrypto);
        let (_, yes) = wycheproof(name, encoding, Mode::Always(P256Verdict::Valid));
        let mut refused = 0;
        for (h, y) in honest.iter().zip(&yes) {
            if h.asked {
                // The accelerator's verdict is what decides these: all accepted now.
                assert_eq!(y.outcome, Ok(()), "tcId {}", y.id);
            } else {
                assert_eq!(y.outcome, h.outcome, "tcId {}", y.id);
                assert!(!y.asked);
                refused += 1;
            }
        }
        println!("{name}: {refused} cases refused by ota-core against an always-valid accelerator");
        assert!(refused > 0);
    }

    // Out of range, malformed, or high-S against a key requiring low-S: never asked.
    answer(Mode::Always(P256Verdict::Valid));
    let (signing, key) = p256_key::p256_key();
    let digest = Digest::sha256(b"firmware");
    let signature: Signature = signing.sign_prehash(digest.as_bytes()).unwrap();
    let (r, s) = (signature.r().to_bytes(), signature.s().to_bytes());
    let n = hex_32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let n_plus_1 = hex_32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632552");
    let raw = |r: &[u8], s: &[u8]| [r, s].concat();
    let refused_raw = [
        raw(&[0; 32], &s),
        raw(&r, &[0; 32]),
        raw(&n, &s),
        raw(&r, &n),
        raw(&n_plus_1, &s),
        raw(&[0xff; 32], &s),
        raw(&r, &[0xff; 32]),
        raw(&r, &s[..31]),
    ];
    for sig in &refused_raw {
        assert_eq!(
            key.verify_digest(&digest, sig, SignatureEncoding::Raw),
            Err(CryptoError::BadSignatureEncoding)
        );
    }
    let der = signature.to_der().as_bytes().to_vec();
    let mut trailing = der.clone();
    trailing.push(0);
    let mut long_form = vec![0x30, 0x81];
    long_form.extend_from_slice(&der[1..]);
    let mut wrong_tag = der.clone();
    wrong_tag[0] = 0x31;
    let zero_r = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
    let negative_r = [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01];
    let padded_r = [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01];
    let refused_der: [&[u8]; 8] = [
        &trailing,
        &long_form,
        &wrong_tag,
        &der[..der.len() - 1],
        &zero_r,
        &negative_r,
        &padded_r,
        &[],
    ];
    for sig in refused_der {
        assert_eq!(
            key.verify_digest(&digest, sig, SignatureEncoding::Der),
            Err(CryptoError::BadSignatureEncoding),
            "{sig:02x?}"
        );
    }
    let (r_scalar, s_scalar) = signature.split_scalars();
    let high_s = Signature::from_scalars(r_scalar, -s_scalar).unwrap();
    let high_s = if signature.normalize_s() == signature {
        high_s
    } else {
        signature
    };
    assert_eq!(
        key.clone().require_low_s(true).verify_digest(
            &digest,
            &high_s.to_bytes(),
            SignatureEncoding::Raw
        ),
        Err(CryptoError::HighS)
    );
    assert_eq!(calls(), []);

    // The control: a well-formed signature that does not verify is accepted by this
    // accelerator, so the refusals above are ota-core's, not the accelerator's.
    let mut one = [0u8; 32];
    one[31] = 1;
    key.verify_digest(&digest, &raw(&one, &one), SignatureEncoding::Raw)
        .unwrap();
    assert_eq!(calls().len(), 1);
}

#[test]
fn always_invalid_refuses_everything() {
    for (name, encoding) in [
        (DER, SignatureEncoding::Der),
        (P1363, SignatureEncoding::Raw),
    ] {
        let (tally, cases) = wycheproof(name, encoding, Mode::Always(P256Verdict::Invalid));
        assert_eq!(tally.valid_accepted, 0);
        assert_eq!(tally.invalid_rejected, tally.invalid);
        for case in cases.iter().filter(|c| c.asked) {
            assert_eq!(case.outcome, Err(CryptoError::SignatureInvalid));
        }
        assert!(cases.iter().all(|c| c.outcome.is_err()));
    }
    let (signing, key) = p256_key::p256_key();
    let digest = Digest::sha256(b"firmware");
    let signature: Signature = signing.sign_prehash(digest.as_bytes()).unwrap();
    let mut store = TrustStore::<2>::new();
    store.add(key).unwrap();
    answer(Mode::RustCrypto);
    store
        .verify_digest(
            None,
            &digest,
            signature.to_der().as_bytes(),
            SignatureEncoding::Der,
        )
        .unwrap();
    answer(Mode::Always(P256Verdict::Invalid));
    assert_eq!(
        store
            .verify_digest(
                None,
                &digest,
                signature.to_der().as_bytes(),
                SignatureEncoding::Der
            )
            .err(),
        Some(CryptoError::SignatureInvalid)
    );
    assert_eq!(calls().len(), 1);
}

#[test]
fn a_fault_is_refused() {
    answer(Mode::Always(P256Verdict::Fault));
    let (signing, key) = p256_key::p256_key();
    let digest = Digest::sha256(b"firmware");
    let signature: Signature = signing.sign_prehash(digest.as_bytes()).unwrap();
    assert_eq!(
        key.verify_digest(&digest, &signature.to_bytes(), SignatureEncoding::Raw),
        Err(CryptoError::P256AcceleratorFault)
    );
    assert_eq!(calls().len(), 1);
}

#[test]
fn the_accelerator_is_given_the_key_the_digest_and_padded_scalars() {
    answer(Mode::RustCrypto);
    let (signing, key) = p256_key::p256_key();
    let point = signing.verifying_key().to_sec1_point(false);
    // A message whose signature's r has a leading zero byte: DER writes it in 31 bytes
    // or fewer, the accelerator must get it as 32.
    let (digest, signature) = (0u32..)
        .map(|i| {
            let digest = Digest::sha256(&i.to_le_bytes());
            let signature: Signature = signing.sign_prehash(digest.as_bytes()).unwrap();
            (digest, signature)
        })
        .find(|(_, signature)| signature.r().to_bytes()[0] == 0)
        .unwrap();
    let der = signature.to_der();
    assert!(der.as_bytes()[3] < 32, "r takes fewer than 32 bytes in DER");
    key.verify_digest(&digest, der.as_bytes(), SignatureEncoding::Der)
        .unwrap();
    let expected = Call {
        key: point.as_bytes().try_into().unwrap(),
        digest: digest.as_bytes().try_into().unwrap(),
        r: signature.r().to_bytes().into(),
        s: signature.s().to_bytes().into(),
    };
    assert_eq!(calls(), [expected]);
    // Another digest: refused by the accelerator's verdict.
    assert_eq!(
        key.verify_digest(
            &Digest::sha256(b"other"),
            der.as_bytes(),
            SignatureEncoding::Der
        ),
        Err(CryptoError::SignatureInvalid)
    );
    assert_eq!(calls().len(), 1);
}

#[test]
fn a_second_install_is_refused_and_the_first_stays() {
    struct Other;
    impl P256Accelerator for Other {
        fn verify_prehash(
            &self,
            _: &P256Point,
            _: &[u8; 32],
            _: &[u8; 32],
            _: &[u8; 32],
        ) -> P256Verdict {
            P256Verdict::Valid
        }
    }
    static OTHER: Other = Other;
    answer(Mode::Always(P256Verdict::Invalid));
    assert_eq!(install_p256_accelerator(&OTHER), Err(AlreadyInstalled));
    assert!(p256_accelerator().is_some());
    let (signing, key) = p256_key::p256_key();
    let digest = Digest::sha256(b"firmware");
    let signature: Signature = signing.sign_prehash(digest.as_bytes()).unwrap();
    assert_eq!(
        key.verify_digest(&digest, &signature.to_bytes(), SignatureEncoding::Raw),
        Err(CryptoError::SignatureInvalid)
    );
    assert_eq!(calls().len(), 1);
}

fn hex_32(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}
