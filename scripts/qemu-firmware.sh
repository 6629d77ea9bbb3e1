#!/usr/bin/env bash
# Builds the firmware in examples/cortex-m and runs it under QEMU, first on a Cortex-M3
# (lm3s6965evb):
#
#   ota-update                     a complete signed update, must exit 0 and print "OTA OK:"
#   ota-update +tamper-signature   must exit 1, the job REJECTED with bad_signature
#   ota-update +tamper-image       must exit 1, the job FAILED with image_hash_mismatch
#   ota-update +force-panic        must exit 1 (panic handler)
#   ota-update +force-fault        must exit 1 (HardFault handler)
#   empty, client-only             size baselines, must exit 0
#   ota-update, client-only +afr-ota,json-streams   the same with ota-device's default
#                                  features (AWS afr_ota documents, JSON stream messages),
#                                  which this firmware leaves out by default
#   ota-update, client-only +defmt   ota-device's log lines as defmt frames (every line:
#                                  DEFMT_LOG=debug) on the semihosting stdout: must exit 0
#                                  with "OTA OK:" / "CLIENT-ONLY OK", the update with frames
#   ota-update +threshold-2of3     three release keys, two must sign: the document signed by
#                                  a and co-signed by b, must exit 0 with "OTA OK:"
#   ota-update +threshold-2of3,tamper-signature   a's signature changed: must exit 1, the job
#                                  REJECTED with below_threshold
#   ota-update +rotation           a trust_update job (root 2, signed by 2 of 3 root keys, a
#                                  new release key) applied and stored, a reset, then the
#                                  firmware job signed by the new release key: must exit 0
#   ota-update +rotation,tamper-signature   root key 1's signature on the trust update
#                                  changed: must exit 1, REJECTED with below_threshold
#   client-only +threshold-2of3, +rotation   the client's flash with what those need
#   wycheproof                     ota-core's Wycheproof ECDSA P-256 SHA-256 vectors (DER and
#                                  P1363) on the target: every case as expected, the host
#                                  test's counts, must exit 0 with "WYCHEPROOF OK"
#
# and on a Cortex-M4 (QEMU mps2-an386, thumbv7em-none-eabi), with the portable P-256, with
# feature p256-cm4 (Cortex-M4 assembly) and with feature p256-accelerator (ota-core hands
# every P-256 verification to the application's accelerator: here a software stand-in that
# calls p256-cm4, src/accelerator.rs): ota-update, empty, client-only, ota-update
# +tamper-signature, +tamper-image, and wycheproof, with the same expectations (with the
# accelerator, the runs must also show it was asked, and ota-core's own P-256
# verification must be absent from the ELF);
#
# then prints Markdown tables of flash, RAM, stack and instruction counts.
#
# Needs Debian's rustc-web / cargo-web / rust-web-src (Rust 1.96 with the library sources for
# -Zbuild-std), rust-web-llvm + lld-22 (rust-lld, llvm-size-22) and qemu-system-arm; installs
# them when missing, and upgrades them when /usr/bin/rustc is older than the workspace's
# rust-version (as root, through apt-get). See examples/cortex-m/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FW="$ROOT/examples/cortex-m"

. scripts/lib/debian-rust.sh
ensure_debian_rust rustc-web cargo-web rust-web-src rust-web-llvm lld-22 qemu-system-arm

export RUSTC=/usr/bin/rustc    # else /usr/bin/cargo picks rustup's rustc, without rust-src
export RUSTC_BOOTSTRAP=1       # -Zbuild-std and -Zlocation-detail on the stable 1.96 compiler
CARGO=/usr/bin/cargo
# The firmware's .cargo/config.toml carries the target, the linker script and the flags;
# RUSTFLAGS from the environment would replace them.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET
TARGET=thumbv7m-none-eabi
TARGET_DIR="$FW/target"
OUT="$TARGET_DIR/qemu-firmware"
ELF_DIR="$TARGET_DIR/$TARGET/release"
mkdir -p "$OUT"

