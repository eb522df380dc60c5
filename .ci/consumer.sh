#!/usr/bin/env bash
# CI: Portico as a library, the way the README tells a user: installs the library artifacts and the
# BOM into the local Maven repository, checks that consumer/ (a project outside the reactor) is the
# README's "Library in brief" word for word (its XML blocks in consumer/pom.xml, its Java block
# = consumer/src/main/java/com/example/FileProxy.java; docs/library.md the same), then builds and
# tests consumer/ against the installed artifacts: its test forwards bytes to an echo server through
# an engine fed by a YAML file. Fails if SLF4J warns about anything (e.g. no provider).
# Extra arguments go to both Maven runs (e.g. -Dmaven.repo.local=DIR for a repository of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

ci_name=consumer
# shellcheck source=.ci/steps.sh
source "$(dirname "$0")/steps.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/portico-consumer.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The fenced blocks of language $2 in markdown file $1, one file each: $work/<tag>.N
blocks() {
  awk -v lang="$2" -v out="$work/$3" '
    $0 == "```" lang { n++; inside = 1; file = out "." n; printf "" > file; next }
    inside && $0 == "```" { inside = 0; close(file); next }
    inside { print >> file }
  ' "$1"
}
# Lines without their leading and trailing blanks, empty lines dropped: XML indentation differs
# between a snippet and the pom it sits in.
squeeze() {
  sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1"
}

step "install the library artifacts and the BOM (no tests: 'mvn -B verify' ran them)"
mvn -B -q -Dstyle.color=never install -DskipTests -pl bom,proxy-api,proxy-netty,discovery-file -am "$@"

step "consumer/ is the documented snippets, word for word"
java_file=consumer/src/main/java/com/example/FileProxy.java
pom_text="$(squeeze consumer/pom.xml)"
for doc in README.md docs/library.md; do
  tag="$(basename "$doc" .md)"
  blocks "$doc" java "$tag-java"
  blocks "$doc" xml "$tag-xml"
  found=false
  for b in "$work/$tag-java".*; do
    if [[ -f "$b" ]] && cmp -s "$b" "$java_file"; then found=true; fi
  done
  [[ "$found" == true ]] || fail "no \`\`\`java block of $doc equals $java_file (diff against the first: $(diff "$work/$tag-java.1" "$java_file" 2>&1 | head -5))"
  xml_checked=0
  for b in "$work/$tag-xml".*; do
    [[ -f "$b" ]] || continue
    # The module table's snippets and others name no portico- artifact: only the dependency ones count.
    grep -q 'portico-' "$b" || continue
    block_text="$(squeeze "$b")"
    [[ "$pom_text" == *"$block_text"* ]] || fail "this \`\`\`xml block of $doc is not in consumer/pom.xml as it stands:
$(cat "$b")"
    xml_checked=$((xml_checked + 1))
  done
  (( xml_checked >= 2 )) || fail "$doc: expected the BOM import and the dependencies as \`\`\`xml blocks, found $xml_checked"
  echo "$doc: the Java block and $xml_checked XML blocks match consumer/"
done

step "build and test consumer/ against the installed artifacts"
if ! mvn -B -Dstyle.color=never -f consumer/pom.xml test "$@" 2>&1 | tee "$work/consumer.log"; then
  fail "mvn test in consumer/ failed"
fi
if grep -n 'SLF4J(W)\|SLF4J: No SLF4J\|No SLF4J providers' "$work/consumer.log"; then
  fail "SLF4J warned in the consumer build (the README's logging backend is missing or doubled)"
fi
step "done"
echo "consumer.sh: the README's library example builds and forwards bytes"
