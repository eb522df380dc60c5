#!/usr/bin/env bash
# Maven's package phase (exec-maven-plugin, after the shade plugin, before jdeb): prepares the files
# the Debian package takes from target/deb that are not used as they are in the source tree.
# Usage: stage.sh EXAMPLES_DIR STAGING_DIR MAVEN_VERSION
set -euo pipefail
src="$1/src/deb"
unit="$1/deploy/portico.service"
out="$2"
# jdeb's rule for the package version, which the changelog must repeat: 0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT.
version="${3/%-SNAPSHOT/~SNAPSHOT}"

mkdir -p "$out/doc" "$out/man1"

# The unit as deploy/portico.service has it (one source of truth), with the package's paths. Its
# "Install:" comment is for a manual install and would mislead here.
sed -e 's#/usr/local/bin/portico#/usr/bin/portico#g' \
    -e '/^# Install:/,/^\[Unit\]/{/^\[Unit\]/!d}' \
    "$unit" > "$out/portico.service.tmp"
if grep -q '/usr/local' "$out/portico.service.tmp" || ! grep -q '^ExecStart=/usr/bin/portico ' "$out/portico.service.tmp"; then
  echo "stage.sh: $unit: expected ExecStart=/usr/local/bin/portico ... (rewritten to /usr/bin/portico); got:" >&2
  grep -n 'Exec\|/usr/local' "$out/portico.service.tmp" >&2 || true
  exit 1
fi
mv "$out/portico.service.tmp" "$out/portico.service"

cp "$src/copyright" "$out/doc/copyright"
# A native package (the version has no Debian revision): Policy 12.7 names its changelog changelog.gz.
rm -f "$out/doc/changelog.Debian.gz"
sed -e "s/@VERSION@/$version/" "$src/changelog" | gzip -9n > "$out/doc/changelog.gz"

# picocli's completion script starts with a #! line; a completion file is sourced, not run.
mkdir -p "$out/completions"
sed -e '1{/^#!/d}' "$out/portico.bash-completion" > "$out/completions/portico"

# Man pages: one per command, rendered by asciidoctor from picocli's model (prepare-package).
shopt -s nullglob
pages=("$out"/man/*.1)
if (( ${#pages[@]} == 0 )); then
  echo "stage.sh: no man page in $out/man (the asciidoctor step did not run?)" >&2
  exit 1
fi
rm -f "$out"/man1/*.1.gz
for page in "${pages[@]}"; do
  gzip -9n < "$page" > "$out/man1/$(basename "$page").gz"
done
