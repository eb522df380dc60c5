#!/usr/bin/env bash
# Build a genuine kube-apiserver from Debian's `kubernetes` source package (upstream 1.20.x,
# dependencies vendored) and run it with Debian's etcd on 127.0.0.1, for opt-in integration tests.
#
#   .ci/kube-apiserver.sh build                  # once per machine; no-op when $CACHE/bin/kube-apiserver exists
#   .ci/kube-apiserver.sh start DIR              # etcd + apiserver; writes DIR/kubeconfig, DIR/token, DIR/*.pid
#   .ci/kube-apiserver.sh restart-apiserver DIR  # same port, same args; waits for /readyz
#   .ci/kube-apiserver.sh compact DIR            # compact etcd to its current revision
#   .ci/kube-apiserver.sh stop DIR
#
# Environment: PORTICO_KUBE_CACHE (default /var/cache/portico-kube), PORTICO_KUBE_READY_TIMEOUT (s, 60),
# PORTICO_ETCD_COMPACTION_MODE (periodic), PORTICO_ETCD_COMPACTION_RETENTION (0 = etcd auto-compaction off),
# PORTICO_KUBE_APISERVER_EXTRA_ARGS (space separated, e.g. "--watch-cache=false" so that watches are
# served straight from etcd and an old resourceVersion gets 410 Gone right after `compact`).
set -euo pipefail

CACHE="${PORTICO_KUBE_CACHE:-/var/cache/portico-kube}"
BIN="$CACHE/bin/kube-apiserver"
READY_TIMEOUT="${PORTICO_KUBE_READY_TIMEOUT:-60}"
RUNTIME_PKGS=(etcd-server etcd-client openssl curl)
BUILD_PKGS=(golang-go dpkg-dev rsync golang-github-modern-go-reflect2-dev "${RUNTIME_PKGS[@]}")
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2

