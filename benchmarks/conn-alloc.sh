#!/usr/bin/env bash
# Bytes allocated per proxied connection, by thread and by class, and CPU per connection split
# user/kernel: Portico with the start script's flags under `wrk -H "Connection: close"` (one request
# per TCP connection) to an nginx serving 100 bytes, the set-up of conn-syscalls.sh.
# Bytes per connection come from JDK Flight Recorder (jdk.ThreadAllocationStatistics at the start
# and end of the recording: exact per thread; jdk.ObjectAllocationSample: sampled, weighted by
# bytes, so the by-class figures are estimates) and do not depend on how busy the machine is. CPU
# per connection (/proc/PID/stat, a second run without the recorder) does: report it, compare
# it only within one run.
# Usage: [PORTICO_ARGS=--no-access-log] [KEEP_JFR=FILE] benchmarks/conn-alloc.sh [seconds]   (needs wrk, nginx, jcmd, jfr)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
# shellcheck source=benchmarks/conn-setup.sh
source benchmarks/conn-setup.sh
conn_setup conn-alloc 28190 28191

load() { wrk -t1 -c8 -d"$1" -H "Connection: close" "http://127.0.0.1:$port_portico/100b" | awk '/requests in/ {print $1}'; }
load 3s >/dev/null   # warm-up (JIT)

# CPU: utime and stime (clock ticks) over one run of the load, without the recorder.
ticks() { awk '{print $14, $15}' "/proc/$pid/stat"; }
read -r u0 s0 < <(ticks); n=$(load "${secs}s"); read -r u1 s1 < <(ticks)
hz=$(getconf CLK_TCK)
awk -v n="$n" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" 'BEGIN {
  printf "## CPU: %d connections, %.1f µs per connection (user %.1f, kernel %.1f; depends on machine load)\n",
    n, (u + s) * 1e6 / hz / n, u * 1e6 / hz / n, s * 1e6 / hz / n }'

jcmd "$pid" JFR.start name=alloc settings="$PWD/benchmarks/conn-alloc.jfc" >/dev/null
sleep 1
n=$(load "${secs}s")
jcmd "$pid" JFR.stop name=alloc filename="$work/out/alloc.jfr" >/dev/null
[[ -n "${KEEP_JFR:-}" ]] && cp "$work/out/alloc.jfr" "$KEEP_JFR"
jfr print --json --events jdk.ThreadAllocationStatistics "$work/out/alloc.jfr" >"$work/out/threads.json"
jfr print --json --stack-depth 48 --events jdk.ObjectAllocationSample "$work/out/alloc.jfr" >"$work/out/samples.json"
python3 - "$work/out" "$n" <<'PY'
import json, re, sys
from collections import defaultdict
out, n = sys.argv[1], int(sys.argv[2])
def events(name):
    return json.load(open(f"{out}/{name}.json"))["recording"]["events"]
def group(thread):
    name = (thread or {}).get("javaName") or "?"
    return re.sub(r"-\d+(-\d+)?$", "-*", name)
first, last = {}, {}
for e in events("threads"):
    v = e["values"]; t = v["thread"]; key = (t.get("javaThreadId"), t.get("javaName"))
    first.setdefault(key, v["allocated"]); last[key] = v["allocated"]
by_group = defaultdict(int)
for key in last:
    by_group[group({"javaName": key[1]})] += last[key] - first[key]
print(f"## allocation: {n} connections, {sum(by_group.values()) / n:.0f} bytes per connection in all threads")
for g, b in sorted(by_group.items(), key=lambda kv: -kv[1]):
    if b / n >= 1:
        print(f"{g}\t{b / n:.0f}")
# A sample is taken when an allocation starts a new thread-local buffer, so the chance that an
# object is sampled grows with its size: each class's share of the samples estimates its share of
# the bytes, scaled here to the exact per-thread total. (The samples' weights vary too much from
# one sample to the next to be summed over a few thousand.)
# The first three and the leak detector are looked for in the whole stack (an exception's stack
# trace is allocated in Throwable's constructor, below the constructor that names it); for the
# rest the first frame, from the allocation outwards, that names one decides.
CAUSES = [
    ("exception: ChannelOutputShutdownException (Netty, shutdownOutput)", ["ChannelOutputShutdownException.<init>"]),
    ("exception: NotYetConnectedException (Netty, shutdown(SHUT_RD) after the peer left)", ["NotYetConnectedException.<init>"]),
    ("exception: other", ["Exception.<init>"]),
    ("access log line (AccessLogEvents, LineLoggerFactory)", ["AccessLogEvents.", "LineLogger"]),
    ("metrics", ["MetricsEvents."]),
    ("leak detector samples (Netty)", ["ResourceLeakDetector"]),
    ("backend Bootstrap, its option and attribute maps", ["AbstractBootstrap.<init>", "AbstractBootstrap.option",
        "AbstractBootstrap.newOptionsArray", "AbstractBootstrap.newAttributesArray", "Bootstrap.<init>",
        "NettyForwardingEngine.backendBootstrap"]),
    ("channel objects (Netty: channel, config, id, unsafe, pipeline, outbound buffer)", ["AbstractChannel.<init>",
        "SocketChannel.<init>", "DefaultChannelId.", "ChannelOutboundBuffer.<init>", "newChannelPipeline", "Unsafe.<init>"]),
    ("pipeline handler contexts", ["DefaultChannelPipeline.newContext", "DefaultChannelPipeline.internalAdd"]),
    ("read-size handles (RecvByteBufAllocator)", ["newHandle"]),
    ("epoll interest values (EpollIoOps)", ["EpollIoOps."]),
    ("promises", ["newPromise", "DefaultChannelPromise.<init>", "newSucceededFuture", "newFailedFuture"]),
    ("addresses (InetAddress, InetSocketAddress)", ["InetAddress.getByAddress", "computeRemoteAddr", "NativeInetAddress",
        "InetSocketAddress.<init>"]),
    ("LoopGuard (the backend is on this machine)", ["LoopGuard"]),
    ("timers (ScheduledFutureTask)", ["AbstractScheduledEventExecutor.schedule"]),
    ("ConnectionInfo", ["Relay.info"]),
]
by_class, by_cause, samples = defaultdict(int), defaultdict(int), 0
for e in events("samples"):
    v = e["values"]
    if not group(v.get("eventThread")).startswith("portico-io"):
        continue
    samples += 1
    by_class[v["objectClass"]["name"]] += 1
    frames = [f["method"]["type"]["name"].split("/")[-1] + "." + f["method"]["name"]
              for f in ((v.get("stackTrace") or {}).get("frames") or [])]
    whole = [c for c, keys in (CAUSES[0], CAUSES[1], CAUSES[5]) if any(k in f for f in frames for k in keys)]
    cause = whole[0] if whole else next((c for f in frames for c, keys in CAUSES if any(k in f for k in keys)), "other")
    by_cause[cause] += 1
io = sum(b for g, b in by_group.items() if g.startswith("portico-io"))
samples = samples or 1
print(f"## portico-io-* by cause ({samples} samples; share of samples x exact total, bytes per connection)")
for c, k in sorted(by_cause.items(), key=lambda kv: -kv[1]):
    print(f"{c}\t{io * k / samples / n:.0f}\t{100 * k / samples:.1f}%")
print(f"## top classes allocated on portico-io-* (same estimate)")
for c, k in sorted(by_class.items(), key=lambda kv: -kv[1])[:15]:
    print(f"{c}\t{io * k / samples / n:.0f}\t{100 * k / samples:.1f}%")
PY
