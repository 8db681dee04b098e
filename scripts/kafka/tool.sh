#!/usr/bin/env bash
# Runs one of Apache Kafka's command-line tools by the name of its shell script, from the jars fetch.sh put in
# $KGW_CACHE, against any bootstrap address (the gateway's or a real broker's):
#   scripts/kafka/tool.sh kafka-topics --bootstrap-server 127.0.0.1:9092 --list
# KAFKA_VERSION picks the fetched line (default: the pom's); KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS as in
# Kafka's scripts (defaults: -Xmx256m, and a quick-start JIT for short commands: set the latter for perf tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="${1:?usage: tool.sh <kafka-tool-name> [args...]}"
shift
case "$name" in
  kafka-topics) class=org.apache.kafka.tools.TopicCommand ;;
  kafka-console-producer) class=org.apache.kafka.tools.ConsoleProducer ;;
  kafka-console-consumer) class=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  kafka-consumer-groups) class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  kafka-share-groups) class=org.apache.kafka.tools.consumer.group.ShareGroupCommand ;;
  kafka-configs) class=kafka.admin.ConfigCommand ;;
  kafka-acls) class=org.apache.kafka.tools.AclCommand ;;
  kafka-delete-records) class=org.apache.kafka.tools.DeleteRecordsCommand ;;
  kafka-get-offsets) class=org.apache.kafka.tools.GetOffsetShell ;;
  kafka-producer-perf-test) class=org.apache.kafka.tools.ProducerPerformance ;;
  kafka-consumer-perf-test) class=org.apache.kafka.tools.ConsumerPerformance ;;
  kafka-transactions) class=org.apache.kafka.tools.TransactionsCommand ;;
  kafka-broker-api-versions) class=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
  kafka-log-dirs) class=org.apache.kafka.tools.LogDirsCommand ;;
  kafka-leader-election) class=org.apache.kafka.tools.LeaderElectionCommand ;;
  kafka-reassign-partitions) class=org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
  kafka-cluster) class=org.apache.kafka.tools.ClusterTool ;;
  kafka-features) class=org.apache.kafka.tools.FeatureCommand ;;
  kafka-storage) class=kafka.tools.StorageTool ;;
  kafka-server-start) class=kafka.Kafka ;;
  connect-standalone) class=org.apache.kafka.connect.cli.ConnectStandalone ;;
  connect-distributed) class=org.apache.kafka.connect.cli.ConnectDistributed ;;
  connect-mirror-maker) class=org.apache.kafka.connect.mirror.MirrorMaker ;;
  *) echo "tool.sh: unknown tool '$name'" >&2; exit 2 ;;
esac
lib="$("$here/fetch.sh" ${KAFKA_VERSION:+"$KAFKA_VERSION"})"
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1} \
  -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-$here/log4j2.properties}" \
  -cp "$lib/*" "$class" "$@"
