"""An independent reader of `__consumer_offsets` for the issue-17 tests (tests/integration/offsets_topic_*):
Kafka's record formats decoded here from the schemas (group-coordinator's OffsetCommitKey/Value and
GroupMetadataKey/Value .json, non-flexible versions 0-3), sharing no code with the gateway. Driven by
tests/helpers/offsets_topic.ts.

Usage:
  offsets_topic.py dump BOOTSTRAP [TOPIC]
      reads every partition of TOPIC (default __consumer_offsets) from its log start to its high watermark with
      confluent-kafka (assign, no group) and prints one JSON line per record (see `record` below), then
      {"done": true, "partitions": N, "watermarks": {p: [low, high]}}
  offsets_topic.py decode-kcat < kcat output
      the same JSON lines for the output of `kcat -C -e -f '%p %o %T %K %S\\n%k%s'` (raw key and value bytes)
  offsets_topic.py commit BOOTSTRAP GROUP < [[topic, partition, offset, metadata|null, leader_epoch|null], ...]
      commits the offsets as GROUP with a confluent-kafka Consumer (no subscription: generation -1, as a
      stand-alone consumer), one OffsetCommit per list; prints {"error": null} or {"error": NAME, "message": ...}
  offsets_topic.py describe BOOTSTRAP TOPIC...
      DescribeTopics (Metadata) through confluent-kafka's AdminClient: one line
      {"topics": {name: {"error": null|NAME, "is_internal": bool, "partitions": N}}}
  offsets_topic.py produce BOOTSTRAP TOPIC PARTITION KEY VALUE
      produces one record with confluent-kafka (no auto-creation from the client side), prints
      {"error": null, "offset": O} or {"error": NAME, "message": ...}

A record line: {"p": partition, "o": offset, "ts": record timestamp (ms), "key_hex": ..., "value_hex": ...|null, "key": {...}, "value": {...}|null,
"error": null|"what failed to decode"}. Keys: {"type": "offset", "version": 0|1, "group", "topic", "partition"} or
{"type": "group", "version": 2, "group"}. Offset values: {"version", "offset", "leader_epoch" (v3, else null),
"metadata", "commit_timestamp", "expire_timestamp" (v1, else null)}. Group values: {"version", "protocol_type",
"generation", "protocol", "leader", "current_state_timestamp" (v2+, else null), "members": [{"member_id",
"group_instance_id" (v3+, else null), "client_id", "client_host", "rebalance_timeout" (v1+, else null),
"session_timeout", "subscription_hex", "assignment_hex", "subscription": {...}|null, "assignment": {...}|null}]}
where subscription/assignment are decoded as Kafka's ConsumerProtocol when protocol_type is "consumer".
"""
import json
import struct
import sys


