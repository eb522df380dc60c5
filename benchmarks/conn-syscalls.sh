#!/usr/bin/env bash
# System calls per proxied connection, by kind: Portico (the start script's flags) against HAProxy
# (TCP mode, no splice), under `wrk -H "Connection: close"` (one request per TCP connection) to an
# nginx serving 100 bytes. Counts per connection do not depend on how busy the machine is, which
# makes this the one per-connection figure that can be compared on a shared box.
# Usage: [PORTICO_ARGS=--no-access-log] benchmarks/conn-syscalls.sh [seconds]   (needs strace, wrk, nginx, haproxy; root for strace -p)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
# shellcheck source=benchmarks/conn-setup.sh
source benchmarks/conn-setup.sh
conn_setup conn-syscalls 28180 28181
port_haproxy=28182
haproxy_setup $port_haproxy
portico_pid=$pid

measure() {  # NAME PID PORT
  local name=$1 pid=$2 port=$3
  wrk -t1 -c8 -d3s -H "Connection: close" "http://127.0.0.1:$port/100b" >/dev/null   # warm-up (JIT)
  strace -f -c -o "$work/out/$name.strace" -p "$pid" & local st=$!
  sleep 1   # strace attaches to every thread before the load starts
  local out; out=$(wrk -t1 -c8 -d"${secs}s" -H "Connection: close" "http://127.0.0.1:$port/100b")
  kill -INT "$st"; wait "$st" || true
  local reqs; reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$name $reqs"
  python3 - "$work/out/$name.strace" "$reqs" "$name" <<'PY'
import sys
path, reqs, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
for line in open(path):
    f = line.split()
    if len(f) >= 5 and f[0][0].isdigit() and f[-1] not in ("total",):
        calls = int(f[3]); errors = int(f[4]) if len(f) == 6 else 0
        rows.append((f[-1], calls, errors))
total = sum(c for _, c, _ in rows)
print(f"## {name}: {reqs} connections, {total / reqs:.1f} system calls per connection")
for sc, c, e in sorted(rows, key=lambda r: -r[1]):
    if c / reqs >= 0.05:
        print(f"{sc}\t{c / reqs:.2f}" + (f"\t({e / reqs:.2f} failed)" if e else ""))
PY
}
measure portico "$portico_pid" $port_portico
measure haproxy "$haproxy_pid" $port_haproxy
