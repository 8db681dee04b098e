"""A confluent-kafka (librdkafka) group member driven by the Deno conformance tests.

Usage: ck_member.py BOOTSTRAP GROUP TOPIC STRATEGY [INSTANCE_ID]
Prints one JSON line per event: {"event": "assigned", "partitions": [...]} with the member's full current
assignment after every rebalance callback, and {"event": "msg", "p": P, "o": O, "v": VALUE} per message.
Commits synchronously after each message so offsets are exact.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException

bootstrap, group, topic, strategy = sys.argv[1:5]
instance = sys.argv[5] if len(sys.argv) > 5 else None
conf = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "partition.assignment.strategy": strategy,
    "session.timeout.ms": 4000,
    "heartbeat.interval.ms": 300,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
}
if instance:
    conf["group.instance.id"] = instance
consumer = Consumer(conf)
current = set()


def emit(obj):
    print(json.dumps(obj), flush=True)


def on_assign(c, parts):
    global current
    if strategy == "cooperative-sticky":
        current |= {p.partition for p in parts}
        c.incremental_assign(parts)
    else:
        current = {p.partition for p in parts}
        c.assign(parts)
    emit({"event": "assigned", "partitions": sorted(current)})


def on_revoke(c, parts):
    global current
    if strategy == "cooperative-sticky":
        current -= {p.partition for p in parts}
        c.incremental_unassign(parts)
    else:
        current = set()
        c.unassign()
    emit({"event": "revoked", "partitions": sorted(current)})


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
try:
    while True:
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error():
            emit({"event": "error", "error": str(m.error())})
            continue
        emit({"event": "msg", "p": m.partition(), "o": m.offset(), "v": m.value().decode()})
        try:
            consumer.commit(message=m, asynchronous=False)
        except KafkaException as e:
            emit({"event": "commit-error", "error": str(e)})
except KeyboardInterrupt:
    pass
finally:
    consumer.close()