# The Cortex-M4 build: its own target (build.rs gives it memory-mps2-an386.x).
M4_TARGET=thumbv7em-none-eabi
M4_ELF_DIR="$TARGET_DIR/$M4_TARGET/release"

# The same machines as the runners in examples/cortex-m/.cargo/config.toml: lm3s6965evb
# (Cortex-M3), or mps2-an386 (Cortex-M4) for ELFs named m4-*.
qemu() { # qemu ELF
  local cpu=cortex-m3 machine=lm3s6965evb
  case $(basename "$1") in m4-*) cpu=cortex-m4 machine=mps2-an386 ;; esac
  timeout 60 qemu-system-arm -cpu $cpu -machine $machine -icount shift=0 -nographic \
    -semihosting-config enable=on,target=native -kernel "$1"
}

build() { # build FEATURES [CARGO ARGS...]: release build of every binary (or of those named)
  local features="${1:-}"
  shift || true
  (cd "$FW" && "$CARGO" build --release --locked --target-dir "$TARGET_DIR" \
    ${features:+--features "$features"} "$@")
}

build_m4() { # build_m4 FEATURES [CARGO ARGS...]: the Cortex-M4 release build
  local features="${1:-}"
  shift || true
  (cd "$FW" && "$CARGO" build --release --locked --target-dir "$TARGET_DIR" --target "$M4_TARGET" \
    ${features:+--features "$features"} "$@")
}

run() { # run NAME ELF: stdout to $OUT/NAME.out, stderr to $OUT/NAME.err; prints the exit code
  local rc=0
  qemu "$2" >"$OUT/$1.out" 2>"$OUT/$1.err" || rc=$?
  echo "$rc"
}

fail=0
codes=""
expect() { # expect NAME WANTED_RC GOT_RC PATTERN...: the exit code, and a line for each pattern
  local name=$1 want=$2 got=$3 pattern missing=""
  shift 3
  codes="$codes${codes:+, }$name $got"
  for pattern in "$@"; do
    grep -q -- "$pattern" "$OUT/$name.out" || missing="$missing${missing:+; }$pattern"
  done
  if [ "$got" = "$want" ] && [ -z "$missing" ]; then
    echo "qemu-firmware: $name: exit $got, as expected: $(grep -m1 -- "$1" "$OUT/$name.out")"
  else
    echo "qemu-firmware: $name: FAILED: exit $got (wanted $want), output lacks: ${missing:-nothing}" >&2
    sed 's/^/  stdout: /' "$OUT/$name.out" >&2
    grep -v 'Timer with period zero' "$OUT/$name.err" | sed 's/^/  stderr: /' >&2 || true
    fail=1
  fi
}

echo "qemu-firmware: building (first build compiles core for $TARGET: about a minute)"
build ""
for bin in ota-update empty client-only; do
  cp "$ELF_DIR/$bin" "$OUT/$bin.elf"
done
expect ota-update 0 "$(run ota-update "$OUT/ota-update.elf")" '^OTA OK: ' \
  '^manifest check: .*; signed by 1 of 1 release keys, threshold 1;'
expect empty 0 "$(run empty "$OUT/empty.elf")" '^EMPTY OK'
expect client-only 0 "$(run client-only "$OUT/client-only.elf")" '^CLIENT-ONLY OK'

# Each later build links only the binaries it runs (a fat-LTO link each).
build afr-ota,json-streams --bin ota-update --bin client-only
cp "$ELF_DIR/ota-update" "$OUT/ota-update-defaults.elf"
cp "$ELF_DIR/client-only" "$OUT/client-only-defaults.elf"
expect ota-update-defaults 0 "$(run ota-update-defaults "$OUT/ota-update-defaults.elf")" '^OTA OK: '
expect client-only-defaults 0 "$(run client-only-defaults "$OUT/client-only-defaults.elf")" '^CLIENT-ONLY OK'

