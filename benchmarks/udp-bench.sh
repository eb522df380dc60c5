#!/usr/bin/env bash
# Side-by-side UDP run on loopback: direct, Portico, nginx stream (listen ... udp) and socat
# (UDP-LISTEN fork), all in front of one C echo backend, measured in ONE run by one C load
# generator (udp/udp-load.c). Two loads per target, interleaved over rounds (order rotated):
#   rr     FLOWS client sockets, 1 datagram in flight each: request/response rate
#   flood  FLOWS client sockets, WINDOW datagrams in flight each: datagrams per second
# and the proxy's CPU (utime+stime of its process tree from /proc, children reaped included)
# during each. Prints a table of medians with ratios to direct, and writes the raw rows to $OUT.
#
#   benchmarks/udp-bench.sh                     # 5 rounds of 10 s per load and target
#   ROUNDS=3 SECONDS_PER_RUN=5 benchmarks/udp-bench.sh
#
# Needs the launcher jar (mvn -B -q package -DskipTests -pl examples -am); installs nginx with
# its stream module, socat and gcc through apt when they are missing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
JAR=${PORTICO_JAR:-$HERE/../examples/target/portico.jar}
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
FLOWS=${FLOWS:-8}
WINDOW=${WINDOW:-16}
SIZE=${SIZE:-64}
TARGETS=${TARGETS:-direct portico nginx socat}
JAVA_OPTS=${JAVA_OPTS:--Xms64m -Xmx64m -XX:+UseSerialGC -XX:+AlwaysPreTouch}
WORK=$(mktemp -d /tmp/udp-bench.XXXXXX)
OUT=${OUT:-$WORK/raw.tsv}

need() {
    local missing=()
    command -v gcc >/dev/null || missing+=(gcc)
    command -v socat >/dev/null || missing+=(socat)
    command -v nginx >/dev/null || missing+=(nginx-light)
    [ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
    [ -f "$JAR" ] || { echo "no $JAR: mvn -B -q package -DskipTests -pl examples -am" >&2; exit 1; }
}

free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        # socat's per-flow children are not this shell's: end them by their parent.
        pkill -P "$p" 2>/dev/null || true
        kill "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

# "user system" clock ticks (utime+cutime, stime+cstime) of a process and its descendants.
cpu_ticks() {
    local root=$1 user=0 sys=0 p u s
    for p in $root $(pgrep -P "$root" 2>/dev/null || true); do
        if [ -r /proc/$p/stat ]; then
            read -r u s < <(awk '{ sub(/.*\) /, ""); print $12 + $14, $13 + $15 }' /proc/$p/stat)
            user=$((user + u))
            sys=$((sys + s))
        fi
    done
    echo "$user $sys"
}

need
gcc -O2 -o "$WORK/udp-load" "$HERE/udp/udp-load.c"
BACKEND=$(free_port)
"$WORK/udp-load" echo "$BACKEND" & PIDS+=($!)

declare -A PORT PID
start_target() {
    local t=$1 port
    port=$(free_port)
    PORT[$t]=$port
    case $t in
        direct) PORT[$t]=$BACKEND; PID[$t]=0; return ;;
        portico)
            cat > "$WORK/portico.yaml" <<YAML
apiVersion: v1
frontends:
  - name: bench
    bind: 127.0.0.1:$port
    protocol: udp
    backends:
      - address: 127.0.0.1:$BACKEND
YAML
            # shellcheck disable=SC2086
            java $JAVA_OPTS -jar "$JAR" router --no-access-log -c "$WORK/portico.yaml" >"$WORK/portico.log" 2>&1 &
            ;;
        nginx)
            mkdir -p "$WORK/nginx"
            cat > "$WORK/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
