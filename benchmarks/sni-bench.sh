#!/usr/bin/env bash
# TLS passthrough by server name (SNI): full TLS handshakes per second and proxy CPU per
# connection through Portico's SNI routing and HAProxy's req.ssl_sni, plus direct to the backend,
# interleaved in one run (medians of ROUNDS); then syscalls per connection under strace for an
# SNI frontend against a plain frontend of the same proxy (the cost of reading the ClientHello).
#
# Usage (from the repository root, after `mvn -B -q package -DskipTests -pl examples -am`):
#   benchmarks/sni-bench.sh       # ROUNDS=5 SECS=6 CLIENTS=2 WARMUP=20 STRACE_CONNS=300 TRANSPORT=epoll
# Needs: java 17+, openssl (the TLS backend: s_server, ECDSA P-256, TLS 1.3), python3 (the
# client: one full handshake + a GET per connection, no session resumption), haproxy, strace.
set -euo pipefail

ROUNDS="${ROUNDS:-5}"
SECS="${SECS:-6}"
CLIENTS="${CLIENTS:-2}"
STRACE_CONNS="${STRACE_CONNS:-300}"
# The start script delays C2 (Tier4 thresholds x10): the JVM needs some thousands of connections first.
WARMUP="${WARMUP:-20}"
JAR="${JAR:-examples/target/portico.jar}"
TRANSPORT="${TRANSPORT:-epoll}"
NAME=bench.example.org

for tool in java openssl python3 haproxy strace; do
  command -v "$tool" >/dev/null || { echo "sni-bench: $tool not found" >&2; exit 2; }
done
[[ -f "$JAR" ]] || { echo "sni-bench: $JAR not found; build it first (see the usage above)" >&2; exit 2; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
backend_port="$(free_port)"; portico_sni="$(free_port)"; portico_plain="$(free_port)"
haproxy_sni="$(free_port)"; haproxy_plain="$(free_port)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$NAME" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
# Two serial s_server processes would need two ports; one with -www serves one connection at a
# time, which is the same for every path, so the paths differ only by the proxy between.
openssl s_server -accept "127.0.0.1:$backend_port" -cert "$work/cert.pem" -key "$work/key.pem" \
  -tls1_3 -www -quiet </dev/null >"$work/s_server.log" 2>&1 &
pids+=($!)

cat >"$work/portico.yaml" <<EOF
apiVersion: v1
frontends:
  - name: sni
    bind: 127.0.0.1:$portico_sni
    sni: [$NAME]
    health: {enabled: false}
    backends:
      - address: 127.0.0.1:$backend_port
  - name: plain
    bind: 127.0.0.1:$portico_plain
    health: {enabled: false}
    backends:
      - address: 127.0.0.1:$backend_port
EOF
# The start script's JVM defaults (examples/src/main/dist/portico).
java -Xms8m -Xmx64m -XX:+UseSerialGC -XX:+IgnoreUnrecognizedVMOptions -XX:TrimNativeHeapInterval=1000 \
  -XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000 -XX:Tier4CompileThreshold=150000 \
  -XX:Tier4BackEdgeThreshold=400000 -jar "$JAR" router -c "$work/portico.yaml" --transport "$TRANSPORT" \
  --no-access-log -q >"$work/portico.log" 2>&1 &
portico_pid=$!
pids+=("$portico_pid")

cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 5000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend sni
  bind 127.0.0.1:$haproxy_sni
  tcp-request inspect-delay 10s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend tls if { req.ssl_sni -i $NAME }
frontend plain
  bind 127.0.0.1:$haproxy_plain
  default_backend tls
backend tls
  server s1 127.0.0.1:$backend_port
EOF
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
pids+=("$haproxy_pid")

cat >"$work/client.py" <<'EOF'
# One full TLS handshake (fresh context state, no resumption) and a GET per connection, for
# SECS seconds or COUNT connections; prints the connections completed.
import socket, ssl, sys, time
port, name, secs, count = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
end = time.monotonic() + secs
n = 0
while (count == 0 and time.monotonic() < end) or (count > 0 and n < count):
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            while s.recv(65536):
                pass
    n += 1
print(n)
EOF

# utime + stime of a process and all its threads, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))

wait_port() {
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "sni-bench: nothing listens on $1 ($2); its output:" >&2
  cat "$work/$2.log" >&2 || true
  exit 1
}
wait_port "$backend_port" s_server
wait_port "$portico_sni" portico
wait_port "$portico_plain" portico
wait_port "$haproxy_sni" haproxy
wait_port "$haproxy_plain" haproxy

# Runs CLIENTS clients against a port for SECS; prints "connections cpu_ticks" (cpu of $2, or 0).
load() {
  local port="$1" pid="${2:-}" before=0 after=0 total=0
  [[ -n "$pid" ]] && before="$(cpu_ticks "$pid")"
  local outs=()
  for i in $(seq 1 "$CLIENTS"); do
    python3 "$work/client.py" "$port" "$NAME" "$SECS" 0 >"$work/out.$i" &
    outs+=($!)
  done
  wait "${outs[@]}"
  [[ -n "$pid" ]] && after="$(cpu_ticks "$pid")"
  for i in $(seq 1 "$CLIENTS"); do total=$((total + $(cat "$work/out.$i"))); done
  echo "$total $((after - before))"
}

declare -A paths=([direct]="$backend_port:" [portico-sni]="$portico_sni:$portico_pid"
  [portico-plain]="$portico_plain:$portico_pid" [haproxy-sni]="$haproxy_sni:$haproxy_pid"
  [haproxy-plain]="$haproxy_plain:$haproxy_pid")
order=(direct portico-sni haproxy-sni portico-plain haproxy-plain)

echo "warming up (JIT) ..." >&2
for p in "${order[@]}"; do SECS="$WARMUP" load "${paths[$p]%%:*}" "${paths[$p]#*:}" >/dev/null; done

: >"$work/results"
for r in $(seq 1 "$ROUNDS"); do
  for p in "${order[@]}"; do
    read -r conns ticks < <(load "${paths[$p]%%:*}" "${paths[$p]#*:}")
    echo "$p $r $conns $ticks" >>"$work/results"
    echo "round $r $p: $conns connections, $((ticks * tick_us / (conns > 0 ? conns : 1))) us proxy CPU each" >&2
  done
done

# Syscalls per connection: strace -c on every thread of the proxy, one fixed batch each.
strace_run() {
  local port="$1" pid="$2" out="$3" args=()
  for t in /proc/"$pid"/task/*; do args+=(-p "${t##*/}"); done
  # -f on the main thread already takes every thread: the other -p attaches then fail harmlessly.
  strace -c -f -o "$out" "${args[@]}" 2>/dev/null &
  local sp=$!
  sleep 1
  python3 "$work/client.py" "$port" "$NAME" 0 "$STRACE_CONNS" >/dev/null
  kill -INT "$sp"; wait "$sp" 2>/dev/null || true
}
strace_run "$portico_sni" "$portico_pid" "$work/strace.portico-sni"
strace_run "$portico_plain" "$portico_pid" "$work/strace.portico-plain"
strace_run "$haproxy_sni" "$haproxy_pid" "$work/strace.haproxy-sni"
strace_run "$haproxy_plain" "$haproxy_pid" "$work/strace.haproxy-plain"

