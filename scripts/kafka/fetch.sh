#!/usr/bin/env bash
# Fetches Apache Kafka's jars from Maven Central (scripts/kafka/pom.xml) into $KGW_CACHE/kafka/<version>/lib and
# prints that directory. Maven's own repository is kept under $KGW_CACHE/m2, so a second run downloads nothing.
#   scripts/kafka/fetch.sh [VERSION [clients]]   (default: the pom's kafka.version; `clients`: without Kafka Connect
#   and MirrorMaker 2, for a release whose Connect jars the Maven mirror does not serve)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
KGW_CACHE="${KGW_CACHE:-$HOME/.cache/kgw}"
version="${1:-$(sed -n 's|.*<kafka.version>\(.*\)</kafka.version>.*|\1|p' "$here/pom.xml")}"
lib="$KGW_CACHE/kafka/$version/lib"
if [ -f "$lib/.complete" ]; then
  echo "$lib"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch.sh: mvn (Maven) is needed: apt-get install maven" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch.sh: java (17+) is needed: apt-get install openjdk-17-jdk-headless" >&2; exit 1; }
rm -rf "$lib" && mkdir -p "$lib"
profiles=()
[ "${2:-}" = clients ] && profiles=(-P '!connect')
mvn -q -B -f "$here/pom.xml" -Dmaven.repo.local="$KGW_CACHE/m2" -Dkafka.version="$version" "${profiles[@]}" \
  dependency:copy-dependencies -DoutputDirectory="$lib" >&2
touch "$lib/.complete"
echo "$lib"
