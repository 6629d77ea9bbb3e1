//! Crypto benchmarks, compared with `openssl speed` by `scripts/bench-vs-openssl.sh`.
//!
//! Signature benches time verification of a precomputed digest (what `openssl speed` times);
//! the SHA-256 bench streams 1 MiB in 4 KiB chunks, as a device hashes an image. The
//! verification group is named for the provider the build verifies with: `verify` (the
//! portable RustCrypto code) or, with feature `aws-lc`, `verify-aws-lc`, so one target
//! directory keeps both runs' estimates.

use core::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ota_core::crypto::{
    Algorithm, Digest, HashAlgorithm, Hasher, PublicKey, SignatureEncoding, TrustedKey,
};

const MESSAGE: &[u8] = include_bytes!("../tests/fixtures/openssl/message.bin");

fn key(spki: &[u8], algorithm: Algorithm) -> TrustedKey {
    TrustedKey::new(
        PublicKey::from_spki_der(spki).expect("fixture key"),
        algorithm,
    )
    .expect("algorithm fits key")
}

fn sha256(c: &mut Criterion) {
    let image = vec![0xa5u8; 1 << 20];
    let mut group = c.benchmark_group("sha256");
    group.throughput(Throughput::Bytes(image.len() as u64));
    group.bench_function("1MiB_in_4KiB_chunks", |b| {
        b.iter(|| {
            let mut hasher = Hasher::new(HashAlgorithm::Sha256);
            for chunk in black_box(&image).chunks(4096) {
                hasher.update(chunk);
            }
            black_box(hasher.finalize())
        });
    });
    group.finish();
}

fn verify(c: &mut Criterion) {
    let digest = Digest::sha256(MESSAGE);
    let cases: [(&str, TrustedKey, &[u8]); 5] = [
        (
            "p256_der",
            key(
                include_bytes!("../tests/fixtures/openssl/p256_pub.der"),
                Algorithm::EcdsaP256Sha256,
            ),
            include_bytes!("../tests/fixtures/openssl/p256_sig.der"),
        ),
        (
            "rsa2048_pkcs1v15",
            key(
                include_bytes!("../tests/fixtures/openssl/rsa2048_pub.der"),
                Algorithm::RsaPkcs1v15Sha256,
            ),
            include_bytes!("../tests/fixtures/openssl/rsa2048_pkcs1v15_sig.bin"),
        ),
        (
            "rsa3072_pkcs1v15",
            key(
                include_bytes!("../tests/fixtures/openssl/rsa3072_pub.der"),
                Algorithm::RsaPkcs1v15Sha256,
            ),
            include_bytes!("../tests/fixtures/openssl/rsa3072_pkcs1v15_sig.bin"),
        ),
        (
            "rsa2048_pss32",
            key(
                include_bytes!("../tests/fixtures/openssl/rsa2048_pub.der"),
                Algorithm::RSA_PSS_SHA256,
            ),
            include_bytes!("../tests/fixtures/openssl/rsa2048_pss32_sig.bin"),
        ),
        (
            "p256_raw",
            key(
                include_bytes!("../tests/fixtures/openssl/p256_pub.der"),
                Algorithm::EcdsaP256Sha256,
            ),
            &p256::ecdsa::Signature::from_der(include_bytes!(
                "../tests/fixtures/openssl/p256_sig.der"
            ))
            .expect("fixture signature")
            .to_bytes(),
        ),
    ];
    let provider = if cfg!(feature = "aws-lc") {
        "verify-aws-lc"
    } else {
        "verify"
    };
    let mut group = c.benchmark_group(provider);
    for (name, key, signature) in &cases {
        let encoding = if *name == "p256_raw" {
            SignatureEncoding::Raw
        } else {
            SignatureEncoding::Der
        };
        key.verify_digest(&digest, signature, encoding)
            .expect("fixture signature verifies");
        group.bench_function(*name, |b| {
            b.iter(|| key.verify_digest(black_box(&digest), black_box(signature), encoding));
        });
    }
    group.finish();
}

criterion_group!(benches, sha256, verify);
criterion_main!(benches);
