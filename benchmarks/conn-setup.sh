# Sourced by conn-syscalls.sh and conn-alloc.sh: an nginx serving 100 bytes and Portico in front of
# it with the start script's flags, both on 127.0.0.1, cleaned up at exit.
# haproxy_setup PORT starts HAProxy (2 threads, TCP mode) in front of the same nginx and sets haproxy_pid.
# conn_setup NAME HTTP_PORT PORTICO_PORT sets: work (a temporary directory), pids (to kill at exit),
# pid (the router's JVM), port_http, port_portico; and defines wait_port PORT.
# The router watches its configuration directory ($work/cfg): nothing else may write there.

wait_port() {
  for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "port $1 never listened" >&2
  exit 1
}

conn_setup() {
  port_http=$2 port_portico=$3
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
  mkdir -p "$work/www" "$work/cfg" "$work/out"
  head -c 100 /dev/zero | tr '\0' x >"$work/www/100b"
  chmod -R a+rX "$work"
  cat >"$work/nginx.conf" <<CONF
worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.err warn;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$port_http backlog=4096; root $work/www; } }
CONF
  nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' & pids+=($!)
  cat >"$work/cfg/portico.yaml" <<CONF
apiVersion: v1
frontends:
  - bind: 127.0.0.1:$port_portico
    backends:
      - address: 127.0.0.1:$port_http
    healthInterval: 5
    timeout: 30s
CONF
  # shellcheck disable=SC2086 # PORTICO_ARGS is a list of flags.
  PORTICO_CACHE_DIR=$work/cache examples/src/main/dist/portico router -c "$work/cfg/portico.yaml" ${PORTICO_ARGS:-} \
    2>"$work/out/portico.log" & pids+=($!)
  wait_port "$port_http"
  wait_port "$port_portico"
  pid=$(pgrep -f "portico.jar router -c $work/cfg/portico.yaml" | head -1)
}

haproxy_setup() {
  cat >"$work/haproxy.cfg" <<CONF
global
  maxconn 4000
  nbthread 2
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen bench
  bind 127.0.0.1:$1
  server backend 127.0.0.1:$port_http
CONF
  haproxy -db -f "$work/haproxy.cfg" & pids+=($!)
  wait_port "$1"
  haproxy_pid=$(pgrep -f "haproxy -db -f $work/haproxy.cfg" | head -1)
}
