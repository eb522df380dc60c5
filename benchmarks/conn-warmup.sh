#!/usr/bin/env bash
# How a freshly started router's CPU per new connection falls while the JIT compiles the connection
# path: Portico with the start script's flags in front of an nginx serving 100 bytes, one second of
# keep-alive load (what proxy-bench.sh warms up with by default), then RUNS runs of 5 s of
# `wrk -t1 -c32 -H "Connection: close"`; for each run the CPU per connection by thread kind (the
# I/O loops, the C1 and C2 compiler threads, the VM thread that runs the serial collector).
# Usage: [PORTICO_ARGS=--no-access-log] benchmarks/conn-warmup.sh [runs]   (needs wrk, nginx)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-4}
# shellcheck source=benchmarks/conn-setup.sh
source benchmarks/conn-setup.sh
conn_setup conn-warmup 28280 28281
by_kind() {  # CPU ticks per thread kind (thread names without their numbers)
  for t in /proc/"$pid"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm" | sed 's/[-_0-9]*$//')" "$(awk '{print $14 + $15}' "$t/stat")"
  done | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}' | sort
}
tick_us=$((1000000 / $(getconf CLK_TCK)))
wrk -t1 -c32 -d1s "http://127.0.0.1:$port_portico/100b" >/dev/null
for r in $(seq "$runs"); do
  by_kind >"$work/out/before"
  n=$(wrk -t1 -c32 -d5s -H "Connection: close" "http://127.0.0.1:$port_portico/100b" | awk '/requests in/ {print $1}')
  by_kind >"$work/out/after"
  join "$work/out/before" "$work/out/after" | awk -v n="$n" -v r="$r" -v us="$tick_us" '
    { d = ($3 - $2) * us / n; t += d; if (d >= 0.5) parts = parts sprintf(" %s %.1f", $1, d) }
    END { printf "run %d: %d connections, %.1f µs CPU per connection:%s\n", r, n, t, parts }'
done
