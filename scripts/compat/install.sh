#!/usr/bin/env bash
# Installs every client of the compatibility matrix (scripts/compat/run.ts). Idempotent: each step checks what is
# already there and a second run takes a few seconds. Everything that is not a Debian package is cached under
# $KGW_CACHE (default ~/.cache/kgw):
#   venv/             PyPI confluent-kafka, kafka-python, aiokafka and their codec libraries (pinned below), made
#                     with the python3 on PATH (pyenv on the team's machines)
#   compat/bin/       Go client programs (GOPATH mode against Debian's /usr/share/gocode, see clients.md §3)
#   compat/gocache/   Go build cache
#   compat/java/<v>/  the Java client (clients/java/Main.java) compiled against kafka-clients <v> (4.1.1, 3.9.1;
#                     jars in kafka/<v>/lib from Maven Central, scripts/kafka/fetch.sh)
# Debian packages: kcat, python3-confluent-kafka (1.7, librdkafka 2.0.2), python3-kafka (2.0.2), golang-go,
# golang-github-shopify-sarama-dev (1.22.1), golang-github-segmentio-kafka-go-dev (0.2.1),
# golang-github-confluentinc-confluent-kafka-go-dev (0.11.6), librdkafka-dev, pkg-config, and python3-lz4/-snappy/
# -zstandard (codecs for Debian's kafka-python).
# The npm clients (kafkajs 2.2.4, @platformatic/kafka 2.x) come through Deno's npm: specifiers ($DENO_DIR) and are
# cached by `deno cache` at the end.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${KGW_CACHE:-$HOME/.cache/kgw}"
VENV="$CACHE/venv"
BIN="$CACHE/compat/bin"
LOG_DIR="$CACHE/logs"
mkdir -p "$BIN" "$LOG_DIR" "$CACHE/compat/gocache"
export DEBIAN_FRONTEND=noninteractive

# PyPI versions the matrix was verified with (pinned so a new release cannot silently change the matrix).
PIP_PKGS=(confluent-kafka==2.16.1 kafka-python==3.0.12 aiokafka==0.14.0 cramjam==2.14.0 python-snappy==0.7.3 lz4==4.4.5
  zstandard==0.25.0)
APT_PKGS=(kcat python3-confluent-kafka python3-kafka golang-go golang-github-shopify-sarama-dev
  golang-github-segmentio-kafka-go-dev golang-github-confluentinc-confluent-kafka-go-dev librdkafka-dev pkg-config
  python3-venv python3-lz4 python3-snappy python3-zstandard)

log() { printf '[compat-install] %s\n' "$*" >&2; }
die() {
  printf '[compat-install] ERROR: %s\n' "$*" >&2
  exit 1
}
SUDO=""
if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# --- apt ------------------------------------------------------------------------------------------------------
t=$SECONDS
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  if ! $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >"$LOG_DIR/compat-apt.log" 2>&1; then
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >>"$LOG_DIR/compat-apt.log" 2>&1 || true
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG_DIR/compat-apt.log" 2>&1 || {
      tail -n 30 "$LOG_DIR/compat-apt.log" >&2
      die "apt-get install failed"
    }
  fi
fi
log "apt packages ready ($((SECONDS - t)) s)"

# --- PyPI venv --------------------------------------------------------------------------------------------------
t=$SECONDS
PY="${KGW_VENV_PYTHON:-python3}"
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv $VENV with $($PY --version 2>&1)"
  "$PY" -m venv "$VENV" || die "python3 -m venv failed"
fi
want=""
for p in "${PIP_PKGS[@]}"; do want+="${p%%==*}==${p##*==}"$'\n'; done
have="$("$VENV/bin/python" -m pip freeze 2>/dev/null | tr 'A-Z_' 'a-z-' || true)"
need=()
for p in "${PIP_PKGS[@]}"; do grep -qxF "$p" <<<"$have" || need+=("$p"); done
if ((${#need[@]})); then
  log "pip install ${need[*]}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${need[@]}" >"$LOG_DIR/compat-pip.log" 2>&1 || {
    tail -n 30 "$LOG_DIR/compat-pip.log" >&2
    die "pip install failed"
  }
fi
log "venv ready ($((SECONDS - t)) s)"

# --- Go programs (GOPATH mode) ----------------------------------------------------------------------------------
t=$SECONDS
export GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$CACHE/compat/gocache" GOFLAGS=
for prog in sarama kafkago ckgo; do
  src="$HERE/clients/$prog/main.go"
  out="$BIN/$prog"
  if [[ ! -x "$out" || "$src" -nt "$out" ]]; then
    log "go build $prog"
    (cd "$HERE/clients/$prog" && go build -o "$out.tmp" . >"$LOG_DIR/compat-go-$prog.log" 2>&1) || {
      cat "$LOG_DIR/compat-go-$prog.log" >&2
      die "go build $prog failed"
    }
    mv "$out.tmp" "$out"
  fi
done
log "go programs ready ($((SECONDS - t)) s)"

# --- the Java client (Apache Kafka's kafka-clients 4.1.1 and 3.9.1, jars from Maven Central) ---------------------
t=$SECONDS
for kv in 4.1.1 3.9.1; do
  lib="$(bash "$HERE/../kafka/fetch.sh" "$kv")" || die "fetching Apache Kafka $kv's jars failed (java 17+ and mvn needed)"
  out="$CACHE/compat/java/$kv"
  if [[ ! -f "$out/Main.class" || "$HERE/clients/java/Main.java" -nt "$out/Main.class" ]]; then
    log "javac Main.java against kafka-clients $kv"
    mkdir -p "$out"
    javac -nowarn -cp "$lib/*" -d "$out" "$HERE/clients/java/Main.java" >"$LOG_DIR/compat-java-$kv.log" 2>&1 || {
      cat "$LOG_DIR/compat-java-$kv.log" >&2
      die "javac of the Java client against $kv failed"
    }
  fi
done
log "java client ready ($((SECONDS - t)) s)"

# --- npm packages for the Deno clients ---------------------------------------------------------------------------
t=$SECONDS
DENO_BIN="${DENO_BIN:-}"
if [[ -z "$DENO_BIN" ]]; then DENO_BIN="npx -y deno@2"; fi
# Versions pinned by clients/deno.lock (--frozen: fail rather than change it). @platformatic/kafka is named
# explicitly: clients/platformatic/main.ts imports it dynamically, which `deno cache` cannot follow.
$DENO_BIN cache --quiet --config "$HERE/clients/deno.client.json" --lock="$HERE/clients/deno.lock" --frozen \
  "$HERE/clients/kafkajs/main.ts" npm:@platformatic/kafka@^2 >"$LOG_DIR/compat-deno-cache.log" 2>&1 || {
  tail -n 30 "$LOG_DIR/compat-deno-cache.log" >&2
  die "deno cache of the npm clients failed"
}
log "deno npm clients cached ($((SECONDS - t)) s)"
