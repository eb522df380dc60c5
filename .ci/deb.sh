#!/usr/bin/env bash
# CI: checks the Debian package that `mvn -B verify` (or package) left in examples/target: lintian,
# install, the installed launcher and unit, the router run from the installed files with the
# unit's own command lines (as a child process: systemd is not PID 1 here), bytes through a
# frontend written into /etc/portico, then remove and purge. Builds nothing. Needs root (dpkg) and
# Debian's packages (lintian, a Java 17 runtime: installed when missing). Leaves the machine as it
# found it, also on failure; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

shopt -s nullglob
debs=(examples/target/portico_*_all.deb)
if (( ${#debs[@]} != 1 )); then
  echo "deb.sh: expected one examples/target/portico_*_all.deb (built by 'mvn -B verify'), found ${#debs[@]}" >&2
  exit 1
fi
deb="$(readlink -f "${debs[0]}")"
version="$(dpkg-deb -f "$deb" Version)"
work="$(mktemp -d "${TMPDIR:-/tmp}/portico-deb.XXXXXX")"
pids=()
ok=false

ci_name=deb
# shellcheck source=.ci/steps.sh
source "$(dirname "$0")/steps.sh"

purge() {
  if dpkg-query -W -f='${Status}' portico 2>/dev/null | grep -qv 'not-installed'; then
    dpkg -P portico >/dev/null
  fi
}

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ "$ok" != true ]]; then
    for log in "$work"/*.log; do
      echo "--- $log" >&2
      tail -n 40 "$log" >&2
    done
  fi
  rm -f /etc/portico/ci-echo.yaml
  purge || true
  rm -rf "$work"
}
trap cleanup EXIT

# A port nothing listens on now (bash's /dev/tcp: a refused connect). Between here and the bind
# another process could take it; that would show as a clear bind error in the logs.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  fail "no free port found"
}

# Waits up to $2 seconds for a listener on 127.0.0.1:$1, failing early if process $3 has ended.
await_port() {
  local port="$1" within="$2" pid="$3" t0=$SECONDS
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "process $pid ended before 127.0.0.1:$port listened"
    (( SECONDS - t0 < within )) || fail "nothing listens on 127.0.0.1:$port after ${within} s"
    sleep 0.2
  done
}

# Waits up to $3 seconds for file $1 to contain text $2; returns 1 as soon as process $4 ends.
await_log() {
  local file="$1" text="$2" within="$3" pid="$4" t0=$SECONDS
  until grep -qF -- "$text" "$file"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid ended before logging '$text'" >&2
      return 1
    fi
    if (( SECONDS - t0 >= within )); then
      echo "no '$text' in $file after ${within} s" >&2
      return 1
    fi
    sleep 0.2
  done
}

# The command of a unit line (ExecStart=, ExecStartPre=) of the installed unit, as the array cmd;
# returns 1 when the unit has no such line.
unit_command() {
  local line
  line="$(grep -m1 "^$1=" /lib/systemd/system/portico.service)" || return 1
  line="${line#*=}"
  line="${line#[-@:+!]}"   # systemd's prefixes (- @ : + !) are not part of the command
  read -r -a cmd <<< "$line"
}

echo "deb.sh: $deb ($(du -k "$deb" | cut -f1) KiB), version $version; PID 1 is $(cat /proc/1/comm)"

step "lintian"
if ! command -v lintian >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian >/dev/null
fi
# Every tag at every level is shown; a warning or an error fails. Overrides, each with its reason,
# are in examples/src/deb/lintian-overrides. (Its note that it runs as root is dropped: CI is root.)
lintian_rc=0
lintian --info --pedantic --display-experimental --fail-on warning,error "$deb" > "$work/lintian.txt" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$work/lintian.txt" || true
(( lintian_rc == 0 )) || fail "lintian exited $lintian_rc"
echo "lintian: clean ($(grep -c '^[EWIPX]:' "$work/lintian.txt" || true) tags shown)"

step "install"
purge
rm -f /etc/portico/ci-echo.yaml
if ! dpkg-query -W -f='${Status}\n' openjdk-17-jre-headless 2>/dev/null | grep -q '^install ok installed'; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
fi
dpkg -i "$deb"
for f in /usr/bin/portico /usr/share/portico/portico.jar /lib/systemd/system/portico.service \
    /etc/portico/portico.yaml /usr/share/bash-completion/completions/portico /usr/share/man/man1/portico.1.gz \
    /usr/share/doc/portico/copyright /usr/share/doc/portico/changelog.gz; do
  [[ -f "$f" ]] || fail "$f not installed"
done
[[ "$(dpkg-query -W -f='${Conffiles}' portico)" == *"/etc/portico/portico.yaml"* ]] || fail "portico.yaml is not a conffile"
# What postinst did without systemd running: the unit enabled (symlink), nothing started.
[[ -L /etc/systemd/system/multi-user.target.wants/portico.service ]] || fail "postinst did not enable portico.service"
if grep -qvE '^[[:space:]]*(#|$)' /etc/portico/portico.yaml; then
  fail "/etc/portico/portico.yaml has a line that is not a comment: a fresh install must listen on nothing"
fi

step "portico --version, man, completion"
/usr/bin/portico --version | tee "$work/version.txt"
# 0.1.0~SNAPSHOT in Debian's version is 0.1.0-SNAPSHOT in Maven's.
grep -qF "portico ${version/\~/-}" "$work/version.txt" || fail "--version does not say portico ${version/\~/-}"
zcat /usr/share/man/man1/portico.1.gz | grep -q '^\.TH "PORTICO"' || fail "portico.1 is not a troff man page"
bash -c 'source /usr/share/bash-completion/completions/portico && complete -p portico' >/dev/null \
  || fail "the bash completion does not define a completion for portico"

step "systemd-analyze verify"
if ! command -v systemd-analyze >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
# It exits 0 on some problems it only warns about (an unknown key, a bad value): any output fails.
systemd-analyze verify /lib/systemd/system/portico.service > "$work/verify.txt" 2>&1 || fail "$(cat "$work/verify.txt")"
[[ ! -s "$work/verify.txt" ]] || fail "systemd-analyze verify: $(cat "$work/verify.txt")"

step "fresh install: the unit's ExecStartPre and ExecStart on the commented example"
if unit_command ExecStartPre; then
  echo "ExecStartPre: ${cmd[*]}"
  "${cmd[@]}" || fail "ExecStartPre (${cmd[*]}) fails on a fresh install: systemd would retry it every RestartSec"
fi
unit_command ExecStart || fail "the unit has no ExecStart= line"
start=("${cmd[@]}")
: > "$work/router.log"
"${start[@]}" --drain-timeout 1s > "$work/router.log" 2>&1 &
router=$!
pids+=("$router")
echo "ExecStart: ${start[*]} (pid $router)"
# A fresh install runs with no frontend and waits for one, rather than exiting (which systemd's
# Restart=on-failure would turn into a restart every few seconds).
if ! await_log "$work/router.log" "running: 0 frontend(s)" 60 "$router"; then
  fail "ExecStart (${start[*]}) does not keep running on a fresh install (it needs --allow-empty)"
fi

step "a frontend written into /etc/portico carries bytes to an echo (portico demo)"
echo_port="$(free_port)"
: > "$work/demo.log"
/usr/bin/portico demo --port "$echo_port" > "$work/demo.log" 2>&1 &
demo=$!
pids+=("$demo")
await_port "$echo_port" 60 "$demo"
front_port="$(free_port)"
cat > /etc/portico/ci-echo.yaml <<YAML
apiVersion: v1
frontends:
  - name: ci-echo
    bind: 127.0.0.1:$front_port
    backends:
      - address: 127.0.0.1:$echo_port
YAML
chmod 0644 /etc/portico/ci-echo.yaml
/usr/bin/portico check -c /etc/portico || fail "portico check -c /etc/portico"
# The router watches the directory: the new frontend comes up without a restart.
await_port "$front_port" 60 "$router"
exec 3<>"/dev/tcp/127.0.0.1/$front_port"
printf 'hello through the packaged router\n' >&3
IFS= read -r -t 30 reply <&3 || fail "no reply through 127.0.0.1:$front_port"
exec 3>&-
[[ "$reply" == "hello through the packaged router" ]] || fail "echo through the router returned '$reply'"
echo "echoed: $reply"

kill -TERM "$router"
wait "$router" && rc=0 || rc=$?
(( rc == 0 )) || fail "the router exited $rc after SIGTERM"
kill -TERM "$demo"
wait "$demo" || true
pids=()

step "remove and purge"
rm -f /etc/portico/ci-echo.yaml
dpkg -r portico
for f in /usr/bin/portico /usr/share/portico /lib/systemd/system/portico.service \
    /usr/share/bash-completion/completions/portico /usr/share/man/man1/portico.1.gz /usr/share/doc/portico; do
  [[ ! -e "$f" ]] || fail "$f is still there after dpkg -r"
done
[[ -f /etc/portico/portico.yaml ]] || fail "dpkg -r removed the conffile (only purge should)"
dpkg -P portico
for f in /etc/portico /etc/systemd/system/multi-user.target.wants/portico.service \
    /var/lib/systemd/deb-systemd-helper-enabled/portico.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/portico.service; do
  [[ ! -e "$f" && ! -L "$f" ]] || fail "$f is still there after dpkg -P"
done
step "done"
ok=true
echo "deb.sh: all package checks passed"
