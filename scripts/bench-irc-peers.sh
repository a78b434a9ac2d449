#!/usr/bin/env bash
# bench-irc-peers.sh — scenarios 1 to 3 over IRC against tchatche's IRC
# gateway, InspIRCd and ngIRCd (Debian's packages), on this machine, and one
# table of their figures with the ratios.
#
# Usage:
#   scripts/bench-irc-peers.sh                  # every server, every scenario, two runs each
#   RUNS=1 scripts/bench-irc-peers.sh           # one run each
#   SERVERS="tchatche ngircd" SCENARIOS="idle" scripts/bench-irc-peers.sh
#   IDLE_CLIENTS=5000 scripts/bench-irc-peers.sh
#
# What it does:
# - installs `inspircd` and `ngircd` with apt-get when they are missing
#   (Debian's `ergo` is an unrelated program and `ircd-hybrid` conflicts with
#   ngircd: neither is used); their packaged services are never started;
# - writes each server's configuration into a temporary folder: loopback
#   only, other ports, no DNS or ident lookups, flood, per-IP, send-queue and
#   receive-queue limits relaxed as far as each server allows (every
#   relaxation is commented in the configuration it writes);
# - for every run starts a fresh server, runs one scenario with the load
#   tool, and stops that server by the process id it started (never by name:
#   other people run servers on this machine);
# - prints every run's figures, then one table: each server's best run per
#   figure and the ratios against tchatche.
#
# Every server is driven the same way: plain IRC clients (no CAP), with as
# many connecting at a time as each server takes well (CC_TCHATCHE=200,
# CC_INSPIRCD=2000, CC_NGIRCD=8; see below).
#
# The JSON lines of every run are kept in $OUT (default: a folder under
# ${TMPDIR:-/tmp}, printed at the end).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

runs=${RUNS:-2}
servers=${SERVERS:-tchatche inspircd ngircd}
scenarios=${SCENARIOS:-idle fanout-max fanout-rate}
# Clients connecting at a time, per server: ngIRCd listens with a backlog
# of 10 (compiled in), and a burst beyond it is dropped by the kernel and
# retried a second later; InspIRCd completes registrations on a one-second
# timer, so its rate is the number of registrations under way at once.
cc_tchatche=${CC_TCHATCHE:-200}
cc_inspircd=${CC_INSPIRCD:-2000}
cc_ngircd=${CC_NGIRCD:-8}
# Scenario 1's client count: the most one server process can hold under the
# open-file limit (20,000 here), with room for its own descriptors.
idle_clients=${IDLE_CLIENTS:-$(($(ulimit -Hn) - 200))}

