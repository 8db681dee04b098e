"""confluent-kafka (librdkafka) admin client driven by the Deno conformance tests.

Usage: ck_admin.py BOOTSTRAP < ops.json
ops.json is a JSON list of operations; one JSON line is printed per operation, in order:
  {"op": "create", "topic": T, "partitions": N, "config": {k: v}, "validate_only": bool}
  {"op": "describe", "type": "topic"|"broker", "name": NAME}
      -> {"configs": {name: {value, source, read_only, default, sensitive, synonyms: [[name, value, source]]}}}
  {"op": "alter", "type": ..., "name": ..., "config": {k: v}, "validate_only": bool}      (legacy AlterConfigs)
  {"op": "incremental", "type": ..., "name": ..., "ops": [[OP, k, v]], "validate_only": bool}
      OP is SET, DELETE, APPEND or SUBTRACT
  {"op": "partitions", "topic": T, "count": N, "validate_only": bool}
  {"op": "delete_records", "topic": T, "partition": P, "offset": O} -> {"low_watermark": L}
  {"op": "list_offsets", "topic": T, "partition": P, "spec": "earliest"|"latest"|"max"|TIMESTAMP}
      -> {"offset": O, "timestamp": TS}
  {"op": "produce", "topic": T, "partition": P, "records": [[key, value, timestamp_ms]]}  (null value = tombstone)
  {"op": "consume", "topic": T, "partition": P} -> {"records": [[offset, key, value]]} from the log start to the end
  {"op": "delete_topic", "topic": T}
  {"op": "topics"} -> {"topics": {name: partitions}}
Every result carries "error": null or the Kafka error name and "message".
"""
import json
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

bootstrap = sys.argv[1]
admin = AdminClient({"bootstrap.servers": bootstrap})
TIMEOUT = 20


def resource_type(t):
    return ResourceType.TOPIC if t == "topic" else ResourceType.BROKER


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


def create(op):
    topic = NewTopic(op["topic"], op.get("partitions", 1), 1, config=op.get("config", {}))
    fs = admin.create_topics([topic], validate_only=op.get("validate_only", False), operation_timeout=TIMEOUT)
    fs[op["topic"]].result()


def source_name(s):
    return s.name if hasattr(s, "name") else ConfigSource(int(s)).name


def entry(e):
    return {
        "value": e.value,
        "source": source_name(e.source),
        "read_only": e.is_read_only,
        "default": e.is_default,
        "sensitive": e.is_sensitive,
        "synonyms": [[s.name, s.value, source_name(s.source)] for s in e.synonyms.values()],
    }


def describe(op):
    res = ConfigResource(resource_type(op["type"]), op["name"])
    configs = admin.describe_configs([res], request_timeout=TIMEOUT)[res].result()
    return {"configs": {name: entry(e) for name, e in configs.items()}}


def alter(op):
    res = ConfigResource(resource_type(op["type"]), op["name"], set_config=op["config"])
    admin.alter_configs([res], validate_only=op.get("validate_only", False), request_timeout=TIMEOUT)[res].result()


def incremental(op):
    entries = [
        ConfigEntry(k, v, incremental_operation=getattr(AlterConfigOpType, o)) for (o, k, v) in op["ops"]
    ]
    res = ConfigResource(resource_type(op["type"]), op["name"], incremental_configs=entries)
    fs = admin.incremental_alter_configs([res], validate_only=op.get("validate_only", False),
                                         request_timeout=TIMEOUT)
    fs[res].result()


def partitions(op):
    fs = admin.create_partitions([NewPartitions(op["topic"], op["count"])],
                                 validate_only=op.get("validate_only", False), operation_timeout=TIMEOUT)
    fs[op["topic"]].result()


def delete_records(op):
    tp = TopicPartition(op["topic"], op["partition"], op["offset"])
    r = admin.delete_records([tp], request_timeout=TIMEOUT)[tp].result()
    return {"low_watermark": r.low_watermark}


def list_offsets(op):
    spec = op["spec"]
    if spec == "earliest":
        s = OffsetSpec.earliest()
    elif spec == "latest":
        s = OffsetSpec.latest()
    elif spec == "max":
        s = OffsetSpec.max_timestamp()
    else:
        s = OffsetSpec.for_timestamp(int(spec))
    tp = TopicPartition(op["topic"], op["partition"])
    r = admin.list_offsets({tp: s}, request_timeout=TIMEOUT)[tp].result()
    return {"offset": r.offset, "timestamp": r.timestamp}


def produce(op):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "enable.idempotence": False})
    errors = []

    def cb(err, _msg):
        if err is not None:
            errors.append(err)

    for key, value, ts in op["records"]:
        p.produce(op["topic"], key=None if key is None else key.encode(),
                  value=None if value is None else value.encode(),
                  partition=op.get("partition", 0), timestamp=ts or 0, on_delivery=cb)
        p.flush(TIMEOUT)
    if errors:
        raise KafkaException(errors[0])


def consume(op):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "ck-admin-reader",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    })
    c.assign([TopicPartition(op["topic"], op["partition"], OFFSET_BEGINNING)])
    out = []
    try:
        while True:
            m = c.poll(TIMEOUT)
            if m is None:
                raise KafkaException(KafkaError(KafkaError._TIMED_OUT))
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    break
                raise KafkaException(m.error())
            k = m.key()
            v = m.value()
            out.append([m.offset(), None if k is None else k.decode(), None if v is None else v.decode()])
    finally:
        c.close()
    return {"records": out}


def delete_topic(op):
    admin.delete_topics([op["topic"]], operation_timeout=TIMEOUT)[op["topic"]].result()


def topics(_op):
    md = admin.list_topics(timeout=TIMEOUT)
    return {"topics": {name: len(t.partitions) for name, t in md.topics.items()}}


OPS = {
    "create": create,
    "describe": describe,
    "alter": alter,
    "incremental": incremental,
    "partitions": partitions,
    "delete_records": delete_records,
    "list_offsets": list_offsets,
    "produce": produce,
    "consume": consume,
    "delete_topic": delete_topic,
    "topics": topics,
}

for operation in json.load(sys.stdin):
    result = run(lambda: OPS[operation["op"]](operation))
    print(json.dumps(result), flush=True)
