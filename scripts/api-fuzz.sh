#!/usr/bin/env bash
# API fuzzing of `ota-cloud serve` with Schemathesis (PyPI, pinned), driven by the service's
# own OpenAPI document (GET /api/v1/openapi.json, from ota-cloud/src/serve/openapi.json).
#
# It starts the service on free loopback ports in a throwaway data directory, seeds a small
# fleet through the API (things, a static group, a child group and a dynamic group, two
# releases, an artifact, two jobs, two campaigns) so that the operations on
# /things/{name}, /jobs/{id}, /campaigns/{id}, ... reach existing resources and not only
# 404s, then runs every phase of `st run` (examples, coverage, fuzzing, stateful) with the
# admin token. Then it stops the service with SIGTERM, which must exit 0.
#
# The checks are those the service is expected to satisfy: no 5xx, statuses, content types,
# headers and bodies as documented, a 405 with Allow for other methods, 401 without the
# token, resources there after a create and gone after a delete. Not checked by default:
# positive_data_acceptance and negative_data_rejection (the document cannot say everything
# the server validates: opaque nextTokens, name alphabets, semver strings, JSON documents).
#
# Exits non-zero when Schemathesis reports a failure, the service panicked, or it did not
# stop cleanly. Bounded: about 70 s on 2 cores with the defaults; nothing but 127.0.0.1.
#
#   OTA_CLOUD_BIN          the binary (default target/debug/ota-cloud; build it with
#                          `cargo build -p ota-cloud --features cli --bin ota-cloud`)
#   API_FUZZ_CHECKS        comma-separated Schemathesis checks (default: see CHECKS below)
#   API_FUZZ_MAX_EXAMPLES  test cases per operation (default 50)
#   API_FUZZ_SEED          Schemathesis seed (default 1: reproducible; "random" for none)
#   API_FUZZ_KEEP=1        keep the work directory (service log, data, config, cassette)
#
# The venv is target/peers/schemathesis, reused only when it holds exactly the pinned
# version. On a clean Debian without python3 or python3-venv it installs them (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/venv.sh # SCHEMATHESIS_VERSION, pinned_venv
BIN=${OTA_CLOUD_BIN:-target/debug/ota-cloud}
VENV="$PWD/target/peers/schemathesis"
MAX_EXAMPLES=${API_FUZZ_MAX_EXAMPLES:-50}
SEED=${API_FUZZ_SEED:-1}
CHECKS=${API_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,missing_required_header,unsupported_method,allow_header_conformance,ignored_auth,use_after_free,ensure_resource_availability}
started=$SECONDS

if [ ! -x "$BIN" ]; then
  echo "api-fuzz: no binary at $BIN: cargo build -p ota-cloud --features cli --bin ota-cloud," \
    "or set OTA_CLOUD_BIN" >&2
  exit 1
fi
BIN=$(realpath "$BIN")

pinned_venv "$VENV" schemathesis "$SCHEMATHESIS_VERSION"
PY="$VENV/bin/python"

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ "${API_FUZZ_KEEP:-}" = 1 ]; then
    echo "api-fuzz: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Two free loopback ports (the OS picks them; the service cannot report a port it chose).
read -r http_port mqtt_port < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
')
base="http://127.0.0.1:$http_port"

RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --data "$work/data" \
  --http "127.0.0.1:$http_port" --mqtt "127.0.0.1:$mqtt_port" >"$work/service.log" 2>&1 &
pid=$!

service_log() {
  echo "---- service log (last 40 lines)" >&2
  tail -n 40 "$work/service.log" >&2 || true
}

# Wait for /api/v1/health (30 s at most), then seed the fleet and write the Schemathesis
# configuration that points path parameters at the seeded names half of the time.
if ! "$PY" - "$base" "$work" "$pid" <<'EOF'
import json, os, sys, time, urllib.error, urllib.request

base, work, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + 30
while True:
    try:
        with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
            if r.status == 200:
                break
    except (OSError, urllib.error.URLError):
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("api-fuzz: the service exited before answering /api/v1/health")
    if time.monotonic() > deadline:
        sys.exit("api-fuzz: no answer from /api/v1/health within 30 s")
    time.sleep(0.2)

token = open(os.path.join(work, "data", "admin-token")).read().strip()

def call(method, path, body=None, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            text = r.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"api-fuzz: seeding: {method} {path}: {e.code} {e.read()[:300]!r}")
    return json.loads(text) if text else None

for name in ("dev-1", "dev-2", "dev-3"):
    call("POST", "/api/v1/things",
         {"thingName": name, "attributes": {"hardware": "rev-a", "version": "1.0.0"}})
