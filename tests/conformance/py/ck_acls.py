"""confluent-kafka (librdkafka) ACL admin calls, producing and consuming, driven by the Deno ACL tests.

Usage: ck_acls.py BOOTSTRAP [CONF_JSON] < ops.json
CONF_JSON: extra client configuration for every client (e.g. security.protocol and SASL credentials).
ops.json is a JSON list of operations; one JSON line is printed per operation, in order:
  {"op": "create_acls", "acls": [ACL]}
  {"op": "describe_acls", "filter": FILTER} -> {"acls": [ACL]}
  {"op": "delete_acls", "filters": [FILTER]} -> {"deleted": [[ACL]]}
  {"op": "create_topic", "topic": T}
  {"op": "produce", "topic": T, "value": V}      (one message, acks=all, no retries)
  {"op": "consume", "topic": T, "group": G}     -> {"values": [V]} from the beginning to the end
  {"op": "topics"} -> {"topics": [name]}        (Metadata for all topics)
ACL: {"type": "TOPIC"|"GROUP"|"CLUSTER"|"TRANSACTIONAL_ID", "name", "pattern": "LITERAL"|"PREFIXED",
      "principal", "host", "operation": "READ"|..., "permission": "ALLOW"|"DENY"}
FILTER: the same, each key optional (absent = ANY / null); "pattern" may also be "ANY" or "MATCH".
Every result carries "error": null or the Kafka error name and "message".
"""
import json
import sys

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

bootstrap = sys.argv[1]
extra = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
admin = AdminClient({"bootstrap.servers": bootstrap, **extra})
TIMEOUT = 20


def binding(a):
    return AclBinding(
        ResourceType[a["type"]],
        a["name"],
        ResourcePatternType[a.get("pattern", "LITERAL")],
        a["principal"],
        a.get("host", "*"),
        AclOperation[a["operation"]],
        AclPermissionType[a.get("permission", "ALLOW")],
    )


def binding_filter(f):
    return AclBindingFilter(
        ResourceType[f.get("type", "ANY")],
        f.get("name"),
        ResourcePatternType[f.get("pattern", "ANY")],
        f.get("principal"),
        f.get("host"),
        AclOperation[f.get("operation", "ANY")],
        AclPermissionType[f.get("permission", "ANY")],
    )


def as_json(b):
    return {
        "type": b.restype.name,
        "name": b.name,
        "pattern": b.resource_pattern_type.name,
        "principal": b.principal,
        "host": b.host,
        "operation": b.operation.name,
        "permission": b.permission_type.name,
    }


def create_acls(op):
    for f in admin.create_acls([binding(a) for a in op["acls"]], request_timeout=TIMEOUT).values():
        f.result()


def describe_acls(op):
    acls = admin.describe_acls(binding_filter(op.get("filter", {})), request_timeout=TIMEOUT).result()
    return {"acls": sorted((as_json(b) for b in acls), key=json.dumps)}


def delete_acls(op):
    fs = admin.delete_acls([binding_filter(f) for f in op["filters"]], request_timeout=TIMEOUT)
    return {"deleted": [sorted((as_json(b) for b in f.result()), key=json.dumps) for f in fs.values()]}


def create_topic(op):
    for f in admin.create_topics([NewTopic(op["topic"], 1, 1)], operation_timeout=TIMEOUT).values():
        f.result()


def produce(op):
    errors = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "retries": 0, "message.timeout.ms": 10000,
                  "enable.idempotence": False, **extra})
    p.produce(op["topic"], op["value"].encode(), on_delivery=lambda err, msg: errors.append(err))
    p.flush(15)
    if not errors:
        raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT))
    if errors[0] is not None:
        raise KafkaException(errors[0])


def consume(op):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": op["group"], "auto.offset.reset": "earliest",
                  "enable.partition.eof": True, "session.timeout.ms": 6000, **extra})
    try:
        c.subscribe([op["topic"]])
        values = []
        import time
        deadline = time.time() + 15
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    return {"values": values}
                raise KafkaException(m.error())
            values.append(m.value().decode())
        raise KafkaException(KafkaError(KafkaError._TIMED_OUT))
    finally:
        c.close()


def topics(op):
    md = admin.list_topics(timeout=TIMEOUT)
    return {"topics": sorted(t for t in md.topics if not t.startswith("__"))}


OPS = {
    "create_acls": create_acls,
    "describe_acls": describe_acls,
    "delete_acls": delete_acls,
    "create_topic": create_topic,
    "produce": produce,
    "consume": consume,
    "topics": topics,
}


def run(op):
    try:
        out = OPS[op["op"]](op) or {}
        out["error"] = None
        return out
    except KafkaException as e:
        err = e.args[0]
        if isinstance(err, KafkaError):
            return {"error": err.name(), "message": err.str()}
        return {"error": "UNKNOWN", "message": str(e)}


for op in json.load(sys.stdin):
    print(json.dumps(run(op)), flush=True)