# ---------------------------------------------------------------- packages
need=()
command -v inspircd >/dev/null 2>&1 || need+=(inspircd)
command -v ngircd >/dev/null 2>&1 || need+=(ngircd)
if [[ ${#need[@]} -gt 0 ]]; then
    echo "==> installing ${need[*]} (apt-get)" >&2
    if [[ $(id -u) -ne 0 ]]; then
        echo "bench-irc-peers.sh: installing ${need[*]} needs root" >&2
        exit 1
    fi
    apt-get update -qq
    # Debian would start the packaged services on port 6667: the policy
    # file (exit 101) forbids it for this install only, when none exists.
    policy_added=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy_added=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    if [[ -n $policy_added ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi

echo "==> building release binaries (tchatche, tchatche-load)" >&2
cargo build --release --quiet -p tchatche -p tchatche-load
target_dir=${CARGO_TARGET_DIR:-$repo/target}
server_bin="$target_dir/release/tchatche"
load_bin="$target_dir/release/tchatche-load"

work=$(mktemp -d "${TMPDIR:-/tmp}/tchatche-irc-peers.XXXXXX")
out=${OUT:-$work/results}
mkdir -p "$out"
chmod 755 "$work"
server_pid=
cleanup() {
    local status=$?
    stop_server
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then
        echo "==> kept $work" >&2
    else
        # Keep the results, drop the servers' folders.
        find "$work" -mindepth 1 -maxdepth 1 ! -path "$out" -exec rm -rf {} +
        rmdir "$work" 2>/dev/null || true
    fi
    exit "$status"
}
trap cleanup EXIT INT TERM

# BENCH_NICE=-10 runs every server and the load tool at that priority (root
# only), so that other work on a shared machine disturbs the figures less;
# all get the same one.
run_niced=()
if [[ -n ${BENCH_NICE:-} ]]; then
    run_niced=(nice -n "$BENCH_NICE")
fi

# Both processes need one descriptor per client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {
    local candidate
    for _ in $(seq 1 50); do
        candidate=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "bench-irc-peers.sh: found no free port" >&2
    return 1
}

# --------------------------------------------------------------- configs
write_inspircd_config() { # dir port
    local dir=$1 port=$2
    mkdir -p "$dir/data" "$dir/logs"
    : >"$dir/motd.txt"
    cat >"$dir/inspircd.conf" <<EOF
<server name="inspircd.load.local" description="InspIRCd under load" network="load">
<admin name="load" nick="load" email="load@localhost">
# Loopback only, on a port of its own.
<bind address="127.0.0.1" port="$port" type="clients">
<connect name="load"
         allow="*"
         # Relaxed: 100,000 connections per IP (default 3); the load tool
         # spreads its clients over 250 loopback addresses, 80 each.
         localmax="100000"
         globalmax="100000"
         maxconnwarn="no"
         # Relaxed: 100,000 users in this class (default 5000).
         limit="100000"
         # No DNS lookups (default yes); no ident (the module is not loaded).
         resolvehostnames="no"
         useident="no"
         # Relaxed flood control: one million commands per second
         # (commandrate is in thousandths of a command per second; default
         # 1000, one line a second) and a penalty threshold of one million
         # (default 10), without fake lag (default yes), so no command is
         # delayed and nobody is killed for flooding.
         commandrate="1000000000"
         threshold="1000000"
         fakelag="no"
         # Relaxed send queue: 1 GiB before a client is dropped (default
         # 1M) and before its own commands are delayed (softsendq, default
         # 10240).
         hardsendq="1073741824"
         softsendq="1073741824"
         # Relaxed receive queue: 1 MiB (default 10K).
         recvq="1048576"
         timeout="60"
         pingfreq="120"
         # Relaxed: 100 channels per user (default 20).
         maxchans="100">
<files motd="$dir/motd.txt">
# Relaxed: a user may join 100 channels (default 20).
<channels users="100" opers="100">
# No DNS server is ever asked (resolvehostnames="no" above); this only keeps
# the resolver off the network at start.
<dns server="127.0.0.1" timeout="1">
<pid file="$dir/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$dir/logs/ircd.log">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15" splitwhois="no" exemptchanops="">
# Relaxed: 20 targets per message (default), an accept queue of 4096
# (default 128) and as many connections as the open-file limit allows
# (softlimit); reads of 64 KiB at a time (default 10240).
<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hideulines="no" hidebans="no" maxtargets="20">
<performance quietbursts="yes" softlimit="100000" somaxconn="4096" netbuffersize="65536" clonesonconnect="no">
<whowas groupsize="10" maxgroups="100000" maxkeep="3d">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxhost="64" maxquit="255" maxtopic="307" maxkick="255" maxreal="128" maxgecos="128" maxaway="200">
EOF
}

write_ngircd_config() { # dir port
    local dir=$1 port=$2
    : >"$dir/motd.txt"
    cat >"$dir/ngircd.conf" <<EOF
[Global]
	Name = ngircd.load.local
	Info = ngIRCd under load
	# Loopback only, on a port of its own.
	Listen = 127.0.0.1
	Ports = $port
	MotdFile = $dir/motd.txt
	PidFile = $dir/ngircd.pid
	# Run as the user that starts it (root here) rather than nobody.
	ServerUID = $(id -u)
	ServerGID = $(id -g)

[Limits]
	# Relaxed: no limit on connections (the default, 0) nor per IP
	# (default 5).
	MaxConnections = 0
	MaxConnectionsIP = 0
	# Relaxed: no limit on channels per user (default 10).
	MaxJoins = 0
	# Relaxed: nicknames of up to 30 characters (default 9).
	MaxNickLength = 30
	# Relaxed flood control: 0 turns command penalties off (default -1,
	# penalties of up to 2 s). What cannot be relaxed is compiled in: the
	# listen backlog (10), at most 3 commands handled per client per loop,
	# and the read and write buffer caps (a client whose write buffer
	# passes them is disconnected).
	MaxPenaltyTime = 0
	MaxListSize = 0
	PingTimeout = 120
	PongTimeout = 20

[Options]
	# No DNS or ident lookups, no PAM.
	DNS = no
	Ident = no
	PAM = no
EOF
}

write_tchatche_config() { # dir
    cat >"$1/tchatche.toml" <<'EOF'
# Plain IRC clients give no tchatche profile (age, gender, département) in
# their real name: the gateway gives them this one, so they register as on
# any IRC server. tchatche has no flood, per-IP or queue limit to relax for
# IRC beyond its per-connection outbox (1024 events).
[irc]
default_guest_profile = "30 A 75"
EOF
}

# ------------------------------------------------------- start and stop
wait_listening() { # port pid name
    for _ in $(seq 1 100); do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "bench-irc-peers.sh: $3 exited during start-up" >&2
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "bench-irc-peers.sh: $3 did not listen on port $1 within 10 s" >&2
    return 1
}

# Starts a fresh server; sets server_pid and irc_port.
start_server() { # name run-dir
    local name=$1 dir=$2
    mkdir -p "$dir"
    irc_port=$(free_port)
    case $name in
    tchatche)
        local http_port
        http_port=$(free_port)
        write_tchatche_config "$dir"
        NO_COLOR=1 TCHATCHE_HTTP_ADDR="127.0.0.1:$http_port" TCHATCHE_IRC_ADDR="127.0.0.1:$irc_port" \
            TCHATCHE_DATA_DIR="$dir/data" TCHATCHE_MAX_CONNECTIONS=$(($(ulimit -n) - 100)) \
            "${run_niced[@]}" "$server_bin" "$dir/tchatche.toml" >"$dir/server.log" 2>&1 &
        ;;
    inspircd)
        write_inspircd_config "$dir" "$irc_port"
        local root=()
        if [[ $(id -u) -eq 0 ]]; then root=(--runasroot); fi
        "${run_niced[@]}" inspircd --nofork "${root[@]}" --config "$dir/inspircd.conf" >"$dir/server.log" 2>&1 &
        ;;
    ngircd)
        write_ngircd_config "$dir" "$irc_port"
        "${run_niced[@]}" ngircd --nodaemon --config "$dir/ngircd.conf" >"$dir/server.log" 2>&1 &
        ;;
    *)
        echo "bench-irc-peers.sh: unknown server $name" >&2
        return 1
        ;;
    esac
    server_pid=$!
    wait_listening "$irc_port" "$server_pid" "$name"
}

