#!/usr/bin/env bash
# Builds librdkafka 2.0.2 (Debian's source package) with its tools:
#   - the library itself            (make libs)
#   - examples/rdkafka_performance  (benchmark client, used by scripts/bench.ts)
#   - tests/test-runner             (librdkafka's own test suite, run against the gateway)
#
# Idempotent: a finished build is recorded by a stamp file and reused; a second run only prints the paths.
# The source comes from Debian's archive through `apt-get source` with a PRIVATE deb-src list
# (the system apt configuration is left untouched), see shared/research/clients.md §5a.
#
# Environment:
#   KGW_CACHE         base cache directory (default: $HOME/.cache/kgw); the build lives in $KGW_CACHE/librdkafka-2.0.2
#   KGW_SKIP_TESTS=1  do not build tests/test-runner (the library and rdkafka_performance only)
#
# Output (stdout, last lines, `key=value`, easy to `eval`/grep):
#   LIBRDKAFKA_DIR=...  RDKAFKA_PERFORMANCE=...  RDKAFKA_TEST_RUNNER=...  RDKAFKA_TEST_LD_LIBRARY_PATH=...
# rdkafka_performance is linked statically against the built library; test-runner needs LD_LIBRARY_PATH
# (or tests/run-test.sh, which sets it).
set -euo pipefail

VERSION=2.0.2
CACHE_BASE="${KGW_CACHE:-$HOME/.cache/kgw}"
DEST="$CACHE_BASE/librdkafka-$VERSION"
STAMP="$DEST/.kgw-build-ok"
# The test-runner was built with the one edit to the suite (see "One edit" below).
MISUSE_MARK="$DEST/.kgw-0103-misuse-timeout"
PERF="$DEST/examples/rdkafka_performance"
RUNNER="$DEST/tests/test-runner"
APTSRC="$CACHE_BASE/aptsrc"
LOG_DIR="$CACHE_BASE/logs"
JOBS="$(nproc 2>/dev/null || echo 2)"

log() { printf '[setup_librdkafka] %s\n' "$*" >&2; }
die() {
  printf '[setup_librdkafka] ERROR: %s\n' "$*" >&2
  exit 1
}
# Runs a build step with its output in a log file; on failure shows the log's tail.
step() {
  local name="$1"
  shift
  local logf="$LOG_DIR/$name.log"
  local t0=$SECONDS
  if ! "$@" >"$logf" 2>&1; then
    printf '[setup_librdkafka] step %s failed (command: %s); last lines of %s:\n' "$name" "$*" "$logf" >&2
    tail -n 40 "$logf" >&2 || true
    die "step $name failed"
  fi
  log "step $name done in $((SECONDS - t0)) s"
}

print_paths() {
  echo "LIBRDKAFKA_DIR=$DEST"
  echo "RDKAFKA_PERFORMANCE=$PERF"
  if [[ -x "$RUNNER" ]]; then
    echo "RDKAFKA_TEST_RUNNER=$RUNNER"
    # test-runner links librdkafka dynamically: without this it would load Debian's system librdkafka.so.1.
    echo "RDKAFKA_TEST_LD_LIBRARY_PATH=$DEST/src:$DEST/src-cpp"
  fi
}

build_complete() {
  [[ -f "$STAMP" && -x "$PERF" ]] || return 1
  if [[ "${KGW_SKIP_TESTS:-0}" != 1 ]]; then [[ -x "$RUNNER" && -f "$MISUSE_MARK" ]] || return 1; fi
  return 0
}

mkdir -p "$CACHE_BASE" "$LOG_DIR"

if build_complete; then
  log "cached build found in $DEST"
  print_paths
  exit 0
fi

# One build at a time (CI and bench.ts may both call this script).
exec 9>"$CACHE_BASE/.librdkafka.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9 || die "could not lock $CACHE_BASE/.librdkafka.lock"
  if build_complete; then
    log "cached build found in $DEST (built by a concurrent run)"
    print_paths
    exit 0
  fi
fi

T_START=$SECONDS
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install the build dependencies"
  SUDO="sudo"
fi

# --- build dependencies (Debian's Build-Depends of librdkafka, plus a C/C++ toolchain) --------------------------
BUILD_DEPS=(gcc g++ make pkg-config python3 liblz4-dev libsasl2-dev libzstd-dev rapidjson-dev libssl-dev zlib1g-dev
  debian-archive-keyring)
