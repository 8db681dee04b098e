"""confluent-kafka's Schema Registry client, serializers and deserializers against the gateway's built-in registry
(tests/conformance/schema_registry_clients_test.ts). Each subcommand prints one JSON line with what the client saw;
the test asserts on it.

Usage: ck_schema_registry.py SUBCOMMAND BOOTSTRAP REGISTRY_URL TOPIC
  avro       Avro records through AvroSerializer (auto-registered), read back with AvroDeserializer
  json       JSON Schema records through JSONSerializer, read back with JSONDeserializer
  protobuf   Protobuf messages through ProtobufSerializer (a message type built at run time), read back
  evolve     Avro v1, a compatible v2 (new field with a default) and an incompatible v3 (new field without one);
             the records of v1 and v2 read back with v2 as the reader schema
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

USER_V1 = json.dumps({"type": "record", "name": "User", "namespace": "kgw.test",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}]})
USER_V2 = json.dumps({"type": "record", "name": "User", "namespace": "kgw.test",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"},
                                 {"name": "email", "type": "string", "default": "none"}]})
USER_V3 = json.dumps({"type": "record", "name": "User", "namespace": "kgw.test",
                      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"},
                                 {"name": "email", "type": "string", "default": "none"},
                                 {"name": "age", "type": "int"}]})
USER_JSON = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "title": "User", "type": "object",
                        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                        "required": ["id", "name"], "additionalProperties": False})


def produce(bootstrap, topic, serialize, values):
    p = Producer({"bootstrap.servers": bootstrap})
    ctx = SerializationContext(topic, MessageField.VALUE)
    for v in values:
        p.produce(topic, value=serialize(v, ctx))
    assert p.flush(15) == 0, "records left unsent"


def consume(bootstrap, topic, deserialize, n, timeout_s=20):
    """The first n records' raw bytes and deserialized values."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"sr-{topic}", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe([topic])
    ctx = SerializationContext(topic, MessageField.VALUE)
    raw, values = [], []
    end = time.time() + timeout_s
    while len(raw) < n and time.time() < end:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise RuntimeError(m.error().str())
        raw.append(m.value())
        values.append(deserialize(m.value(), ctx))
    c.close()
    return raw, values


def framing(raw):
    """Confluent's wire format: magic byte 0, then the schema id (big-endian int32)."""
    return [{"magic": b[0], "id": int.from_bytes(b[1:5], "big")} for b in raw]


def user_proto_class():
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="kgw_user.proto", package="kgw.test", syntax="proto3")
    m = fdp.message_type.add(name="User")
    m.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL, json_name="id")
    m.field.add(name="name", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, json_name="name")
    m.field.add(name="tags", number=3, type=F.TYPE_STRING, label=F.LABEL_REPEATED, json_name="tags")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("kgw.test.User"))


def main():
    cmd, bootstrap, url, topic = sys.argv[1:5]
    sr = SchemaRegistryClient({"url": url})
    out = {}
    if cmd == "avro":
        values = [{"id": i, "name": f"user-{i}"} for i in range(20)]
        produce(bootstrap, topic, AvroSerializer(sr, USER_V1), values)
        raw, got = consume(bootstrap, topic, AvroDeserializer(sr), len(values))
        out = {"framing": framing(raw), "values": got, "sent": values,
               "latest": sr.get_latest_version(f"{topic}-value").schema.schema_str}
    elif cmd == "json":
        values = [{"id": i, "name": f"user-{i}"} for i in range(10)]
        produce(bootstrap, topic, JSONSerializer(USER_JSON, sr), values)
        raw, got = consume(bootstrap, topic, JSONDeserializer(USER_JSON, schema_registry_client=sr), len(values))
        refused = None
        try:
            produce(bootstrap, topic, JSONSerializer(USER_JSON, sr), [{"id": "not a number", "name": "x"}])
        except Exception as e:  # the serializer validates against the schema before sending
            refused = type(e).__name__
        out = {"framing": framing(raw), "values": got, "sent": values, "refused": refused,
               "type": sr.get_latest_version(f"{topic}-value").schema.schema_type}
    elif cmd == "protobuf":
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
        User = user_proto_class()
        msgs = [User(id=i, name=f"user-{i}", tags=["a", str(i)]) for i in range(10)]
        produce(bootstrap, topic, ProtobufSerializer(User, sr, {"use.deprecated.format": False}), msgs)
        raw, got = consume(bootstrap, topic,
                           ProtobufDeserializer(User, {"use.deprecated.format": False}, schema_registry_client=sr),
                           len(msgs))
        latest = sr.get_latest_version(f"{topic}-value").schema
        out = {"framing": framing(raw), "values": [{"id": m.id, "name": m.name, "tags": list(m.tags)} for m in got],
               "sent": [{"id": m.id, "name": m.name, "tags": list(m.tags)} for m in msgs],
               "type": latest.schema_type, "schema": latest.schema_str}
    elif cmd == "evolve":
        produce(bootstrap, topic, AvroSerializer(sr, USER_V1), [{"id": 1, "name": "one"}])
        produce(bootstrap, topic, AvroSerializer(sr, USER_V2), [{"id": 2, "name": "two", "email": "t@x"}])
        refused = None
        try:
            produce(bootstrap, topic, AvroSerializer(sr, USER_V3), [{"id": 3, "name": "three", "email": "", "age": 3}])
        except SchemaRegistryError as e:
            refused = {"http_status": e.http_status_code, "error_code": e.error_code}
        raw, got = consume(bootstrap, topic, AvroDeserializer(sr, USER_V2), 2)
        out = {"framing": framing(raw), "values": got, "refused": refused,
               "versions": sr.get_versions(f"{topic}-value"),
               "compatible_v3": sr.test_compatibility(f"{topic}-value", Schema(USER_V3, "AVRO"))}
    else:
        raise SystemExit(f"unknown subcommand {cmd}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