stop_server() {
    if [[ -n ${server_pid:-} ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}

scenario_args() { # scenario
    case $1 in
    idle) echo "--clients $idle_clients" ;;
    *) echo "" ;;
    esac
}

# ------------------------------------------------------------------ runs
echo "==> machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for scenario in $scenarios; do
    for run in $(seq 1 "$runs"); do
        for name in $servers; do
            dir="$work/$name-$scenario-$run"
            echo "==> $scenario, run $run: $name" >&2
            start_server "$name" "$dir"
            cc_var=cc_$name
            # shellcheck disable=SC2046
            if "${run_niced[@]}" "$load_bin" "$scenario" --transport irc --irc-addr "127.0.0.1:$irc_port" \
                --server-pid "$server_pid" --connect-concurrency "${!cc_var}" \
                $(scenario_args "$scenario") >"$dir/load.out" 2>"$dir/load.err"; then
                sed -n '$p' "$dir/load.out" | sed "s/^{/{\"server\":\"$name\",\"run\":$run,/" \
                    >>"$out/results.jsonl"
                sed '$d' "$dir/load.out" >&2
            else
                echo "    the load tool failed; its last lines:" >&2
                tail -n 5 "$dir/load.err" >&2
            fi
            stop_server
            # Sockets of the last run linger in TIME_WAIT; give the kernel
            # a moment before the next server takes the same addresses.
            sleep 2
        done
    done
