"""Schematized SeaweedMQ topics (tests/integration/seaweedmq_schematized_test.ts): records produced through
confluent-kafka's Avro, JSON Schema and Protobuf serializers, read back raw, and the parquet files SeaweedMQ's
compaction writes read with pyarrow. Each subcommand prints one JSON line; the test asserts on it.

Usage:
  smq_schematized.py produce BOOTSTRAP REGISTRY_URL PREFIX   topics PREFIX-avro, PREFIX-json, PREFIX-proto: for each,
                                                              the serialized values sent and the raw values fetched (hex)
  smq_schematized.py parquet URL...                           per file (filer URLs): column types and rows (bytes as
                                                              hex, or text when UTF-8)
"""
import datetime
import json
import os
import sys
import time

N = 12

ORDER = json.dumps({
    "type": "record", "name": "Order", "namespace": "kgw.test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "customer", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "qty", "type": "int"},
        {"name": "paid", "type": "boolean"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "address", "type": {"type": "record", "name": "Address",
                                     "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": "int"}]}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
        {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
})

EVENT = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Event", "type": "object",
    "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "score": {"type": "number"},
                   "ok": {"type": "boolean"}, "labels": {"type": "array", "items": {"type": "string"}}},
    "required": ["id", "kind"],
})

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def order(i):
    return {"id": i, "customer": f"c-{i}", "amount": i * 1.5, "qty": i * 2, "paid": i % 2 == 0,
            "note": None if i % 3 == 0 else f"note {i}", "tags": ["t", str(i)],
            "address": {"city": f"city-{i}", "zip": 1000 + i}, "status": "PAID" if i % 2 == 0 else "NEW",
            "created": datetime.datetime.fromtimestamp((EPOCH_MS + i * 1000) / 1000, tz=datetime.timezone.utc)}


def event(i):
    return {"id": i, "kind": f"k{i}", "score": i / 4, "ok": i % 2 == 1, "labels": ["x"] * (i % 3)}


def reading_proto_class():
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="kgw_reading.proto", package="kgw.test", syntax="proto3")
    m = fdp.message_type.add(name="Reading")
    m.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL, json_name="id")
    m.field.add(name="sensor", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, json_name="sensor")
    m.field.add(name="celsius", number=3, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL, json_name="celsius")
    m.field.add(name="tags", number=4, type=F.TYPE_STRING, label=F.LABEL_REPEATED, json_name="tags")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("kgw.test.Reading"))


def produce_topic(bootstrap, topic, serializer, values):
    from confluent_kafka import Consumer, KafkaError, Producer
    from confluent_kafka.serialization import MessageField, SerializationContext
    ctx = SerializationContext(topic, MessageField.VALUE)
    sent = [serializer(v, ctx) for v in values]
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i, b in enumerate(sent):
        p.produce(topic, key=f"k{i}".encode(), value=b)
    assert p.flush(20) == 0, "records left unsent"
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"raw-{topic}", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    end = time.time() + 30
    while len(got) < len(sent) and time.time() < end:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise RuntimeError(m.error().str())
        got.append(m.value())
    c.close()
    return {"sent": [b.hex() for b in sent], "got": [b.hex() for b in got]}


def produce(bootstrap, url, prefix):
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.schema_registry.json_schema import JSONSerializer
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    sr = SchemaRegistryClient({"url": url})
    Reading = reading_proto_class()
    return {
        "avro": produce_topic(bootstrap, f"{prefix}-avro", AvroSerializer(sr, ORDER), [order(i) for i in range(N)]),
        "json": produce_topic(bootstrap, f"{prefix}-json", JSONSerializer(EVENT, sr), [event(i) for i in range(N)]),
        "proto": produce_topic(
            bootstrap, f"{prefix}-proto", ProtobufSerializer(Reading, sr, {"use.deprecated.format": False}),
            [Reading(id=i, sensor=f"s{i}", celsius=20 + i / 2, tags=["r", str(i)]) for i in range(N)]),
    }


def plain(v):
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": v.hex()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def parquet(urls):
    """Reads parquet files from the filer's HTTP API (its headers carry the files' binary extended attributes,
    which stricter HTTP clients refuse)."""
    import io
    import urllib.request
    import pyarrow.parquet as pq
    out = {}
    for f in urls:
        with urllib.request.urlopen(f, timeout=30) as res:
            t = pq.read_table(io.BytesIO(res.read()))
        out[f] = {"columns": {field.name: str(field.type) for field in t.schema},
                  "rows": [plain(r) for r in t.to_pylist()]}
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "produce":
        out = produce(*sys.argv[2:5])
    elif cmd == "parquet":
        out = parquet(sys.argv[2:])
    else:
        raise SystemExit(f"unknown subcommand {cmd}")
    print(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)  # pyarrow's thread pool can abort the interpreter's exit ("terminate called ...") after the answer


if __name__ == "__main__":
    main()