# ota-device's log lines through defmt, every line kept (issue 16, item 5). defmt-semihosting
# writes binary frames, each ending in a zero byte, to the stdout the text lines go to: the
# raw stream is kept in NAME.defmt (defmt-print -e NAME.elf decodes it), and NAME.out has the
# zero bytes as line breaks, so that a text line printed after a frame starts a line.
run_defmt() { # run_defmt NAME ELF: as run
  local rc
  rc=$(run "$1" "$2")
  mv "$OUT/$1.out" "$OUT/$1.defmt"
  tr '\0' '\n' <"$OUT/$1.defmt" >"$OUT/$1.out"
  echo "$rc"
}
DEFMT_LOG=debug build defmt --bin ota-update --bin client-only
cp "$ELF_DIR/ota-update" "$OUT/ota-update-defmt.elf"
cp "$ELF_DIR/client-only" "$OUT/client-only-defmt.elf"
expect ota-update-defmt 0 "$(run_defmt ota-update-defmt "$OUT/ota-update-defmt.elf")" '^OTA OK: '
expect client-only-defmt 0 "$(run_defmt client-only-defmt "$OUT/client-only-defmt.elf")" '^CLIENT-ONLY OK'
defmt_frames=$(tr -cd '\0' <"$OUT/ota-update-defmt.defmt" | wc -c)
if [ "$defmt_frames" -eq 0 ]; then
  echo "qemu-firmware: ota-update-defmt: FAILED: no defmt frames written" >&2
  fail=1
fi

# Threshold signatures and trust-root rotation (issue 15, item 6).
build threshold-2of3 --bin ota-update --bin client-only
cp "$ELF_DIR/ota-update" "$OUT/threshold-2of3.elf"
cp "$ELF_DIR/client-only" "$OUT/client-only-threshold-2of3.elf"
expect threshold-2of3 0 "$(run threshold-2of3 "$OUT/threshold-2of3.elf")" '^OTA OK: ' \
  '^manifest check: .*; signed by 2 of 3 release keys, threshold 2;'
expect client-only-threshold-2of3 0 \
  "$(run client-only-threshold-2of3 "$OUT/client-only-threshold-2of3.elf")" '^CLIENT-ONLY OK'
build rotation --bin ota-update --bin client-only
cp "$ELF_DIR/ota-update" "$OUT/rotation.elf"
cp "$ELF_DIR/client-only" "$OUT/client-only-rotation.elf"
expect rotation 0 "$(run rotation "$OUT/rotation.elf")" '^OTA OK: .*, 2 reboots$' \
  "^rotation: root 1 -> 2 applied in .*; root 2 loaded from its store at 2 boots; root 1's release key refused" \
  '^manifest check: .*; signed by 1 of 1 release keys, threshold 1;'
expect client-only-rotation 0 "$(run client-only-rotation "$OUT/client-only-rotation.elf")" \
  '^CLIENT-ONLY OK'

for variant in tamper-signature tamper-image force-panic force-fault \
  threshold-2of3,tamper-signature rotation,tamper-signature; do
  build "$variant" --bin ota-update
  name=${variant/,/+}
  cp "$ELF_DIR/ota-update" "$OUT/$name.elf"
  rc=$(run "$name" "$OUT/$name.elf")
  case $variant in
    tamper-signature) expect "$name" 1 "$rc" 'OTA FAILED: job finished REJECTED (reason bad_signature); slot untouched' ;;
    tamper-image) expect "$name" 1 "$rc" 'OTA FAILED: job finished FAILED (reason image_hash_mismatch)' ;;
    force-panic) expect "$name" 1 "$rc" 'forced panic' ;;
    force-fault) expect "$name" 1 "$rc" '^HARDFAULT' ;;
    # One valid signature of the two needed, on the firmware job or on the trust update
    # (which comes first: the firmware job is then never offered).
    *,tamper-signature) expect "$name" 1 "$rc" 'OTA FAILED: job finished REJECTED (reason below_threshold); slot untouched' ;;
  esac
