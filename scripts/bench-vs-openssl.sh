#!/bin/sh
# Compare ota-core's signature verification and hashing with OpenSSL on this machine.
#
# Runs `openssl speed` (SHA-256 over 16 KiB blocks; ECDSA P-256, RSA-2048, RSA-3072 verify) and
# the criterion bench `ota-core/benches/crypto.rs` twice in the same invocation, once with
# each verification provider (the default RustCrypto code, and feature `aws-lc`), then prints
# a Markdown table: OpenSSL, each provider, and how many times OpenSSL's time each takes.
#
# Usage: scripts/bench-vs-openssl.sh
# Environment: OPENSSL_SECONDS (default 3) seconds per `openssl speed` test;
#              CRITERION_ARGS (default "--warm-up-time 2 --measurement-time 5");
#              CARGO_TARGET_DIR (where criterion writes its estimates; default ./target).
# Needs: openssl, cargo, sed, awk. Uses criterion's median estimates.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
seconds=${OPENSSL_SECONDS:-3}
criterion_args=${CRITERION_ARGS:---warm-up-time 2 --measurement-time 5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "openssl speed (${seconds}s per test)..." >&2
openssl speed -mr -seconds "$seconds" -bytes 16384 sha256 > "$tmp/sha" 2>/dev/null
openssl speed -mr -seconds "$seconds" ecdsap256 rsa2048 rsa3072 > "$tmp/sig" 2>/dev/null

for features in "" "--features aws-lc"; do
    echo "criterion bench ${features:-(RustCrypto)}..." >&2
    # shellcheck disable=SC2086 # criterion_args and features are lists of words
    (cd "$root" && cargo bench -q -p ota-core $features --bench crypto -- $criterion_args) \
        > "$tmp/bench" 2>&1 || { cat "$tmp/bench" >&2; exit 1; }
done

# OpenSSL: bytes per second for SHA-256; verifies per second for the signatures.
ossl_sha=$(awk -F: '$1 == "+F" && $3 == "sha256" { print $4 }' "$tmp/sha")
ossl_verify() { # ossl_verify <record> <bits>
    awk -F: -v rec="$1" -v bits="$2" '$1 == rec && $3 == bits { print $5 }' "$tmp/sig"
}
ossl_p256=$(ossl_verify +F4 256)
ossl_rsa2048=$(ossl_verify +F2 2048)
ossl_rsa3072=$(ossl_verify +F2 3072)

# Ours: criterion median, in nanoseconds per iteration.
ours() {
    sed -n 's/.*"median":{"confidence_interval":{[^}]*},"point_estimate":\([0-9.eE+-]*\).*/\1/p' \
        "$target/criterion/$1/new/estimates.json"
}
ours_sha=$(ours sha256/1MiB_in_4KiB_chunks)
ours_p256=$(ours verify/p256_der)
ours_rsa2048=$(ours verify/rsa2048_pkcs1v15)
ours_rsa3072=$(ours verify/rsa3072_pkcs1v15)
ours_pss=$(ours verify/rsa2048_pss32)
lc_p256=$(ours verify-aws-lc/p256_der)
lc_rsa2048=$(ours verify-aws-lc/rsa2048_pkcs1v15)
lc_rsa3072=$(ours verify-aws-lc/rsa3072_pkcs1v15)
lc_pss=$(ours verify-aws-lc/rsa2048_pss32)

for v in "$ossl_sha" "$ossl_p256" "$ossl_rsa2048" "$ossl_rsa3072" "$ours_sha" "$ours_p256" \
    "$ours_rsa2048" "$ours_rsa3072" "$ours_pss" "$lc_p256" "$lc_rsa2048" "$lc_rsa3072" \
    "$lc_pss"; do
    [ -n "$v" ] || { echo "could not parse a result" >&2; exit 1; }
done

echo "Machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)," \
    "$(nproc 2>/dev/null || echo '?') CPUs; $(openssl version); $(rustc --version)"
echo
awk -v os="$ossl_sha" -v us="$ours_sha" \
    -v op="$ossl_p256" -v up="$ours_p256" \
    -v o2="$ossl_rsa2048" -v u2="$ours_rsa2048" \
    -v o3="$ossl_rsa3072" -v u3="$ours_rsa3072" -v upss="$ours_pss" \
    -v lp="$lc_p256" -v l2="$lc_rsa2048" -v l3="$lc_rsa3072" -v lpss="$lc_pss" '
function us_per(per_sec) { return 1e6 / per_sec }
function row(name, o, u, l) {
    printf "| %s | %.1f us | %.1f us | %.2fx | %.1f us | %.2fx |\n", name, o, u, u / o, l, l / o
}
BEGIN {
    print "| operation | OpenSSL | RustCrypto (default) | / OpenSSL (time) | AWS-LC (feature `aws-lc`) | / OpenSSL (time) |"
    print "| --- | --- | --- | --- | --- | --- |"
    ours_gbs = (1048576 / (us / 1e9)) / 1e9
    printf "| SHA-256 (OpenSSL 16 KiB blocks; ours 1 MiB in 4 KiB chunks, `sha2` with either provider) | %.2f GB/s | %.2f GB/s | %.2fx | | |\n", \
        os / 1e9, ours_gbs, (os / 1e9) / ours_gbs
    row("ECDSA P-256 verify (DER)", us_per(op), up / 1000, lp / 1000)
    row("RSA-2048 PKCS#1 v1.5 verify", us_per(o2), u2 / 1000, l2 / 1000)
    row("RSA-3072 PKCS#1 v1.5 verify", us_per(o3), u3 / 1000, l3 / 1000)
    row("RSA-2048 PSS (salt 32) verify (*)", us_per(o2), upss / 1000, lpss / 1000)
    print ""
    print "(*) OpenSSL column: `openssl speed rsa2048` (PKCS#1 v1.5); `openssl speed` has no PSS test."
}'
