#!/usr/bin/env bash
# bench.sh — builds the server and the load tool in release mode, starts a
# server on free loopback ports (WebSocket and IRC) with a throw-away data
# folder, runs one load scenario against it, stops the server with SIGTERM
# and prints the results.
#
# Usage:
#   scripts/bench.sh                          # fanout with the tool's defaults (10,000 clients)
#   scripts/bench.sh --clients 2000           # fanout, options passed to the tool
#   scripts/bench.sh smoke                    # another scenario, then its options
#   scripts/bench.sh idle --transport irc     # the same scenario over IRC
#
# Scenarios (tchatche-load --help): idle, fanout-max, fanout-rate, shootout,
# dm-storm, entry-storm, history, big-room, fanout, smoke. `--transport ws|irc|mixed`
# picks the clients' wire (smoke: mixed, a third of the clients over IRC).
# The server is told the IRC guest profile to give clients that send none
# (irc.default_guest_profile), so plain IRC clients register as on any IRC
# server, and may hold as many connections as its open-file limit allows.
#
# Everything temporary (data folder, server log) lives in one folder under
# ${TMPDIR:-/tmp} and is removed on exit; the server log is printed first if
# the run fails. Set KEEP_LOGS=1 to keep that folder. Nothing is written into
# the work tree besides Cargo's target/ folder.
#
# SERVER_BIN=/path/to/tchatche measures another build of the server (an
# earlier commit, for a before/after table) with this tree's load tool.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

scenario=fanout
if [[ $# -gt 0 && $1 != -* ]]; then
    scenario=$1
    shift
fi

# BENCH_PROFILE=debug uses debug binaries: for the test suite's smoke run,
# never for figures.
profile=${BENCH_PROFILE:-release}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
if [[ $profile == release ]]; then
    echo "==> building release binaries (tchatche, tchatche-load)" >&2
    cargo build --release --quiet -p tchatche -p tchatche-load
    bin_dir="$target_dir/release"
else
    echo "==> building debug binaries (tchatche, tchatche-load)" >&2
    cargo build --quiet -p tchatche -p tchatche-load
    bin_dir="$target_dir/debug"
fi
server_bin="${SERVER_BIN:-$bin_dir/tchatche}"
load_bin="$bin_dir/tchatche-load"

work=$(mktemp -d "${TMPDIR:-/tmp}/tchatche-bench.XXXXXX")
server_pid=
cleanup() {
    local status=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -s $work/server.log ]]; then
        echo "==> server log (last 40 lines)" >&2
        tail -n 40 "$work/server.log" >&2
    fi
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then
        echo "==> kept $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT INT TERM

# A free port below the ephemeral range (32768 and up on Linux), so the
# clients' own ports never take it: the first one nobody answers on. Another
# process could still take it before the server does; the server would then
# fail to start and the script stop, rather than measure the wrong server.
free_port() {
    local candidate
    for _ in $(seq 1 50); do
        candidate=$((20000 + RANDOM % 12000))
        if [[ $candidate != "${1:-}" ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "bench.sh: found no free port" >&2
    return 1
}
port=$(free_port)
irc_port=$(free_port "$port")

# BENCH_NICE=-10 runs the server and the load tool at that priority (root
# only), so that other work on a shared machine disturbs the figures less;
# both get the same one.
run_niced=()
if [[ -n ${BENCH_NICE:-} ]]; then
    run_niced=(nice -n "$BENCH_NICE")
fi

# Both processes need one descriptor per client: lift the soft limit to
# the hard one (the load tool raises its own too).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Plain IRC clients give no tchatche profile: the gateway gives them this one.
cat >"$work/tchatche.toml" <<'TOML'
[irc]
default_guest_profile = "30 A 75"
TOML
# As many connections as the open-file limit allows, less a few descriptors
# for the listeners, the database and the runtime.
max_connections=$(( $(ulimit -n) - 100 ))

echo "==> starting the server on 127.0.0.1:$port, IRC on 127.0.0.1:$irc_port (data in $work/data)" >&2
# The load tool's clients only speak when a scenario makes them: filling a
# big room can take minutes, so silent WebSocket clients are not closed.
NO_COLOR=1 TCHATCHE_HTTP_ADDR="127.0.0.1:$port" TCHATCHE_IRC_ADDR="127.0.0.1:$irc_port" \
    TCHATCHE_IDLE_TIMEOUT_SECS=0 \
    TCHATCHE_DATA_DIR="$work/data" TCHATCHE_MAX_CONNECTIONS="$max_connections" \
    "${run_niced[@]}" "$server_bin" "$work/tchatche.toml" >"$work/server.log" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 1 100); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "bench.sh: the server exited during start-up" >&2
        exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
        (exec 3<>"/dev/tcp/127.0.0.1/$irc_port") 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [[ $ready != 1 ]]; then
    echo "bench.sh: the server did not listen on ports $port and $irc_port within 10 s" >&2
    exit 1
fi

extra=()
if [[ $scenario == history ]]; then
    extra=(--database "$work/data/tchatche.sqlite3")
fi
echo "==> tchatche-load $scenario $*" >&2
load_status=0
"${run_niced[@]}" "$load_bin" "$scenario" --url "ws://127.0.0.1:$port/ws" --irc-addr "127.0.0.1:$irc_port" \
    --server-pid "$server_pid" "${extra[@]}" "$@" ||
    load_status=$?

echo "==> stopping the server (SIGTERM)" >&2
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=
if [[ $server_status -ne 0 ]]; then
    echo "bench.sh: the server exited with status $server_status" >&2
fi
problems=$(grep -c -E ' (WARN|ERROR) ' "$work/server.log" || true)
if [[ $problems -gt 0 ]]; then
    echo "==> the server logged $problems warnings or errors; the first ones:" >&2
    grep -E ' (WARN|ERROR) ' "$work/server.log" | head -n 10 >&2
fi
if [[ $load_status -ne 0 ]]; then
    exit "$load_status"
fi
exit "$server_status"
