#!/usr/bin/env bash
# Local AWS-compatible test server (moto) for pollflow integration tests.
#
#   eval "$(scripts/moto-server.sh start)"   # venv + moto, start server, create fixtures, print exports
#   scripts/moto-server.sh stop              # kill the server started by `start` (no-op if not running)
#
# `start` prints ONLY `export ...` lines on stdout; everything else goes to stderr.
# Server log: target/moto.log, pid file: target/moto.pid, venv: .venv (override with MOTO_VENV).
# Fixtures are created by scripts/moto_fixtures.py; note that POST /moto-api/reset wipes
# every resource (the use_docker=false config survives), so re-run moto_fixtures.py after a reset.
# The server inherits this script's environment, e.g. MOTO_SIMPLE_BATCH_FAIL_AFTER=0 makes
# every Batch job FAILED instead of SUCCEEDED.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
VENV="${MOTO_VENV:-$REPO/.venv}"
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
TARGET="$REPO/target"
PID_FILE="$TARGET/moto.pid"
LOG_FILE="$TARGET/moto.log"

log() { echo "moto-server: $*" >&2; }

is_running() {
    [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

ensure_venv() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating venv at $VENV"
        python3 -m venv "$VENV" >&2
    fi
    # Cheap check (no heavy imports): pinned moto version plus the server extras and boto3 present.
    if ! "$VENV/bin/python" -c 'import sys, importlib.util as u, importlib.metadata as m
ok = m.version("moto") == sys.argv[1] and all(u.find_spec(x) for x in ("boto3", "flask", "flask_cors"))
sys.exit(0 if ok else 1)' "$MOTO_VERSION" >/dev/null 2>&1 || [[ ! -x "$VENV/bin/moto_server" ]]; then
        log "installing moto[server]==$MOTO_VERSION into $VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
    fi
}

free_port() {
    "$VENV/bin/python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

stop() {
    if is_running; then
        local pid
        pid="$(cat "$PID_FILE")"
        log "stopping moto (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
}

start() {
    mkdir -p "$TARGET"
    ensure_venv
    # A previous server from this checkout would be orphaned by a new pid file: stop it first.
    stop

    local port endpoint pid
    port="$(free_port)"
    endpoint="http://127.0.0.1:$port"
    log "starting moto_server on $endpoint (log: $LOG_FILE)"
    # nohup + redirected stdio: survives hangups and does not hold the `$(...)` pipe open.
    # MOTO_PORT is where moto's Step Functions engine sends its service calls (sns:publish):
    # this server's port, whatever an earlier `eval` of this script left in the environment.
    MOTO_PORT="$port" nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PID_FILE"
    local t0=$(($(date +%s%N) / 1000000))

    local ok=""
    for _ in $(seq 1 200); do # ~20 s
        if ! kill -0 "$pid" 2>/dev/null; then
            log "moto_server exited early; last log lines:"
            tail -n 20 "$LOG_FILE" >&2 || true
            rm -f "$PID_FILE"
            exit 1
        fi
        if "$VENV/bin/python" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/moto-api/data.json", timeout=1).read()' "$endpoint" >/dev/null 2>&1; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if [[ -z "$ok" ]]; then
        log "moto_server did not answer on $endpoint within 20s"
        stop
        exit 1
    fi
    log "moto_server is up (pid $pid) after $(($(date +%s%N) / 1000000 - t0))ms"

    local fixtures
    if ! fixtures="$(AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
        "$VENV/bin/python" "$SCRIPT_DIR/moto_fixtures.py" "$endpoint")"; then
        log "fixture creation failed"
        stop
        exit 1
    fi

    # moto_fixtures.py prints KEY=VALUE lines (values contain no whitespace or quotes).
    local exports="export MOTO_ENDPOINT=$endpoint MOTO_PORT=$port MOTO_PID=$pid"
    exports+=" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"
    exports+=" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
    exports+=" AWS_ENDPOINT_URL=$endpoint"
    while IFS= read -r line; do
        [[ "$line" =~ ^[A-Z_][A-Z0-9_]*=[^[:space:]\'\"]+$ ]] || { log "ignoring fixture output: $line"; continue; }
        exports+=" $line"
    done <<<"$fixtures"
    echo "$exports"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