done

# Wycheproof's ECDSA P-256 vectors on the Cortex-M3 (the portable backend). The counts are
# those ota-core/tests/wycheproof.rs prints and asserts on the host.
wycheproof_lines=(
  '^wycheproof ecdsa_secp256r1_sha256_test.json: 484 cases; valid 174/174 accepted; invalid 310/310 rejected; acceptable 0 (0 accepted, 0 rejected)$'
  '^wycheproof ecdsa_secp256r1_sha256_test.json: 71 valid signatures are high-S'
  '^wycheproof ecdsa_secp256r1_sha256_test.json: 113 keys, 113 decoded the same from their compressed form$'
  '^wycheproof ecdsa_secp256r1_sha256_p1363_test.json: 262 cases; valid 173/173 accepted; invalid 89/89 rejected; acceptable 0 (0 accepted, 0 rejected)$'
  '^wycheproof ecdsa_secp256r1_sha256_p1363_test.json: 70 valid signatures are high-S'
  '^wycheproof ecdsa_secp256r1_sha256_p1363_test.json: 112 keys, 112 decoded the same from their compressed form$'
  '^WYCHEPROOF OK'
)
build wycheproof --bin wycheproof
cp "$ELF_DIR/wycheproof" "$OUT/wycheproof.elf"
expect wycheproof 0 "$(run wycheproof "$OUT/wycheproof.elf")" "${wycheproof_lines[@]}"

# ---- the Cortex-M4 (QEMU mps2-an386): portable P-256, p256-cm4, and p256-accelerator ----

echo "qemu-firmware: building for the Cortex-M4 ($M4_TARGET; the first build compiles core for it)"
for backend in portable cm4 accelerator; do
  case $backend in
    cm4) feat=p256-cm4 prefix=m4-cm4 ;;
    accelerator) feat=p256-accelerator prefix=m4-acc ;;
    *) feat="" prefix=m4 ;;
  esac
  # With the accelerator, each run says how often the stand-in was asked; Wycheproof's
  # count is the host test's (197 DER + 191 P1363 cases, and the 206 low-S re-checks of
  # valid signatures that are not high-S; the rest is refused before it is asked).
  asked=() wp_asked=()
  if [ $backend = accelerator ]; then
    asked=('^p256 accelerator: [1-9][0-9]* verifications by the application')
    wp_asked=('^wycheproof: 594 of them reached the P-256 accelerator')
  fi
  build_m4 "$feat"
  for bin in ota-update empty client-only; do
    cp "$M4_ELF_DIR/$bin" "$OUT/$prefix-$bin.elf"
  done
  expect $prefix-ota-update 0 "$(run $prefix-ota-update "$OUT/$prefix-ota-update.elf")" '^OTA OK: ' \
    '^manifest check: .*; signed by 1 of 1 release keys, threshold 1;' ${asked[@]+"${asked[@]}"}
  expect $prefix-empty 0 "$(run $prefix-empty "$OUT/$prefix-empty.elf")" '^EMPTY OK'
  expect $prefix-client-only 0 "$(run $prefix-client-only "$OUT/$prefix-client-only.elf")" '^CLIENT-ONLY OK'
  for variant in tamper-signature tamper-image; do
    build_m4 "${feat:+$feat,}$variant" --bin ota-update
    cp "$M4_ELF_DIR/ota-update" "$OUT/$prefix-$variant.elf"
    rc=$(run $prefix-$variant "$OUT/$prefix-$variant.elf")
    case $variant in
      tamper-signature) expect $prefix-$variant 1 "$rc" 'OTA FAILED: job finished REJECTED (reason bad_signature); slot untouched' ${asked[@]+"${asked[@]}"} ;;
      tamper-image) expect $prefix-$variant 1 "$rc" 'OTA FAILED: job finished FAILED (reason image_hash_mismatch)' ${asked[@]+"${asked[@]}"} ;;
    esac
  done
  build_m4 "${feat:+$feat,}wycheproof" --bin wycheproof
  cp "$M4_ELF_DIR/wycheproof" "$OUT/$prefix-wycheproof.elf"
  expect $prefix-wycheproof 0 "$(run $prefix-wycheproof "$OUT/$prefix-wycheproof.elf")" "${wycheproof_lines[@]}" \
    ${wp_asked[@]+"${wp_asked[@]}"}
