#!/bin/sh
# Run every benchmark that has a baseline, each baseline measured in the same run on the
# same machine, and print one Markdown table: ours, the baseline, and ours / baseline.
# Nothing is asserted: these machines are shared and noisy; read the ratios.
#
#   crypto      ota-core/benches/crypto.rs with each verification provider (the default
#               RustCrypto code, feature aws-lc) against `openssl speed` (bench-vs-openssl.sh)
#   documents   ota-core/benches/documents.rs: our strict no-alloc JSON against serde_json
#   update      ota-device/benches/update.rs: a 1 MiB update through the client against
#               SHA-256 of the same MiB
#   engine      ota-cloud/benches/engine_scale.rs: data-plane updates over 1,000,000 things
#               against a bare HashMap<String, _>; memory per execution (heap and RSS)
#   durable     ota-cloud/benches/durable_load.rs: the SQLite-journaled engine against the
#               in-memory one; a restart against SQLite reading the same rows
#   gateway     ota-cloud/benches/gateway_mqtt.rs: Jobs round trips through the gateway
#               against a bare echo on the same broker (mosquitto when installed, and the
#               embedded rumqttd)
#   sim         `ota-sim run large` (100,000 devices) with each provider: wall time and peak
#               RSS (RSS needs /usr/bin/time)
#
# Usage: scripts/bench.sh [PART...]   (default: every part, in the order above)
# Environment: CRITERION_ARGS (default "--warm-up-time 2 --measurement-time 5" for the
#              short benches), OPENSSL_SECONDS, CARGO_TARGET_DIR, as bench-vs-openssl.sh.
# Needs: cargo, openssl, awk, sed. Takes about 15 minutes on 2 cores.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
criterion_args=${CRITERION_ARGS:---warm-up-time 2 --measurement-time 5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
parts=${*:-crypto documents update engine durable gateway sim}
rows="$tmp/rows"
: > "$rows"

# median <group/bench>: criterion's median, nanoseconds per iteration.
median() {
    f="$target/criterion/$1/new/estimates.json"
    [ -f "$f" ] || { echo "no estimate for $1 ($f)" >&2; return 1; }
    sed -n 's/.*"median":{"confidence_interval":{[^}]*},"point_estimate":\([0-9.eE+-]*\).*/\1/p' "$f"
}

# row <part> <what> <ours> <baseline name> <baseline> <unit>: ours and the baseline in
# <unit> (ns per iteration, or any unit both share); the ratio is ours / baseline.
row() {
    awk -v part="$1" -v what="$2" -v ours="$3" -v bname="$4" -v base="$5" -v unit="$6" '
    function show(v) {
        if (unit == "ns") {
            if (v >= 1e9) return sprintf("%.2f s", v / 1e9)
            if (v >= 1e6) return sprintf("%.2f ms", v / 1e6)
            if (v >= 1e3) return sprintf("%.1f us", v / 1e3)
            return sprintf("%.0f ns", v)
        }
        return sprintf("%.1f %s", v, unit)
    }
    BEGIN { printf "| %s | %s | %s | %s: %s | %.2fx |\n", part, what, show(ours), bname, show(base), ours / base }' >> "$rows"
}

bench() { # bench <cargo args...>: run a criterion bench quietly, its output kept on failure
    (cd "$root" && cargo bench -q "$@") > "$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
}

for part in $parts; do
    echo "== $part" >&2
    case $part in
    crypto)
        CRITERION_ARGS=$criterion_args "$root/scripts/bench-vs-openssl.sh" > "$tmp/crypto"
        # The table's rows: | operation | OpenSSL | RustCrypto | x | AWS-LC | x |
        awk -F' [|] ' '/^[|] (ECDSA|RSA)/ {
            gsub(/^[|] /, "", $1); gsub(/ [|]$/, "", $6)
            printf "| crypto | %s, RustCrypto (default) | %s | OpenSSL: %s | %s |\n", $1, $3, $2, $4
            printf "| crypto | %s, AWS-LC (`aws-lc`) | %s | OpenSSL: %s | %s |\n", $1, $5, $2, $6
        }
        /^[|] SHA-256/ {
            printf "| crypto | SHA-256 throughput, OpenSSL / ours (time ratio) | %s | OpenSSL: %s | %s |\n", $3, $2, $4
        }' "$tmp/crypto" >> "$rows"
        ;;
    documents)
        # shellcheck disable=SC2086 # criterion_args is a list of words
        bench -p ota-core --bench documents -- $criterion_args
        for g in afr_ota_job_doc_a afr_ota_multi_file get_pending_10_jobs; do
            row documents "$g, strict no-alloc parser" "$(median $g/strict_no_alloc)" \
                serde_json "$(median $g/serde_json)" ns
        done
        ;;
    update)
        bench -p ota-device --all-features --bench update
        for b in 1 4; do
            row update "1 MiB through the client, ${b} KiB blocks" \
                "$(median update_1MiB/client_cbor_${b}KiB_blocks)" \
                "SHA-256 of 1 MiB" "$(median update_1MiB/sha256_baseline)" ns
        done
        ;;
    engine)
        bench -p ota-cloud --bench engine_scale
        row engine "2,000,000 data-plane updates over 1,000,000 things" \
            "$(median engine_1M_things/data_plane_updates)" \
            "bare HashMap" "$(median engine_1M_things/bare_hashmap_updates)" ns
        # "resident memory per execution, <what>: A bytes when admitted, D when all SUCCEEDED"
        bare=$(sed -n 's/^resident memory per execution, bare.*: [0-9.]* bytes when admitted, \([0-9.]*\) when.*/\1/p' "$tmp/out")
        for what in "execution events kept (the default)" "execution events not kept"; do
            ours=$(grep -F "resident memory per execution, engine, $what:" "$tmp/out" |
                sed -n 's/.*, \([0-9.]*\) when all SUCCEEDED.*/\1/p')
            row engine "RSS per execution after two updates, $what" "$ours" \
                "bare HashMap" "$bare" B
        done
        ;;
    durable)
        bench -p ota-cloud --features sqlite,mqtt --bench durable_load
        row durable "an execution driven to the end, SQLite-journaled" \
            "$(median device_updates/sqlite_durable)" \
            "in-memory engine" "$(median device_updates/in_memory)" ns
        row durable "restart with 100,000 finished executions" \
            "$(median restart/reopen_100k_executions)" \
            "SQLite reading the rows" "$(median restart/read_rows_only)" ns
        ;;
    gateway)
        bench -p ota-cloud --features mqtt,broker --bench gateway_mqtt
        for broker in mosquitto rumqttd; do
            f="$target/criterion/gateway_jobs_roundtrip/$broker/new/estimates.json"
            if [ ! -f "$f" ] || ! grep -q "gateway_jobs_roundtrip/$broker" "$tmp/out"; then
                echo "| gateway | Jobs round trips on $broker | not measured (is it installed? scripts/peers-test.sh installs mosquitto) | | |" >> "$rows"
                continue
            fi
            row gateway "Jobs get round trips through the gateway, $broker" \
                "$(median gateway_jobs_roundtrip/$broker)" \
                "a bare echo" "$(median ${broker}_baseline/echo_roundtrip)" ns
        done
        ;;
    sim)
        for features in "" "--features aws-lc"; do
            # shellcheck disable=SC2086 # features is a list of words
            (cd "$root" && cargo build -q --release -p ota-sim $features)
            name=${features:+aws-lc}
            name=${name:-rustcrypto}
            if [ -x /usr/bin/time ]; then
                /usr/bin/time -f "peak-rss-kb %M" -o "$tmp/time-$name" \
                    "$target/release/ota-sim" run large --no-replay > "$tmp/sim-$name"
            else
                "$target/release/ota-sim" run large --no-replay > "$tmp/sim-$name"
                echo "peak-rss-kb 0" > "$tmp/time-$name"
            fi
        done
        wall() { sed -n 's/^wall time \([0-9.]*\) s.*/\1/p' "$tmp/sim-$1"; }
        rss() { awk '/^peak-rss-kb/ { print $2 / 1024 }' "$tmp/time-$1"; }
        row sim "ota-sim run large (100,000 devices) wall, AWS-LC" "$(wall aws-lc)" \
            "RustCrypto" "$(wall rustcrypto)" s
        if [ "$(rss aws-lc)" != 0 ]; then
            row sim "ota-sim run large peak RSS, AWS-LC" "$(rss aws-lc)" \
                "RustCrypto" "$(rss rustcrypto)" MB
        fi
        ;;
    *)
        echo "unknown part: $part (crypto documents update engine durable gateway sim)" >&2
        exit 2
        ;;
    esac
done

echo "Machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)," \
    "$(nproc 2>/dev/null || echo '?') CPUs; $(rustc --version)"
echo
echo "| part | measure | ours | baseline (same run) | ours / baseline |"
echo "| --- | --- | --- | --- | --- |"
cat "$rows"
