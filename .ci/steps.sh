# Sourced by .ci/deb.sh and .ci/arm64.sh: `step NAME` starts a step (printing how long the last
# took), `fail MESSAGE` ends the script. The script sets `ci_name` (deb, arm64) first.
step_started=$SECONDS
step() {
  if [[ -n "${step_name:-}" ]]; then
    echo "   (${step_name}: $((SECONDS - step_started)) s)"
  fi
  step_name="$1"
  step_started=$SECONDS
  echo "== ${ci_name}: $1"
}
fail() {
  echo "${ci_name}.sh: FAILED: $*" >&2
  exit 1
}