done
# p256-cm4 must really be linked (its assembly has a section of its own).
if [ "$(llvm-size-22 -A "$OUT/m4-cm4-ota-update.elf" | awk '$1 == ".p256-cortex-m4" { print $2 }')" = "" ]; then
  echo "qemu-firmware: m4-cm4-ota-update: FAILED: no .p256-cortex-m4 section (p256-cm4 not linked)" >&2
  fail=1
fi
# With p256-accelerator, ota-core's own P-256 verification (p256_verify's frames, never
# inlined) must be left out; the portable build shows the check would see it.
verifier() { llvm-nm-22 -C "$1" | grep -c 'ota_core::crypto::p256_verify::' || true; }
if [ "$(verifier "$OUT/m4-acc-client-only.elf")" != 0 ] || [ "$(verifier "$OUT/m4-client-only.elf")" = 0 ]; then
  echo "qemu-firmware: m4-acc-client-only: FAILED: ota-core's P-256 verification is linked with p256-accelerator (or not seen in the portable build)" >&2
  fail=1
fi

# ---- measurements ----

section() { # section ELF NAME: size of one section (0 if absent)
  llvm-size-22 -A "$1" | awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }'
}
flash() { # p256-cm4 puts its assembly and constants in a section of its own
  echo $(($(section "$1" .vector_table) + $(section "$1" .text) + $(section "$1" .p256-cortex-m4) \
    + $(section "$1" .rodata) + $(section "$1" .data)))
}
static_ram() { echo $(($(section "$1" .data) + $(section "$1" .bss) + $(section "$1" .uninit))); }
field() { # field NAME REGEX: first capture group of the first matching stdout line
  sed -nE "s/$2/\\1/p" "$OUT/$1.out" | head -n1
}
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
mi() { awk -v n="$1" 'BEGIN { printf "%.2f M", n / 1e6 }'; }

ota="$OUT/ota-update.elf" empty="$OUT/empty.elf" client="$OUT/client-only.elf"
flash_ota=$(flash "$ota") flash_empty=$(flash "$empty") flash_client=$(flash "$client")
flash_client_defaults=$(flash "$OUT/client-only-defaults.elf")
flash_client_defmt=$(flash "$OUT/client-only-defmt.elf") flash_ota_defmt=$(flash "$OUT/ota-update-defmt.elf")
fixtures=0
for f in image.bin document.json manifest.json manifest.sig pubkey.der; do
  fixtures=$((fixtures + $(wc -c <"$FW/fixtures/$f")))
done
stack_used=$(field ota-update '^stack: ([0-9]+) of .*')
stack_size=$(field ota-update '^stack: [0-9]+ of ([0-9]+) bytes.*')
stack_used_defaults=$(field ota-update-defaults '^stack: ([0-9]+) of .*')
client_size_defaults=$(field ota-update-defaults '^sizes: client ([0-9]+) B.*')
update_insns=$(field ota-update '^stack: .*; ([0-9]+) instructions')
client_size=$(field ota-update '^sizes: client ([0-9]+) B.*')
peer_size=$(field ota-update '^sizes: .*, peer ([0-9]+) B.*')
trust_size=$(field ota-update '^sizes: .*trust store ([0-9]+) B.*')
buffers=$(field ota-update '^sizes: .*caller buffers ([0-9]+) B.*')
buffers_detail=$(field ota-update '^sizes: .*caller buffers [0-9]+ B \((.*)\),.*')
receive=$(field ota-update '^sizes: .*peer receive buffer ([0-9]+) B')
verify_insns=$(field ota-update '^crypto alone: P-256 verify ([0-9]+) instructions.*')
sha_insns=$(field ota-update '^crypto alone: .*SHA-256 of [0-9]+ bytes ([0-9]+) instructions')
messages=$(field ota-update '^OTA OK: .*, ([0-9]+) messages.*')
image_len=$(wc -c <"$FW/fixtures/image.bin")

