#!/usr/bin/env bash
# Compiles the Java test applications in scripts/kafka/apps (Kafka Streams word count, ...) against the jars
# fetch.sh put in $KGW_CACHE, into $KGW_CACHE/kafka/<version>/apps, and prints that directory. Rebuilt only when a
# source is newer than its class. Run one with: java -cp "<lib>/*:<apps>" WordCount ...
#   scripts/kafka/build_apps.sh [VERSION]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib="$("$here/fetch.sh" "$@")"
out="$(dirname "$lib")/apps"
mkdir -p "$out"
command -v javac >/dev/null || { echo "build_apps.sh: javac (JDK 17+) is needed" >&2; exit 1; }
stale=0
for src in "$here"/apps/*.java; do
  cls="$out/$(basename "$src" .java).class"
  [ -f "$cls" ] && [ "$cls" -nt "$src" ] || stale=1
done
if [ "$stale" = 1 ]; then
  javac -nowarn -cp "$lib/*" -d "$out" "$here"/apps/*.java >&2
fi
echo "$out"