stream {
    server {
        listen 127.0.0.1:$port udp reuseport;
        proxy_pass 127.0.0.1:$BACKEND;
        proxy_timeout 60s;
    }
}
CONF
            nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
            ;;
        socat) socat UDP-LISTEN:"$port",bind=127.0.0.1,fork,reuseaddr UDP:127.0.0.1:"$BACKEND" & ;;
    esac
    PID[$t]=$!
    PIDS+=($!)
    # Ready when it answers (the load generator's own count).
    for _ in $(seq 1 100); do
        if [ "$(timeout 10 "$WORK/udp-load" load "$port" 1 1 0.3 "$SIZE" | cut -d' ' -f1)" -gt 0 ]; then
            return
        fi
    done
    echo "$t does not answer on $port" >&2
    exit 1
}

measure() { # target load-name window -> one raw row
    local t=$1 name=$2 window=$3 u0 s0 u1 s1 out
    read -r u0 s0 < <([ "${PID[$t]}" = 0 ] && echo 0 0 || cpu_ticks "${PID[$t]}")
    echo "$(date +%T) $t $name" >&2
    out=$(timeout $((SECONDS_PER_RUN + 30)) "$WORK/udp-load" load "${PORT[$t]}" "$FLOWS" "$window" "$SECONDS_PER_RUN" "$SIZE")
    read -r u1 s1 < <([ "${PID[$t]}" = 0 ] && echo 0 0 || cpu_ticks "${PID[$t]}")
    read -r answers secs refills <<<"$out"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$name" "$answers" "$secs" "$refills" \
        "$((u1 - u0 + s1 - s0))" "$((s1 - s0))" "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT"
}

printf 'target\tload\tanswers\tseconds\trefills\tcpu_ticks\tsys_ticks\tloadavg\n' >"$OUT"
read -ra T <<<"$TARGETS"
for t in "${T[@]}"; do
    start_target "$t"
    # Warm-up (Portico's JIT; every target's flows opened), not recorded.
    echo "$(date +%T) $t warm-up" >&2
    timeout 60 "$WORK/udp-load" load "${PORT[$t]}" "$FLOWS" "$WINDOW" 5 "$SIZE" >/dev/null
done
for r in $(seq 0 $((ROUNDS - 1))); do
    for i in "${!T[@]}"; do
        t=${T[$(((i + r) % ${#T[@]}))]}
        measure "$t" rr 1
        measure "$t" flood "$WINDOW"
    done
done

python3 - "$OUT" "$(getconf CLK_TCK)" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
tck = float(sys.argv[2])
def med(t, load, f):
    return statistics.median(f(r) for r in rows if r["target"] == t and r["load"] == load)
rate = lambda r: int(r["answers"]) / float(r["seconds"])
cpu_us = lambda r: int(r["cpu_ticks"]) / tck * 1e6 / (2 * int(r["answers"]))  # two datagrams forwarded per answer
targets = list(dict.fromkeys(r["target"] for r in rows))
d_rr, d_fl = med("direct", "rr", rate), med("direct", "flood", rate)
sys_share = lambda r: int(r["sys_ticks"]) / max(1, int(r["cpu_ticks"]))
print("| target | req/resp per s (1 in flight per flow) | ×direct | echoes/s (WINDOW in flight per flow) | ×direct | CPU µs/datagram (rr) | CPU µs/datagram (flood) | datagrams per CPU-second (flood) | kernel share of CPU (flood) | lost (refills) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for t in targets:
    rr, fl = med(t, "rr", rate), med(t, "flood", rate)
    refills = sum(int(r["refills"]) for r in rows if r["target"] == t)
    if t == "direct":
        c1 = c2 = dps = share = "n/a"
    else:
        c1, c2 = f'{med(t, "rr", cpu_us):.1f}', f'{med(t, "flood", cpu_us):.1f}'
        dps = f'{1e6 / med(t, "flood", cpu_us):,.0f}'
        share = f'{100 * med(t, "flood", sys_share):.0f}%'
    print(f"| {t} | {rr:,.0f} | {rr / d_rr:.2f} | {fl:,.0f} | {fl / d_fl:.2f} | {c1} | {c2} | {dps} | {share} | {refills} |")
loads = [float(r["loadavg"]) for r in rows]
print(f"\nload average during the run: {min(loads):.1f}–{max(loads):.1f} (on {__import__('os').cpu_count()} CPUs)")
PY
echo "raw rows: $OUT"