done

# ----------------------------------------------------------------- table
python3 - "$out/results.jsonl" "$servers" <<'PY'
import json, sys
path, servers = sys.argv[1], sys.argv[2].split()
rows = [json.loads(line) for line in open(path) if line.strip()]

def best(server, scenario, value, higher):
    values = [value(r) for r in rows if r["server"] == server and r["scenario"] == scenario]
    values = [v for v in values if v is not None]
    if not values:
        return None
    return max(values) if higher else min(values)

def per_conn(r):
    v = r.get("server_rss_held_per_connection_bytes")
    return v / 1024 if v is not None else None

def cpu_share(seconds, window):
    return 100 * seconds / window if seconds is not None and window else None

figures = [
    ("idle", "RSS per connection (KiB)", per_conn, False),
    ("idle", "connect+register+join /s", lambda r: r["connect"]["per_second"], True),
    ("idle", "idle server CPU (% core)", lambda r: cpu_share(r["idle_server_cpu_seconds"], r["hold_seconds"]), False),
    ("fanout-max", "deliveries/s", lambda r: r["delivery"]["deliveries_per_second"], True),
    ("fanout-max", "p50 latency (ms)", lambda r: r["delivery"]["latency_us"]["p50"] / 1000, False),
    ("fanout-max", "p99 latency (ms)", lambda r: r["delivery"]["latency_us"]["p99"] / 1000, False),
    ("fanout-max", "server CPU (% core)", lambda r: cpu_share(r["delivery"]["server_cpu_seconds"], r["delivery"]["cpu_window_seconds"]), None),
    ("fanout-max", "load tool CPU (% core)", lambda r: cpu_share(r["delivery"]["load_cpu_seconds"], r["delivery"]["cpu_window_seconds"]), None),
    ("fanout-rate", "delivered/s", lambda r: r["delivery"]["deliveries_per_second"], True),
    ("fanout-rate", "lost", lambda r: r["delivery"]["lost"], False),
    ("fanout-rate", "p50 latency (ms)", lambda r: r["delivery"]["latency_us"]["p50"] / 1000, False),
    ("fanout-rate", "p99 latency (ms)", lambda r: r["delivery"]["latency_us"]["p99"] / 1000, False),
    ("fanout-rate", "p99.9 latency (ms)", lambda r: r["delivery"]["latency_us"]["p999"] / 1000, False),
    ("fanout-rate", "server CPU (% core)", lambda r: cpu_share(r["delivery"]["server_cpu_seconds"], r["delivery"]["cpu_window_seconds"]), None),
    ("fanout-rate", "load tool CPU (% core)", lambda r: cpu_share(r["delivery"]["load_cpu_seconds"], r["delivery"]["cpu_window_seconds"]), None),
]
present = {r["scenario"] for r in rows}
peers = [s for s in servers if s != "tchatche"]
header = f"{'scenario':<12} {'figure':<28}" + "".join(f"{s:>12}" for s in servers)
if "tchatche" in servers:
    header += "".join(f"{'tch/' + p[:5]:>12}" for p in peers)
print()
print("Best of the runs, each figure on its own (CPU rows: the lowest seen).")
print("Ratios: tchatche / peer.")
print(header)
print("-" * len(header))
def fmt(v):
    if v is None:
        return f"{'n/a':>12}"
    if abs(v) >= 100:
        return f"{v:>12,.0f}"
    return f"{v:>12.2f}"
for scenario, label, value, higher in figures:
    if scenario not in present:
        continue
    pick = higher if higher is not None else False
    vals = {s: best(s, scenario, value, pick) for s in servers}
    line = f"{scenario:<12} {label:<28}" + "".join(fmt(vals[s]) for s in servers)
    if "tchatche" in servers:
        for p in peers:
            t, o = vals.get("tchatche"), vals.get(p)
            # A ratio of or to zero (idle CPU) says nothing: left out.
            line += f"{(t / o):>11.2f}x" if t and o else f"{'n/a':>12}"
    print(line)
PY
echo "==> JSON lines of every run: $out/results.jsonl" >&2