cat <<EOF

### QEMU lm3s6965evb (Cortex-M3), opt-level "s", fat LTO, \`-Zlocation-detail=none\`

| measurement | value |
| --- | ---: |
| flash, whole demo firmware (client + scripted service + fixtures + runtime) | $flash_ota B |
| flash, empty firmware (runtime, semihosting, panic and fault handlers, measurement code) | $flash_empty B |
| **flash of the client over the empty firmware** (\`client-only\`: client, crypto, JSON, CBOR, slot and store drivers) | **$((flash_client - flash_empty)) B ($(kb $((flash_client - flash_empty))))** |
| the same with ota-device's default features (\`afr-ota\`, \`json-streams\`) | $((flash_client_defaults - flash_empty)) B ($(kb $((flash_client_defaults - flash_empty)))) |
| the same with ota-device's log lines through \`defmt\` (every line, \`DEFMT_LOG=debug\`; and the \`defmt-semihosting\` logger; against none) | $((flash_client_defmt - flash_empty)) B ($(kb $((flash_client_defmt - flash_empty))); +$((flash_client_defmt - flash_client)) B) |
| flash of the demo over the empty firmware, without the $fixtures B of fixtures | $((flash_ota - flash_empty - fixtures)) B |
| flash, whole demo firmware with \`defmt\` (the same; $defmt_frames frame delimiters in its run) | $flash_ota_defmt B (+$((flash_ota_defmt - flash_ota)) B) |
| static RAM, demo (slot 16 KiB + state store 4 KiB + service + buffers) | $(static_ram "$ota") B |
| \`size_of\` Client (lives in the caller's stack frame here) | $client_size B ($client_size_defaults B with the default features) |
| caller's buffers ($buffers_detail) | $buffers B |
| trust store (one P-256 key) | $trust_size B |
| scripted service: \`size_of\` ScriptedPeer + its receive buffer | $peer_size + $receive B |
| stack high-water, whole update (includes the Client) | $stack_used B (of $stack_size; $stack_used_defaults B with the default features) |
| instructions, whole update (2 boots, $messages messages, $image_len-byte image) | $update_insns |
| instructions, one P-256 verify alone | $verify_insns |
| instructions, SHA-256 of the $image_len-byte image alone | $sha_insns |
EOF

# ---- threshold signatures and trust-root rotation ----

row() { # row REGEX SUFFIX NAME...: the same figure of each run, as " | a | b | c |" cells
  local regex=$1 suffix=$2 name value cells=""
  shift 2
  for name in "$@"; do
    value=$(field "$name" "$regex")
    cells="$cells | ${value:--}${value:+$suffix}"
  done
  echo "$cells |"
}
over() { # over ELF: its flash over the empty firmware, and against the single-key client
  local f
  f=$(flash "$1")
  echo "$((f - flash_empty)) B ($(kb $((f - flash_empty))); $(printf '%+d' $((f - flash_client))) B)"
}
insns() { # insns NAME REGEX: "N (N/1e6 M)", or "-"
  local n
  n=$(field "$1" "$2")
  if [ -n "$n" ]; then echo "$n ($(mi "$n"))"; else echo "-"; fi
}
runs="ota-update threshold-2of3 rotation"
check_re='^manifest check: ([0-9]+) instructions apart.*'
intake_re='^manifest check: .*DownloadStarted ([0-9]+) instructions.*'
whole_re='^stack: .*; ([0-9]+) instructions'
rotation_re='^rotation: root 1 -> 2 applied in'
apply_stack=$(field rotation "$rotation_re [0-9]+ instructions [(]the client.s call[)], stack ([0-9]+) B.*")
boot_stack=$(field rotation '^rotation: .*load_root at boot [0-9]+ instructions, stack ([0-9]+) B.*')
sizes_trust=$(row '^sizes: .*trust store ([0-9]+) B.*' ' B' $runs)
sizes_client=$(row '^sizes: client ([0-9]+) B.*' ' B' $runs)
stack_whole=$(row '^stack: ([0-9]+) of .*' ' B' $runs)
stack_intake=$(row '^manifest check: .*DownloadStarted [0-9]+ instructions, stack ([0-9]+) B' ' B' $runs)

cat <<EOF

### Threshold signatures (2 of 3) and trust-root rotation, the same build settings

| measurement | single key | 2 of 3 (\`threshold-2of3\`) | rotation (\`rotation\`) |
| --- | ---: | ---: | ---: |
| **flash of the client over the empty firmware** (\`client-only\`; against the single key) | $((flash_client - flash_empty)) B ($(kb $((flash_client - flash_empty)))) | $(over "$OUT/client-only-threshold-2of3.elf") | $(over "$OUT/client-only-rotation.elf") |
| flash, whole demo firmware | $flash_ota B | $(flash "$OUT/threshold-2of3.elf") B | $(flash "$OUT/rotation.elf") B |
| static RAM, demo | $(static_ram "$ota") B | $(static_ram "$OUT/threshold-2of3.elf") B | $(static_ram "$OUT/rotation.elf") B |
| keys held, \`size_of\` (\`TrustStore<1>\`, \`TrustStore<3>\`, \`Root<3>\`: three roles)$sizes_trust
| \`size_of\` Client$sizes_client
| **stack high-water, whole run**$stack_whole
| stack, from boot to \`DownloadStarted\` (the job's signature check is the deepest)$stack_intake
| stack, applying the trust update (from after \`load_root\` to \`TrustRotated\`) | - | - | $apply_stack B |
| stack, building the built-in root and \`load_root\` at boot | - | - | $boot_stack B |
| **instructions, the manifest's signature check** apart (\`check_signature\`) | $(insns ota-update "$check_re") | $(insns threshold-2of3 "$check_re") | $(insns rotation "$check_re") |
| instructions, the client from connecting to \`DownloadStarted\` | $(insns ota-update "$intake_re") | $(insns threshold-2of3 "$intake_re") | $(insns rotation "$intake_re") |
| **instructions, the trust update's check** apart (\`Root::check_update\`: 2 P-256, the root keys unchanged) | - | - | $(insns rotation '^rotation: .*check_update alone ([0-9]+) instructions.*') |
| instructions, the client's call that applied it (check, encode, store) | - | - | $(insns rotation "$rotation_re ([0-9]+) instructions.*") |
| instructions, built-in root and \`load_root\` of the stored root at boot | - | - | $(insns rotation '^rotation: .*load_root at boot ([0-9]+) instructions.*') |
| instructions, whole run (rotation: 2 jobs, 2 resets) | $(insns ota-update "$whole_re") | $(insns threshold-2of3 "$whole_re") | $(insns rotation "$whole_re") |

EOF

# ---- the Cortex-M4 ----

m4_over() { # m4_over ELF BASELINE: flash over the empty firmware of its machine
  echo "$(($(flash "$1") - $(flash "$2"))) B ($(kb $(($(flash "$1") - $(flash "$2")))))"
}
wp_calls_re='^wycheproof: ([0-9]+) verifications in .*'
wp_insns_re='^wycheproof: [0-9]+ verifications in ([0-9]+) instructions.*'
wp_stack_re='^wycheproof: .*; stack ([0-9]+) of .*'
wp() { # wp NAME: "N M instructions for K verifications"
  echo "$(insns "$1" "$wp_insns_re") for $(field "$1" "$wp_calls_re")"
}
m4runs="ota-update m4-ota-update m4-cm4-ota-update m4-acc-ota-update"
standin() { # standin ELF: flash of the stand-in accelerator (p256-cm4 and the adapter)
  local n=0 size section
  while IFS='|' read -r _ _ _ _ size _ section; do
    case $section in *bss*) continue ;; esac
    n=$((n + 16#${size// /}))
  done < <(llvm-nm-22 --format=sysv -C "$1" | grep -E '^(P256_|p256_cm4::|<?ota_cortex_m::accelerator)')
  echo "$n"
}
verify_re='^crypto alone: P-256 verify ([0-9]+) instructions.*'

cat <<EOF

### Cortex-M3 (lm3s6965evb) against Cortex-M4 (QEMU mps2-an386, \`thumbv7em-none-eabi\`), portable P-256, \`p256-cm4\` and \`p256-accelerator\`

| measurement | M3, portable (\`p256\`, \`small-stack\`) | M4, portable | M4, \`p256-cm4\` | M4, \`p256-accelerator\` (the application's stand-in: \`p256-cm4\`) |
| --- | ---: | ---: | ---: | ---: |
| **flash of the client over the empty firmware** (\`client-only\`) | $(m4_over "$client" "$empty") | $(m4_over "$OUT/m4-client-only.elf" "$OUT/m4-empty.elf") | $(m4_over "$OUT/m4-cm4-client-only.elf" "$OUT/m4-empty.elf") | $(m4_over "$OUT/m4-acc-client-only.elf" "$OUT/m4-empty.elf") |
| of which the application's accelerator (\`p256-cm4\` and the stand-in's adapter) | - | - | - | $(standin "$OUT/m4-acc-client-only.elf") B |
| flash, empty firmware | $flash_empty B | $(flash "$OUT/m4-empty.elf") B | (the same) | (the same) |
| flash, whole demo firmware | $flash_ota B | $(flash "$OUT/m4-ota-update.elf") B | $(flash "$OUT/m4-cm4-ota-update.elf") B | $(flash "$OUT/m4-acc-ota-update.elf") B |
| \`size_of\` trust store (one P-256 key)$(row '^sizes: .*trust store ([0-9]+) B.*' ' B' $m4runs)
| **stack high-water, whole update**$(row '^stack: ([0-9]+) of .*' ' B' $m4runs)
| **instructions, one P-256 verify alone** | $(insns ota-update "$verify_re") | $(insns m4-ota-update "$verify_re") | $(insns m4-cm4-ota-update "$verify_re") | $(insns m4-acc-ota-update "$verify_re") |
| instructions, the manifest's signature check apart | $(insns ota-update "$check_re") | $(insns m4-ota-update "$check_re") | $(insns m4-cm4-ota-update "$check_re") | $(insns m4-acc-ota-update "$check_re") |
| **instructions, whole update** (2 boots, $messages messages) | $(insns ota-update "$whole_re") | $(insns m4-ota-update "$whole_re") | $(insns m4-cm4-ota-update "$whole_re") | $(insns m4-acc-ota-update "$whole_re") |
| Wycheproof ECDSA P-256 (DER 484 + P1363 262 cases, 113 + 112 keys): instructions for the verifications | $(wp wycheproof) | $(wp m4-wycheproof) | $(wp m4-cm4-wycheproof) | $(wp m4-acc-wycheproof) |
| stack high-water, Wycheproof run$(row "$wp_stack_re" ' B' wycheproof m4-wycheproof m4-cm4-wycheproof m4-acc-wycheproof)

Exit codes seen: $codes.
Instruction counts are SysTick ticks x 80 under \`-icount shift=0\` (80-instruction granularity; on mps2-an386 x 40, its SysTick counting the 25 MHz system clock).
EOF

if [ "$fail" -ne 0 ]; then
  echo "qemu-firmware: FAILED (details above; outputs in $OUT)" >&2
  exit 1
fi
echo "qemu-firmware: ok"
