#!/usr/bin/env bash
# CPU per new connection and per keep-alive request, user and kernel, of two Portico jars and
# HAProxy side by side: the same nginx (100 bytes) behind each, `wrk -t1 -c32` with and without
# "Connection: close", the three interleaved (before, after, HAProxy) for ROUNDS rounds, after 20 s
# of connection load and 5 s of keep-alive load on each Portico to bring the JIT to steady state.
# CPU comes from /proc/PID/stat, so only the three figures of one row compare (neighbours' load
# moves them together); this is the before/after measure of a change to the connection path.
# Usage: [PORTICO_ARGS=--no-access-log] benchmarks/conn-cpu.sh BEFORE_DIR [seconds] [rounds]
#   BEFORE_DIR holds the other build's portico.jar; the current one is examples/target/portico.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
before_dir=$(cd "$1" && pwd)
secs=${2:-8}
rounds=${3:-3}
[[ -r $before_dir/portico.jar ]] || { echo "no portico.jar in $before_dir" >&2; exit 2; }
# shellcheck source=benchmarks/conn-setup.sh
source benchmarks/conn-setup.sh
PORTICO_JAR=$before_dir/portico.jar conn_setup conn-cpu 28380 28381
pid_before=$pid port_before=$port_portico
port_after=28382 port_haproxy=28383
mkdir -p "$work/cfg2"
sed "s/:$port_before/:$port_after/" "$work/cfg/portico.yaml" >"$work/cfg2/portico.yaml"
# shellcheck disable=SC2086 # PORTICO_ARGS is a list of flags.
PORTICO_CACHE_DIR=$work/cache2 PORTICO_JAR=$PWD/examples/target/portico.jar examples/src/main/dist/portico \
  router -c "$work/cfg2/portico.yaml" ${PORTICO_ARGS:-} 2>"$work/out/after.log" & pids+=($!)
wait_port $port_after
pid_after=$(pgrep -f "portico.jar router -c $work/cfg2/portico.yaml" | head -1)
haproxy_setup $port_haproxy
tick_us=$((1000000 / $(getconf CLK_TCK)))
cpu() { awk '{print $14, $15}' "/proc/$1/stat"; }
run() {  # NAME PID PORT close|ka
  local hdr=() a b n
  [[ $4 == close ]] && hdr=(-H "Connection: close")
  a=$(cpu "$2")
  n=$(wrk -t1 -c32 -d"${secs}s" "${hdr[@]}" "http://127.0.0.1:$3/100b" | awk '/requests in/ {print $1}')
  b=$(cpu "$2")
  awk -v name="$1" -v mode="$4" -v n="$n" -v s="$secs" -v us="$tick_us" -v a="$a" -v b="$b" 'BEGIN {
    split(a, x, " "); split(b, y, " "); u = (y[1] - x[1]) * us / n; k = (y[2] - x[2]) * us / n
    printf "%-7s %-5s %8.0f req/s   user %5.1f  kernel %5.1f  total %6.1f µs per request\n", name, mode, n / s, u, k, u + k }'
}
for p in $port_before $port_after; do
  wrk -t1 -c32 -d20s -H "Connection: close" "http://127.0.0.1:$p/100b" >/dev/null
  wrk -t1 -c32 -d5s "http://127.0.0.1:$p/100b" >/dev/null
done
wrk -t1 -c32 -d3s -H "Connection: close" "http://127.0.0.1:$port_haproxy/100b" >/dev/null
for _ in $(seq "$rounds"); do
  for mode in close ka; do
    run before "$pid_before" $port_before $mode
    run after "$pid_after" $port_after $mode
    run haproxy "$haproxy_pid" $port_haproxy $mode
  done
done
