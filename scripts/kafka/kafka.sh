#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker and controller in one process) on free loopback ports, in a temp
# directory, for tests and benchmarks beside the gateway:
#   scripts/kafka/kafka.sh start [DIR] [key=value ...]   prints BOOTSTRAP=127.0.0.1:<port> and DIR=<dir>
#   scripts/kafka/kafka.sh stop DIR                      stops it (SIGTERM, then SIGKILL after 20 s), keeps DIR
# Extra key=value pairs are appended to server.properties (e.g. group.consumer.heartbeat.interval.ms=500).
# KAFKA_VERSION picks the fetched line; KAFKA_HEAP_OPTS defaults to -Xmx768m.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  local dir="${1:-}"
  [ $# -gt 0 ] && shift
  [ -n "$dir" ] || dir="$(mktemp -d "${TMPDIR:-/tmp}/apache-kafka.XXXXXX")"
  mkdir -p "$dir"
  local lib port cport
  lib="$("$here/fetch.sh" ${KAFKA_VERSION:+"$KAFKA_VERSION"})"
  port="$(free_port)"
  cport="$(free_port)"
  while [ "$cport" = "$port" ]; do cport="$(free_port)"; done
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=50
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  local kv
  for kv in "$@"; do echo "$kv" >> "$dir/server.properties"; done
  local java=(java ${KAFKA_HEAP_OPTS:--Xmx768m} -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$lib/*")
  "${java[@]}" kafka.tools.StorageTool format -t "$("${java[@]}" kafka.tools.StorageTool random-uuid | tail -1)" \
    -c "$dir/server.properties" > "$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; exit 1; }
  nohup "${java[@]}" kafka.Kafka "$dir/server.properties" > "$dir/kafka.log" 2>&1 &
  echo $! > "$dir/kafka.pid"
  echo "127.0.0.1:$port" > "$dir/bootstrap"
  # ready once the broker answers Metadata (the tool's describe of the cluster)
  local deadline=$((SECONDS + 90))
  until "$here/tool.sh" kafka-cluster cluster-id --bootstrap-server "127.0.0.1:$port" > /dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then
      echo "kafka.sh: the broker exited; its log:" >&2; tail -40 "$dir/kafka.log" >&2; exit 1
    fi
    [ $SECONDS -lt $deadline ] || { echo "kafka.sh: not ready within 90 s; see $dir/kafka.log" >&2; stop "$dir"; exit 1; }
    sleep 0.5
  done
  echo "BOOTSTRAP=127.0.0.1:$port"
  echo "DIR=$dir"
}

stop() {
  local dir="${1:?usage: kafka.sh stop DIR}"
  [ -f "$dir/kafka.pid" ] || return 0
  local pid
  pid="$(cat "$dir/kafka.pid")"
  kill -TERM "$pid" 2>/dev/null || { rm -f "$dir/kafka.pid"; return 0; }
  local i
  for i in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/kafka.pid"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: kafka.sh start [DIR] [key=value ...] | kafka.sh stop DIR" >&2; exit 2 ;;
esac