log() { echo "[kube-apiserver.sh] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo

ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# `apt-get source kubernetes` needs a deb-src line; add one for this release (bookworm has
# kubernetes 1.20.5+really1.20.2), falling back to bullseye, on the mirror already configured.
ensure_deb_src() {
  [[ -n $(apt-cache showsrc kubernetes 2>/dev/null) ]] && return 0
  local codename mirror suite f=/etc/apt/sources.list.d/portico-kube-src.sources
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -v '^\s*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
  for suite in "$codename" bullseye; do
    log "adding deb-src $mirror $suite to $f"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" "$suite" | $SUDO tee "$f" >/dev/null
    $SUDO apt-get update -qq
    [[ -n $(apt-cache showsrc kubernetes 2>/dev/null) ]] && return 0
  done
  die "no kubernetes source package found in $codename or bullseye"
}

cmd_build() {
  if [[ -x $BIN ]]; then log "already built: $BIN ($("$BIN" --version))"; return 0; fi
  local t0=$SECONDS src
  ensure_pkgs "${BUILD_PKGS[@]}"
  $SUDO mkdir -p "$CACHE"; [[ -z $SUDO ]] || $SUDO chown "$(id -u):$(id -g)" "$CACHE"
  if ! src=$(ls -d "$CACHE"/src/kubernetes-*/ 2>/dev/null | head -n1) || [[ -z $src ]]; then
    ensure_deb_src
    log "fetching source: apt-get source kubernetes -> $CACHE/src"
    rm -rf "$CACHE/src.tmp" && mkdir -p "$CACHE/src.tmp"
    (cd "$CACHE/src.tmp" && apt-get source -qq -o APT::Sandbox::User=root kubernetes >/dev/null)
    rm -rf "$CACHE/src" && mv "$CACHE/src.tmp" "$CACHE/src"
    src=$(ls -d "$CACHE"/src/kubernetes-*/ | head -n1)
  fi
  src=${src%/}
  log "source: $src"
  # reflect2 v1.0.1 (vendored) crashes at run time on Go >= 1.18; use Debian's 1.0.2.
  [[ -f $REFLECT2_SRC/go_above_118.go ]] || die "$REFLECT2_SRC is not reflect2 >= 1.0.2"
  log "replacing vendored github.com/modern-go/reflect2 with $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"
  rm -rf "$src/vendor/github.com/modern-go/reflect2" && mkdir -p "$src/vendor/github.com/modern-go/reflect2"
  cp "$REFLECT2_SRC"/*.go "$REFLECT2_SRC"/*.s "$src/vendor/github.com/modern-go/reflect2/"
  log "building cmd/kube-apiserver with $(go version | cut -d' ' -f3) (takes a few minutes)"
  # Upstream's own build (GOPATH mode + vendor/, version ldflags). The tarball ships every generated file
  # except pkg/generated/openapi/zz_generated.openapi.go, so run only that generator (not `make`'s full set).
  (cd "$src" && export CGO_ENABLED=0 && unset GOFLAGS && make gen_openapi && hack/make-rules/build.sh cmd/kube-apiserver)
  mkdir -p "$CACHE/bin"
  cp "$src/_output/bin/kube-apiserver" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
  log "built $BIN ($("$BIN" --version)) in $((SECONDS - t0)) s"
}

free_port() { # EXCLUDED... ; a port in 20000-31999 (below the ephemeral range) that nobody answers on
  local p i
  for i in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    [[ " $* " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop_pid() { # pidfile
  alive "$1" || { rm -f "$1"; return 0; }
  local pid i; pid=$(cat "$1"); kill "$pid" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "pid $pid ignored SIGTERM, killing"; kill -9 "$pid" 2>/dev/null || true; sleep 0.2; }
  rm -f "$1"
}

launch() { # pidfile logfile cmd... ; in the background without our stdio (callers may read our stdout to EOF)
  local pidf=$1 logf=$2; shift 2
  "$@" </dev/null >>"$logf" 2>&1 &
  echo $! >"$pidf"
}

start_apiserver() { # DIR
  local d=$1 args i
  mapfile -t args <"$d/apiserver.args"
  log "starting kube-apiserver on https://127.0.0.1:$(cat "$d/apiserver.port") (log: $d/apiserver.log)"
  launch "$d/apiserver.pid" "$d/apiserver.log" "$BIN" "${args[@]}"
  for ((i = 0; i < READY_TIMEOUT * 2; i++)); do
    if ! alive "$d/apiserver.pid"; then tail -n 40 "$d/apiserver.log" >&2; log "kube-apiserver exited"; return 1; fi
    if [[ $(curl -s --max-time 2 --cacert "$d/pki/apiserver.crt" -H "Authorization: Bearer $(cat "$d/token")" \
      "https://127.0.0.1:$(cat "$d/apiserver.port")/readyz" 2>/dev/null) == ok ]]; then
      log "kube-apiserver ready after $((i / 2)) s"; return 0
    fi
    sleep 0.5
  done
  tail -n 40 "$d/apiserver.log" >&2; log "kube-apiserver not ready after $READY_TIMEOUT s"; stop_pid "$d/apiserver.pid"; return 1
}

cmd_start() {
  local d=$1 eport pport aport token i
  ensure_pkgs "${RUNTIME_PKGS[@]}"
  cmd_build
  mkdir -p "$d/pki" && d=$(cd "$d" && pwd)
  alive "$d/etcd.pid" || alive "$d/apiserver.pid" && die "$d already has running processes; stop it first"
  eport=$(free_port); pport=$(free_port "$eport"); aport=$(free_port "$eport" "$pport")
  echo "$eport" >"$d/etcd.port"; echo "$aport" >"$d/apiserver.port"
  log "starting etcd on http://127.0.0.1:$eport (log: $d/etcd.log)"
  launch "$d/etcd.pid" "$d/etcd.log" etcd --name portico --data-dir "$d/etcd" \
    --listen-client-urls "http://127.0.0.1:$eport" --advertise-client-urls "http://127.0.0.1:$eport" \
    --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
    --initial-cluster "portico=http://127.0.0.1:$pport" \
    --auto-compaction-mode "${PORTICO_ETCD_COMPACTION_MODE:-periodic}" \
    --auto-compaction-retention "${PORTICO_ETCD_COMPACTION_RETENTION:-0}"
  for ((i = 0; ; i++)); do
    alive "$d/etcd.pid" || { tail -n 30 "$d/etcd.log" >&2; die "etcd exited"; }
    curl -sf --max-time 2 "http://127.0.0.1:$eport/health" | grep -q '"health":"true"' && break
    ((i < 60)) || { tail -n 30 "$d/etcd.log" >&2; stop_pid "$d/etcd.pid"; die "etcd not healthy after 30 s"; }
    sleep 0.5
  done
  if [[ ! -f $d/pki/apiserver.crt ]]; then
    log "generating serving certificate, service-account key pair and token"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=portico-kube-apiserver \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1" \
      -keyout "$d/pki/apiserver.key" -out "$d/pki/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$d/pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$d/pki/sa.key" -pubout -out "$d/pki/sa.pub" 2>/dev/null
    openssl rand -hex 24 >"$d/token"
  fi
  token=$(cat "$d/token")
  echo "$token,admin,admin,\"system:masters\"" >"$d/pki/tokens.csv"
  # shellcheck disable=SC2206
  local args=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$aport"
    --cert-dir="$d/pki" --tls-cert-file="$d/pki/apiserver.crt" --tls-private-key-file="$d/pki/apiserver.key"
    --etcd-servers="http://127.0.0.1:$eport" --token-auth-file="$d/pki/tokens.csv" --authorization-mode=RBAC
    --service-cluster-ip-range=10.96.0.0/16 --service-account-issuer=https://kubernetes.default.svc
    --service-account-key-file="$d/pki/sa.pub" --service-account-signing-key-file="$d/pki/sa.key"
    --endpoint-reconciler-type=none --disable-admission-plugins=ServiceAccount
    ${PORTICO_KUBE_APISERVER_EXTRA_ARGS:-})
  printf '%s\n' "${args[@]}" >"$d/apiserver.args"
  cat >"$d/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: portico
  cluster:
    server: https://127.0.0.1:$aport
    certificate-authority-data: $(base64 -w0 "$d/pki/apiserver.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: portico
  context: {cluster: portico, user: admin, namespace: default}
current-context: portico
EOF
  start_apiserver "$d" || { stop_pid "$d/etcd.pid"; die "start failed; etcd stopped"; }
  log "up: kubeconfig $d/kubeconfig, server https://127.0.0.1:$aport, etcd http://127.0.0.1:$eport"
}

cmd_restart_apiserver() {
  [[ -f $1/apiserver.args ]] && alive "$1/etcd.pid" || die "$1 was not started (or its etcd is gone)"
  log "stopping kube-apiserver"; stop_pid "$1/apiserver.pid"; start_apiserver "$1" || die "restart failed"
}

cmd_compact() {
  local ep rev; ep="http://127.0.0.1:$(cat "$1/etcd.port")"
  rev=$(ETCDCTL_API=3 etcdctl --endpoints="$ep" get / --prefix --keys-only --limit=1 -w json \
    | grep -oE '"revision":[0-9]+' | head -n1 | cut -d: -f2)
  [[ -n $rev ]] || die "could not read etcd revision"
  ETCDCTL_API=3 etcdctl --endpoints="$ep" compact "$rev" --physical >&2
  echo "$rev"
}

cmd_stop() { log "stopping kube-apiserver and etcd in $1"; stop_pid "$1/apiserver.pid"; stop_pid "$1/etcd.pid"; }

case "${1:-}" in
  build) cmd_build ;;
  start | stop | restart-apiserver | compact)
    [[ -n ${2:-} ]] || die "usage: $0 $1 DIR"
    c=$1; [[ $c == restart-apiserver ]] && c=restart_apiserver
    [[ $1 == start || $1 == stop || -d $2 ]] || die "no such directory: $2"
    "cmd_$c" "$2" ;;
  *) die "usage: $0 build | start DIR | stop DIR | restart-apiserver DIR | compact DIR" ;;
esac
