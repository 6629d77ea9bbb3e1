//! Code-signing chain verification on arbitrary certificates: the fuzzer supplies the leaf and
//! up to three intermediates (as raw DER, or as mutations of the committed fixtures), the roots
//! are the committed pinned roots. No panic; and since the fuzzer holds no CA key, a chain it
//! made up may verify only if it is byte-for-byte a committed valid chain.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ota_core::x509::{CodeSigningPolicy, verify_chain};

const ROOT_P256: &[u8] = include_bytes!("../../ota-core/tests/fixtures/x509/root-p256.der");
const ROOT_RSA: &[u8] = include_bytes!("../../ota-core/tests/fixtures/x509/root-rsa.der");
const INT_P256: &[u8] = include_bytes!("../../ota-core/tests/fixtures/x509/int-p256.der");
const INT_RSA: &[u8] = include_bytes!("../../ota-core/tests/fixtures/x509/int-rsa.der");
const LEAF_P256: &[u8] = include_bytes!("../../ota-core/tests/fixtures/x509/leaf-p256.der");
const LEAF_RSA: &[u8] = include_bytes!("../../ota-core/tests/fixtures/x509/leaf-rsa.der");
const GOOD: [&[u8]; 4] = [INT_P256, INT_RSA, LEAF_P256, LEAF_RSA];

#[derive(Debug, Arbitrary)]
enum Cert<'a> {
    Raw(&'a [u8]),
    /// A committed certificate with one byte changed.
    Mutated { which: u8, at: u16, xor: u8 },
    /// A committed certificate, unchanged.
    Good(u8),
}

impl Cert<'_> {
    fn bytes(&self) -> Vec<u8> {
        match *self {
            Cert::Raw(b) => b.to_vec(),
            Cert::Mutated { which, at, xor } => {
                let mut b = GOOD[usize::from(which) % GOOD.len()].to_vec();
                let i = usize::from(at) % b.len();
                b[i] ^= xor.max(1);
                b
            }
            Cert::Good(which) => GOOD[usize::from(which) % GOOD.len()].to_vec(),
        }
    }

    fn is_mutated_or_raw(&self) -> bool {
        !matches!(self, Cert::Good(_))
    }
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    leaf: Cert<'a>,
    intermediates: [Option<Cert<'a>>; 3],
    now: i64,
}

fuzz_target!(|input: Input<'_>| {
    let leaf = input.leaf.bytes();
    let intermediates: Vec<Vec<u8>> = input.intermediates.iter().flatten().map(Cert::bytes).collect();
    let refs: Vec<&[u8]> = intermediates.iter().map(Vec::as_slice).collect();
    let result = verify_chain(&leaf, &refs, &[ROOT_P256, ROOT_RSA], input.now, &CodeSigningPolicy::default());
    if result.is_ok() {
        // A made-up or mutated leaf cannot carry a valid signature.
        assert!(!input.leaf.is_mutated_or_raw() || GOOD.contains(&leaf.as_slice()), "forged leaf verified");
    }
});