call("POST", "/api/v1/groups", {"groupName": "grp-1"})
call("POST", "/api/v1/groups", {"groupName": "grp-2", "parentGroupName": "grp-1"})
call("POST", "/api/v1/groups", {"groupName": "dyn-1", "query": "attributes.hardware:rev-a"})
call("PUT", "/api/v1/groups/grp-1/things/dev-1")
call("PUT", "/api/v1/groups/grp-1/things/dev-2")
call("POST", "/api/v1/things/dev-1/credentials")
call("PUT", "/api/v1/artifacts/fw-1.bin", raw=os.urandom(4096))
rel1 = call("POST", "/api/v1/releases", {"id": "rel-1", "version": "1.0.0", "product": "acme",
            "hardware": ["rev-a"], "securityCounter": 1, "document": "{}"})
rel2 = call("POST", "/api/v1/releases", {"id": "rel-2", "version": "2.0.0", "product": "acme",
            "hardware": ["rev-a"], "requires": ">=1.0.0", "securityCounter": 2,
            "document": "{}"})
call("POST", "/api/v1/jobs", {"jobId": "job-1", "targets": ["thing/dev-1", "thing/dev-2"],
     "document": "{}"})
call("POST", "/api/v1/jobs", {"jobId": "job-2", "targets": ["thinggroup/grp-1"],
     "document": "{}", "targetSelection": "CONTINUOUS"})
call("POST", "/api/v1/campaigns", {
    "id": "camp-1", "release": rel2, "previous": rel1,
    "targets": {"Things": ["dev-1", "dev-2", "dev-3"]},
    "stages": [
        {"name": "canary", "size": {"Count": 1},
         "gate": {"min_sample": 1, "success_threshold": 5000, "failure_threshold": 5000,
                  "manual_approval": True}},
        {"name": "all", "size": {"Percent": 10000}},
    ]})
call("POST", "/api/v1/campaigns", {"id": "camp-2", "release": rel2,
     "targets": {"Group": "grp-1"}, "stages": [{"name": "s1", "size": {"Count": 1}}]})

dictionaries = {
    "things": ["dev-1", "dev-2", "dev-3"],
    "groups": ["grp-1", "grp-2", "dyn-1"],
    "jobs": ["job-1", "job-2", "camp-1-canary", "camp-2-s1"],
    "campaigns": ["camp-1", "camp-2"],
    "releases": ["rel-1", "rel-2"],
    "artifacts": ["fw-1.bin"],
}
operations = [
    ("^/api/v1/things", {"path.name": "things"}),
    ("^/api/v1/groups", {"path.name": "groups", "path.thing": "things",
                         "body.parentGroupName": "groups"}),
    ("^/api/v1/jobs", {"path.id": "jobs", "path.thing": "things"}),
    ("^/api/v1/campaigns", {"path.id": "campaigns"}),
    ("^/api/v1/releases", {"path.id": "releases"}),
    ("^(/api/v1)?/artifacts/", {"path.name": "artifacts"}),
]
with open(os.path.join(work, "schemathesis.toml"), "w") as f:
    for name, values in dictionaries.items():
        f.write(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n\n")
    for regex, params in operations:
        f.write(f"[[operations]]\ninclude-path-regex = {json.dumps(regex)}\n")
        f.write("[operations.parameters]\n")
        for key, dictionary in params.items():
            f.write(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.5 }}\n')
        f.write("\n")
EOF
then
  service_log
  exit 1
fi

seed_args=(--seed "$SEED")
[ "$SEED" = random ] && seed_args=()
echo "api-fuzz: schemathesis $SCHEMATHESIS_VERSION against $base, checks $CHECKS," \
  "$MAX_EXAMPLES examples per operation"
st_status=0
# From the work directory: Schemathesis leaves .hypothesis/ and .schemathesis/ where it runs.
(
  cd "$work"
  timeout 600 "$VENV/bin/st" --config-file schemathesis.toml run \
    "$base/api/v1/openapi.json" --url "$base" \
    -H "Authorization: Bearer $(cat data/admin-token)" \
    --checks "$CHECKS" --max-examples "$MAX_EXAMPLES" "${seed_args[@]}" \
    --generation-database none --request-timeout 10 --no-color --output-sanitize false
) || st_status=$?

kill -TERM "$pid" 2>/dev/null || echo "api-fuzz: the service was no longer running" >&2
service_status=0
wait "$pid" || service_status=$?
pid=""

failed=0
if [ "$st_status" != 0 ]; then
  echo "api-fuzz: FAILED: schemathesis exited $st_status (its failures are listed above)" >&2
  failed=1
fi
if grep -q "panicked" "$work/service.log"; then
  echo "api-fuzz: FAILED: the service panicked:" >&2
  grep -A3 "panicked" "$work/service.log" | head -n 40 >&2
  failed=1
fi
if [ "$service_status" != 0 ]; then
  echo "api-fuzz: FAILED: the service exited $service_status on SIGTERM" >&2
  service_log
  failed=1
fi
echo "api-fuzz: $([ "$failed" = 0 ] && echo passed || echo failed) in $((SECONDS - started)) s"
exit "$failed"
