"""confluent-kafka (librdkafka) for the KIP-848 client tests (tests/integration/consumer_protocol_clients_test.ts).

Usage:
  ck_consumer_protocol.py member CONF_JSON
      A group member until SIGTERM (then close(): it leaves the group) or SIGKILL. CONF_JSON:
        {"bootstrap", "group", "topics": [name or "^regex"], "protocol": "consumer"|"classic",
         "assignor": "uniform"|"range"|null (group.remote.assignor), "strategy": classic assignment strategy,
         "instance": group.instance.id or null, "client_id": str, "debug": librdkafka debug contexts or null}
      Prints one JSON line per event, "ms" = wall clock of the event:
        {"event": "assigned"|"revoked"|"lost", "partitions": ["topic:p", ...]}  the full assignment after it
        {"event": "msg", "topic": T, "p": P, "o": O, "v": VALUE}   committed synchronously before the next poll
        {"event": "error"|"commit-error", "error": TEXT}, {"event": "closed"}
  ck_consumer_protocol.py admin BOOTSTRAP < ops.json
      One JSON line per op, in order; each result has "error": null or the Kafka error name (+ "message"):
        {"op": "create", "topic": T, "partitions": N}
        {"op": "produce", "topic": T, "values": [[partition, value], ...]}
        {"op": "describe", "group": G} -> {"group": {id, type, state, assignor, simple, members: [{member_id,
            instance_id, client_id, assignment: ["t:p"], target: ["t:p"] or null}]}}
        {"op": "list", "types": ["CONSUMER"|"CLASSIC"] or null} -> {"groups": [{id, type, state}]}
        {"op": "committed", "group": G, "topic": T, "partitions": N} -> {"offsets": [offset per partition]}
"""
import json
import signal
import sys
import time

from confluent_kafka import Consumer, ConsumerGroupType, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TIMEOUT = 20


def emit(obj):
    obj["ms"] = int(time.time() * 1000)
    print(json.dumps(obj), flush=True)


def tp_name(p):
    return f"{p.topic}:{p.partition}"


