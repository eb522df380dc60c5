#!/usr/bin/env bash
# CI: the Debian package (Architecture: all) on aarch64. Unpacks the .deb that `mvn -B verify` left
# in examples/target and runs its /usr/bin/portico with Debian's arm64 Java 17 under user-mode QEMU
# (qemu-aarch64-static -L SYSROOT: no binfmt_misc registration, nothing changed in the kernel):
# `--version` must say aarch64, `demo` must use the native epoll transport (Netty's aarch_64
# library from the jar) and carry a line. The arm64 runtime is unpacked from Debian's packages
# into a cache outside the repository (apt-get download + dpkg -x: not installed), reused next time.
# Needs root (dpkg --add-architecture, apt-get). Cleans up after itself, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

shopt -s nullglob
debs=(examples/target/portico_*_all.deb)
if (( ${#debs[@]} != 1 )); then
  echo "arm64.sh: expected one examples/target/portico_*_all.deb (built by 'mvn -B verify'), found ${#debs[@]}" >&2
  exit 1
fi
deb="$(readlink -f "${debs[0]}")"
root="${PORTICO_ARM64_ROOT:-/var/cache/portico-ci/arm64}"
jvm="$root/usr/lib/jvm/java-17-openjdk-arm64/bin/java"
work="$(mktemp -d "${TMPDIR:-/tmp}/portico-arm64.XXXXXX")"
chmod 0755 "$work"   # apt-get download drops root for _apt, who must reach $work/debs
added_arch=false
demo=""
ok=false

ci_name=arm64
# shellcheck source=.ci/steps.sh
source "$(dirname "$0")/steps.sh"
cleanup() {
  if [[ -n "$demo" ]]; then
    kill "$demo" 2>/dev/null || true
    wait "$demo" 2>/dev/null || true
  fi
  if [[ "$ok" != true && -f "$work/demo.log" ]]; then
    echo "--- demo log" >&2
    tail -n 40 "$work/demo.log" >&2
  fi
  if [[ "$added_arch" == true ]]; then
    dpkg --remove-architecture arm64 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "qemu-user-static and Debian's arm64 Java 17 (cached in $root)"
if ! command -v qemu-aarch64-static >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi
if [[ ! -x "$jvm" ]]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    added_arch=true
  fi
  apt-get update -qq
  mkdir -p "$work/debs"
  # apt-get download runs as _apt where it can; the folder must be writable for it.
  chmod 0777 "$work/debs"
  # The JVM and what its native code links against; nothing else is loaded by `java -jar`.
  (cd "$work/debs" && apt-get download -qq openjdk-17-jre-headless:arm64 libc6:arm64 libgcc-s1:arm64 \
      libstdc++6:arm64 zlib1g:arm64)
  rm -rf "$root.tmp"
  mkdir -p "$root.tmp"
  for d in "$work"/debs/*.deb; do
    dpkg-deb -x "$d" "$root.tmp"
  done
  rm -rf "$root"
  mv "$root.tmp" "$root"
fi
[[ -x "$jvm" ]] || fail "no arm64 java at $jvm"

# The start script runs $JAVA_HOME/bin/java: here, the arm64 JVM under QEMU.
mkdir -p "$work/java/bin"
cat > "$work/java/bin/java" <<SH
#!/bin/sh
exec qemu-aarch64-static -L "$root" "$jvm" "\$@"
SH
chmod +x "$work/java/bin/java"
export JAVA_HOME="$work/java"

step "the package's files: portico --version on aarch64"
dpkg-deb -x "$deb" "$work/pkg"
portico="$work/pkg/usr/bin/portico"
"$portico" --version | tee "$work/version.txt"
grep -q 'Linux aarch64' "$work/version.txt" || fail "--version does not report Linux aarch64"

step "portico demo on aarch64: native epoll, a line through it"
port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[[ -n "$port" ]] || fail "no free port found"
: > "$work/demo.log"
"$portico" demo --port "$port" > "$work/demo.log" 2>&1 &
demo=$!
t0=$SECONDS
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  kill -0 "$demo" 2>/dev/null || fail "the demo ended before listening on 127.0.0.1:$port"
  (( SECONDS - t0 < 180 )) || fail "the demo does not listen on 127.0.0.1:$port after 180 s"
  sleep 0.5
done
echo "listening after $((SECONDS - t0)) s (emulated)"
grep -F 'transport epoll' "$work/demo.log" || fail "the demo does not use the epoll transport on aarch64"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'hello from aarch64\n' >&3
IFS= read -r -t 60 reply <&3 || fail "no reply from the demo on 127.0.0.1:$port"
exec 3>&-
[[ "$reply" == "hello from aarch64" ]] || fail "the demo echoed '$reply'"
echo "echoed: $reply"
kill -TERM "$demo"
wait "$demo" && rc=0 || rc=$?
demo=""
(( rc == 0 )) || fail "the demo exited $rc after SIGTERM"
step "done"
ok=true
echo "arm64.sh: the package runs on aarch64 with the epoll transport"