python3 - "$work" "$ROUNDS" "$SECS" "$CLIENTS" "$tick_us" "$STRACE_CONNS" <<'EOF'
import statistics, sys, os, re
work, rounds, secs, clients, tick_us, sconns = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rows = {}
for line in open(os.path.join(work, "results")):
    p, r, c, t = line.split()
    rows.setdefault(p, []).append((int(c), int(t)))
order = ["direct", "portico-sni", "haproxy-sni", "portico-plain", "haproxy-plain"]
direct = statistics.median(c / secs for c, _ in rows["direct"])
print(f"\nmedians of {rounds} rounds, {clients} clients x {secs:g} s each, interleaved")
print("| path | handshakes/s | vs direct | proxy CPU per connection (us) |")
print("| --- | ---: | ---: | ---: |")
for p in order:
    rate = statistics.median(c / secs for c, _ in rows[p])
    cpu = "-" if p == "direct" else f"{statistics.median(t * tick_us / c for c, t in rows[p] if c):.0f}"
    print(f"| {p} | {rate:.0f} | {rate / direct:.2f} | {cpu} |")
def calls(path):
    out = {}
    for line in open(path):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
        if m and m.group(2) != "total":
            out[m.group(2)] = int(m.group(1))
    return out
print(f"\nsyscalls per connection under strace -c -f ({sconns} connections each)")
stats = {p: calls(os.path.join(work, "strace." + p)) for p in ["portico-sni", "portico-plain", "haproxy-sni", "haproxy-plain"]}
total = {}
for c in stats.values():
    for n, v in c.items():
        total[n] = total.get(n, 0) + v
names = [n for n, _ in sorted(total.items(), key=lambda kv: -kv[1])[:12]]
print("| proxy, frontend | " + " | ".join(names) + " | all |")
print("| --- |" + " ---: |" * (len(names) + 1))
for p in ["portico-sni", "portico-plain", "haproxy-sni", "haproxy-plain"]:
    c = stats[p]
    cells = [f"{c.get(n, 0) / sconns:.2f}" for n in names]
    print(f"| {p} | " + " | ".join(cells) + f" | {sum(c.values()) / sconns:.1f} |")
EOF
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