def member(conf_json):
    c = json.loads(conf_json)
    conf = {
        "bootstrap.servers": c["bootstrap"],
        "group.id": c["group"],
        "client.id": c.get("client_id", "kip848-test"),
        "group.protocol": c.get("protocol", "consumer"),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "topic.metadata.refresh.interval.ms": 1000,
        "reconnect.backoff.max.ms": 1000,  # back soon after a gateway restart
        # librdkafka reports e.g. a broker without ConsumerGroupHeartbeat here, not as a message
        "error_cb": lambda err: emit({"event": "error", "error": str(err)}),
    }
    if conf["group.protocol"] == "consumer":
        if c.get("assignor"):
            conf["group.remote.assignor"] = c["assignor"]
    else:
        conf["partition.assignment.strategy"] = c.get("strategy", "cooperative-sticky")
        conf["session.timeout.ms"] = 6000
        conf["heartbeat.interval.ms"] = 300
    if c.get("instance"):
        conf["group.instance.id"] = c["instance"]
    if c.get("debug"):
        conf["debug"] = c["debug"]
    # the consumer protocol's rebalances are incremental, as cooperative-sticky's
    incremental = conf.get("partition.assignment.strategy", "cooperative-sticky") == "cooperative-sticky"
    consumer = Consumer(conf)
    current = set()
    running = [True]

    def on_assign(cons, parts):
        nonlocal current
        if incremental:
            current |= {tp_name(p) for p in parts}
            cons.incremental_assign(parts)
        else:
            current = {tp_name(p) for p in parts}
            cons.assign(parts)
        emit({"event": "assigned", "partitions": sorted(current)})

    def on_revoke(cons, parts):
        nonlocal current
        if incremental:
            current -= {tp_name(p) for p in parts}
            cons.incremental_unassign(parts)
        else:
            current = set()
            cons.unassign()
        emit({"event": "revoked", "partitions": sorted(current)})

    def on_lost(cons, parts):
        nonlocal current
        current -= {tp_name(p) for p in parts}
        if incremental:
            cons.incremental_unassign(parts)
        else:
            cons.unassign()
        emit({"event": "lost", "partitions": sorted(current)})

    def stop(_sig, _frame):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    consumer.subscribe(c["topics"], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    try:
        while running[0]:
            m = consumer.poll(0.1)
            if m is None:
                continue
            if m.error():
                emit({"event": "error", "error": str(m.error())})
                continue
            emit({"event": "msg", "topic": m.topic(), "p": m.partition(), "o": m.offset(), "v": m.value().decode()})
            try:
                consumer.commit(message=m, asynchronous=False)
            except KafkaException as e:
                emit({"event": "commit-error", "error": str(e)})
    finally:
        consumer.close()
        emit({"event": "closed"})


def run(fn):
    try:
        out = fn() or {}
        out["error"] = None
        return out
    except KafkaException as e:
        err = e.args[0]
        if isinstance(err, KafkaError):
            return {"error": err.name(), "message": err.str()}
        return {"error": "UNKNOWN", "message": str(e)}


def names(assignment):
    if assignment is None:
        return None
    return sorted(tp_name(p) for p in assignment.topic_partitions)


def admin(bootstrap):
    client = AdminClient({"bootstrap.servers": bootstrap})
    producer = None

    def create(op):
        fs = client.create_topics([NewTopic(op["topic"], op["partitions"], 1)], operation_timeout=TIMEOUT)
        fs[op["topic"]].result()

    def produce(op):
        nonlocal producer
        producer = producer or Producer({"bootstrap.servers": bootstrap, "acks": "all"})
        failed = []

        def report(err, _msg):
            if err is not None:
                failed.append(err)

        for p, v in op["values"]:
            producer.produce(op["topic"], value=v.encode(), partition=p, on_delivery=report)
        producer.flush(TIMEOUT)
        if failed:
            raise KafkaException(failed[0])

    def describe(op):
        g = client.describe_consumer_groups([op["group"]], request_timeout=TIMEOUT)[op["group"]].result()
        return {
            "group": {
                "id": g.group_id,
                "type": g.type.name,
                "state": g.state.name,
                "assignor": g.partition_assignor,
                "simple": g.is_simple_consumer_group,
                "members": sorted(
                    (
                        {
                            "member_id": m.member_id,
                            "instance_id": m.group_instance_id,
                            "client_id": m.client_id,
                            "assignment": names(m.assignment),
                            "target": names(m.target_assignment),
                        }
                        for m in g.members
                    ),
                    key=lambda m: m["client_id"] + m["member_id"],
                ),
            }
        }

    def list_groups(op):
        kw = {"request_timeout": TIMEOUT}
        if op.get("types"):
            kw["types"] = {ConsumerGroupType[t] for t in op["types"]}
        r = client.list_consumer_groups(**kw).result()
        if r.errors:
            raise KafkaException(r.errors[0])
        return {
            "groups": sorted(
                ({"id": g.group_id, "type": g.type.name, "state": g.state.name} for g in r.valid),
                key=lambda g: g["id"],
            )
        }

    def committed(op):
        cons = Consumer({"bootstrap.servers": bootstrap, "group.id": op["group"], "enable.auto.commit": False})
        try:
            tps = [TopicPartition(op["topic"], p) for p in range(op["partitions"])]
            return {"offsets": [tp.offset for tp in cons.committed(tps, timeout=TIMEOUT)]}
        finally:
            cons.close()

    ops = {"create": create, "produce": produce, "describe": describe, "list": list_groups, "committed": committed}
    for op in json.load(sys.stdin):
        print(json.dumps(run(lambda: ops[op["op"]](op))), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "member":
        member(sys.argv[2])
    else:
        admin(sys.argv[2])
