#!/usr/bin/env python3
"""Idle footprint of a router start ("Router-box footprint" in README.md).

Usage: footprint-idle.py RUNS COMMAND...   COMMAND gets {config} replaced by a YAML file with one
frontend (127.0.0.1, a free port) forwarding to an echo server this script runs. Per run: the time
from exec to the first accepted connect on the port (polled every 2 ms), one round trip through
the router, then VmRSS and Threads from /proc/PID/status 10 s after exec; the process group is
killed. Prints every run and the medians.

Example: benchmarks/footprint-idle.py 5 examples/src/main/dist/portico router -c {config}
"""
import os, signal, socket, statistics, subprocess, sys, tempfile, threading, time

runs = int(sys.argv[1])
cmd = sys.argv[2:]
echo = socket.socket()
echo.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
echo.bind(("127.0.0.1", 0))
echo.listen(128)


def echo_one(c):
    try:
        while (d := c.recv(4096)):
            c.sendall(d)
    except OSError:
        pass


def serve():
    while True:
        c, _ = echo.accept()
        threading.Thread(target=echo_one, args=(c,), daemon=True).start()


threading.Thread(target=serve, daemon=True).start()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


res = []
for i in range(runs):
    port = free_port()
    d = tempfile.mkdtemp(prefix="footprint")
    cfg = os.path.join(d, "portico.yaml")
    with open(cfg, "w") as f:
        f.write(f"apiVersion: v1\nfrontends:\n  - bind: 127.0.0.1:{port}\n    backends:\n"
                f"      - address: 127.0.0.1:{echo.getsockname()[1]}\n    healthInterval: 5\n    timeout: 30s\n")
    argv = [a.replace("{config}", cfg) for a in cmd]
    err = os.path.join(d, "stderr")
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(err, "w"), start_new_session=True)
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            if p.poll() is not None:
                sys.exit("exited early: " + open(err).read())
            time.sleep(0.002)
    started = time.monotonic() - t0
    s.sendall(b"ping")
    if s.recv(10) != b"ping":
        sys.exit("no echo through the router")
    s.close()
    time.sleep(max(0.0, 10 - (time.monotonic() - t0)))
    status = dict(line.split(":", 1) for line in open(f"/proc/{p.pid}/status"))
    rss = int(status["VmRSS"].split()[0]) / 1024
    threads = int(status["Threads"])
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    print(f"run {i}: start {started:.3f} s, RSS {rss:.1f} MiB, {threads} threads", flush=True)
    res.append((started, rss, threads))
print(f"median: start {statistics.median(r[0] for r in res):.3f} s, "
      f"RSS {statistics.median(r[1] for r in res):.1f} MiB, threads {statistics.median(r[2] for r in res)}")