class Underflow(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.b = data
        self.i = 0

    def take(self, n):
        if n < 0 or self.i + n > len(self.b):
            raise Underflow(f"needs {n} bytes at {self.i} of {len(self.b)}")
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def int16(self):
        return struct.unpack(">h", self.take(2))[0]

    def int32(self):
        return struct.unpack(">i", self.take(4))[0]

    def int64(self):
        return struct.unpack(">q", self.take(8))[0]

    def string(self, nullable=False):
        n = self.int16()
        if n == -1:
            if not nullable:
                raise ValueError("null in a non-nullable string")
            return None
        if n < -1:
            raise ValueError(f"bad string length {n}")
        return self.take(n).decode("utf-8")

    def bytes(self, nullable=False):
        n = self.int32()
        if n == -1:
            if not nullable:
                raise ValueError("null in non-nullable bytes")
            return None
        if n < -1:
            raise ValueError(f"bad bytes length {n}")
        return self.take(n)

    def array(self, item):
        n = self.int32()
        if n == -1:
            return None
        if n < -1:
            raise ValueError(f"bad array length {n}")
        return [item() for _ in range(n)]

    def end(self, what):
        if self.i != len(self.b):
            raise ValueError(f"{what}: {len(self.b) - self.i} bytes left over")


def decode_key(raw):
    r = Reader(raw)
    v = r.int16()
    if v in (0, 1):
        out = {"type": "offset", "version": v, "group": r.string(), "topic": r.string(), "partition": r.int32()}
    elif v == 2:
        out = {"type": "group", "version": v, "group": r.string()}
    else:
        raise ValueError(f"unknown key version {v}")
    r.end("key")
    return out


def decode_offset_value(raw):
    r = Reader(raw)
    v = r.int16()
    if v not in (0, 1, 2, 3):
        raise ValueError(f"offset commit value version {v} (expected 0-3)")
    out = {"version": v, "offset": r.int64(), "leader_epoch": None}
    if v >= 3:
        out["leader_epoch"] = r.int32()
    out["metadata"] = r.string()
    out["commit_timestamp"] = r.int64()
    out["expire_timestamp"] = r.int64() if v == 1 else None
    r.end("offset commit value")
    return out


def decode_subscription(raw):
    # ConsumerProtocolSubscription: version, topics, user_data, [v1+ owned_partitions], [v2+ generation_id],
    # [v3+ rack_id]; later fields are only checked to parse.
    r = Reader(raw)
    v = r.int16()
    out = {"version": v, "topics": r.array(r.string), "user_data_hex": None}
    ud = r.bytes(nullable=True)
    out["user_data_hex"] = ud.hex() if ud is not None else None
    if v >= 1 and r.i < len(raw):
        out["owned_partitions"] = r.array(lambda: [r.string(), r.array(r.int32)])
    if v >= 2 and r.i < len(raw):
        out["generation_id"] = r.int32()
    if v >= 3 and r.i < len(raw):
        out["rack_id"] = r.string(nullable=True)
    return out


def decode_assignment(raw):
    # ConsumerProtocolAssignment: version, [topic, [partition]], user_data
    r = Reader(raw)
    v = r.int16()
    parts = r.array(lambda: [r.string(), r.array(r.int32)])
    ud = r.bytes(nullable=True) if r.i < len(raw) else None
    return {"version": v, "partitions": {t: sorted(ps) for t, ps in (parts or [])},
            "user_data_hex": ud.hex() if ud is not None else None}


def decode_group_value(raw):
    r = Reader(raw)
    v = r.int16()
    if v not in (0, 1, 2, 3):
        raise ValueError(f"group metadata value version {v} (expected 0-3)")
    out = {
        "version": v,
        "protocol_type": r.string(),
        "generation": r.int32(),
        "protocol": r.string(nullable=True),
        "leader": r.string(nullable=True),
        "current_state_timestamp": r.int64() if v >= 2 else None,
    }

    def member():
        m = {"member_id": r.string(), "group_instance_id": None}
        if v >= 3:
            m["group_instance_id"] = r.string(nullable=True)
        m["client_id"] = r.string()
        m["client_host"] = r.string()
        m["rebalance_timeout"] = r.int32() if v >= 1 else None
        m["session_timeout"] = r.int32()
        sub = r.bytes()
        asg = r.bytes()
        m["subscription_hex"] = sub.hex()
        m["assignment_hex"] = asg.hex()
        m["subscription"] = None
        m["assignment"] = None
        if out["protocol_type"] == "consumer":
            m["subscription"] = decode_subscription(sub)
            m["assignment"] = decode_assignment(asg) if len(asg) > 0 else {"version": None, "partitions": {}}
        return m

    out["members"] = r.array(member)
    r.end("group metadata value")
    return out


def record(p, o, key, value, ts=None):
    out = {"p": p, "o": o, "ts": ts, "key_hex": key.hex() if key is not None else None,
           "value_hex": value.hex() if value is not None else None, "key": None, "value": None, "error": None}
    try:
        if key is None:
            raise ValueError("null key")
        out["key"] = decode_key(key)
        if value is not None:
            if out["key"]["type"] == "offset":
                out["value"] = decode_offset_value(value)
            else:
                out["value"] = decode_group_value(value)
    except (Underflow, ValueError, UnicodeDecodeError) as e:
        out["error"] = str(e)
    return out


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def kafka_error(e):
    from confluent_kafka import KafkaError
    err = e.args[0] if e.args else None
    if isinstance(err, KafkaError):
        return {"error": err.name(), "message": err.str()}
    return {"error": "UNKNOWN", "message": str(e)}


READER_GROUP = "kgw-offsets-topic-reader"


def dump(bootstrap, topic):
    from confluent_kafka import Consumer, TopicPartition

    # librdkafka wants a group.id; nothing here joins or commits (assign, no auto-commit), so the reader's group
    # never has records of its own
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": READER_GROUP,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 50,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    md = c.list_topics(topic, timeout=20)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        emit({"done": False, "error": str(t.error if t else "topic missing")})
        return 1
    parts = sorted(t.partitions)
    marks = {}
    assign = []
    for p in parts:
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=20, cached=False)
        marks[p] = [low, high]
        if high > low:
            assign.append(TopicPartition(topic, p, low))
    remaining = {tp.partition: marks[tp.partition][1] for tp in assign}
    if assign:
        c.assign(assign)
    import time
    deadline = time.time() + 60
    while remaining and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            emit({"fetch_error": str(m.error()), "p": m.partition()})
            continue
        emit(record(m.partition(), m.offset(), m.key(), m.value(), m.timestamp()[1]))
        hw = remaining.get(m.partition())
        if hw is not None and m.offset() + 1 >= hw:
            del remaining[m.partition()]
    c.close()
    emit({"done": not remaining, "partitions": len(parts), "watermarks": marks,
          "unfinished": sorted(remaining)})
    return 0 if not remaining else 1