missing=()
for p in "${BUILD_DEPS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$p"); fi
done
if ((${#missing[@]})); then
  log "installing build dependencies: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >"$LOG_DIR/apt-install.log" 2>&1; then
    log "apt-get install failed, running apt-get update first"
    step apt-update $SUDO apt-get -o DPkg::Lock::Timeout=600 update
    step apt-install $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
  fi
else
  log "build dependencies already installed"
fi

# --- source: Debian's orig tarball via a private deb-src list ----------------------------------------------------
ORIG="$APTSRC/src/librdkafka_$VERSION.orig.tar.gz"
if [[ ! -s "$ORIG" ]]; then
  log "fetching librdkafka $VERSION source from Debian (private deb-src list)"
  rm -rf "$APTSRC"
  mkdir -p "$APTSRC/parts" "$APTSRC/lists/partial" "$APTSRC/cache/archives/partial" "$APTSRC/src"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: %s\n' \
    /usr/share/keyrings/debian-archive-keyring.gpg >"$APTSRC/parts/src.sources"
  apt_source() {
    # apt-get source verifies the downloaded files against the signed Sources index.
    (cd "$APTSRC/src" && apt-get -o DPkg::Lock::Timeout=600 "${APTO[@]}" source --download-only "librdkafka=$VERSION-1") ||
      (cd "$APTSRC/src" && apt-get -o DPkg::Lock::Timeout=600 "${APTO[@]}" source --download-only librdkafka)
  }
  APTO=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APTSRC/parts"
    -o "Dir::State::Lists=$APTSRC/lists" -o "Dir::Cache=$APTSRC/cache")
  step deb-src-update apt-get -o DPkg::Lock::Timeout=600 "${APTO[@]}" update
  step apt-source apt_source
  [[ -s "$ORIG" ]] || die "apt-get source did not produce $ORIG (see $LOG_DIR/apt-source.log)"
else
  log "source tarball already cached: $ORIG"
fi

# --- build ---------------------------------------------------------------------------------------------------------
# Each stage is skipped when its output already exists (e.g. a build made with KGW_SKIP_TESTS=1 only adds the tests).
LIBS_STAMP="$DEST/.kgw-libs-ok"
if [[ ! -f "$LIBS_STAMP" ]]; then
  rm -rf "$DEST" "$DEST.tmp"
  mkdir -p "$DEST.tmp"
  tar xzf "$ORIG" -C "$DEST.tmp" || die "could not extract $ORIG"
  top="$(find "$DEST.tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
  [[ -n "$top" && -f "$top/configure" ]] || die "unexpected layout in $ORIG"
  mv "$top" "$DEST"
  rm -rf "$DEST.tmp"
  cd "$DEST"
  # Do NOT log to ./configure.log: mklove treats configure.* files as modules.
  step configure ./configure
  step make-libs make -j"$JOBS" libs
  touch "$LIBS_STAMP"
fi
cd "$DEST"
if [[ ! -x "$PERF" ]]; then
  step make-perf make -C examples rdkafka_performance
  [[ -x "$PERF" ]] || die "rdkafka_performance was not built"
fi
# One edit to the suite's sources, made once (its mark file) and before the test-runner is built: 0103's
# do_test_misuse_txn calls init_transactions() a second time with a 1 ms timeout and expects ERR__STATE. The client
# decides that on its own main thread, which must pick the call up within that 1 ms; on a loaded machine (three
# lanes of CI on two cores, a 3-gateway cluster) it sometimes does not, and the call returns _TIMED_OUT without a
# request reaching any broker. The edit gives that one call 1 s: it still must fail with ERR__STATE (the state
# check is what the test is about), only the client's own wake-up is no longer timed. The "timeout on first" case
# just after keeps its 1 ms: it expects the timeout.
if [[ "${KGW_SKIP_TESTS:-0}" != 1 && ! -f "$MISUSE_MARK" ]]; then
  sed -i '/finish on first/,/ERR__STATE/ s/rd_kafka_init_transactions(p, 1);/rd_kafka_init_transactions(p, 1000);/' \
    tests/0103-transactions.c
  grep -q 'rd_kafka_init_transactions(p, 1000);' tests/0103-transactions.c ||
    die "could not edit the 1 ms timeout of tests/0103-transactions.c"
  rm -f "$RUNNER" # built from the unedited source
  touch "$MISUSE_MARK"
fi
if [[ "${KGW_SKIP_TESTS:-0}" != 1 && ! -x "$RUNNER" ]]; then
  step make-tests make -j"$JOBS" -C tests build
  [[ -x "$RUNNER" ]] || die "tests/test-runner was not built"
fi
touch "$STAMP"
log "librdkafka $VERSION built in $((SECONDS - T_START)) s"
print_paths