def decode_kcat():
    data = sys.stdin.buffer.read()
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        p, o, ts, klen, vlen = (int(x) for x in data[i:nl].split(b" "))
        i = nl + 1
        key = None
        if klen >= 0:
            key = data[i:i + klen]
            i += klen
        value = None
        if vlen >= 0:
            value = data[i:i + vlen]
            i += vlen
        emit(record(p, o, key, value, ts))
    return 0


def commit(bootstrap, group):
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    batches = json.load(sys.stdin)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    rc = 0
    for batch in batches:
        tps = []
        for topic, partition, offset, metadata, epoch in batch:
            kw = {}
            if metadata is not None:
                kw["metadata"] = metadata
            if epoch is not None:
                kw["leader_epoch"] = epoch
            tps.append(TopicPartition(topic, partition, offset, **kw))
        try:
            res = c.commit(offsets=tps, asynchronous=False)
            errs = [str(tp.error) for tp in (res or []) if tp.error is not None]
            emit({"error": errs[0] if errs else None})
            if errs:
                rc = 1
        except KafkaException as e:
            emit(kafka_error(e))
            rc = 1
    c.close()
    return rc


def produce(bootstrap, topic, partition, key, value):
    from confluent_kafka import KafkaException, Producer

    p = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 10000, "retries": 0})
    result = {}

    def done(err, msg):
        if err is not None:
            result.update({"error": err.name(), "message": err.str()})
        else:
            result.update({"error": None, "offset": msg.offset()})

    try:
        p.produce(topic, value.encode(), key.encode(), partition=int(partition), on_delivery=done)
        p.flush(20)
    except KafkaException as e:
        result = kafka_error(e)
    emit(result or {"error": "TIMED_OUT", "message": "no delivery report"})
    return 0


def describe(bootstrap, names):
    from confluent_kafka import KafkaException, TopicCollection
    from confluent_kafka.admin import AdminClient

    a = AdminClient({"bootstrap.servers": bootstrap})
    out = {}
    for name, f in a.describe_topics(TopicCollection(names), request_timeout=20).items():
        try:
            d = f.result()
            out[name] = {"error": None, "is_internal": d.is_internal, "partitions": len(d.partitions)}
        except KafkaException as e:
            out[name] = kafka_error(e)
    emit({"topics": out})
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "dump":
        return dump(argv[2], argv[3] if len(argv) > 3 else "__consumer_offsets")
    if cmd == "decode-kcat":
        return decode_kcat()
    if cmd == "commit":
        return commit(argv[2], argv[3])
    if cmd == "describe":
        return describe(argv[2], argv[3:])
    if cmd == "produce":
        return produce(*argv[2:7])
    raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
