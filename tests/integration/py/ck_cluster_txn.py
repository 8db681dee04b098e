"""An interactive confluent-kafka (librdkafka) transactional client for the cluster transactions tests
(tests/integration/seaweedmq_cluster_transactions_test.ts). It reads one command per stdin line (JSON array) and
answers each with one JSON line on stdout: {"ok": true, ...} or {"ok": false, "error": {...}}. It records what the
client saw rather than judging it, so a failing test can say exactly what happened.

Usage: ck_cluster_txn.py BOOTSTRAP
Commands:
  ["create", TOPIC, PARTS]                      creates a topic (an existing one is fine)
  ["init", TXID, TIMEOUT_MS]                    a transactional producer, init_transactions
  ["begin"]                                     begin_transaction
  ["produce", TOPIC, [[PARTITION, VALUE], ...]] produce and flush: {"delivered": [[p, offset, value]], "failed",
                                                "raised": an error produce() or flush() raised, or null}
  ["send-offsets", GROUP, TOPIC, [[PARTITION, OFFSET], ...]]
                                                send_offsets_to_transaction for a group without members
  ["commit"] / ["abort"]                        commit_transaction / abort_transaction (90 s), with the seconds
  ["plain", TOPIC, [[PARTITION, VALUE], ...]]   non-transactional (idempotent) produce
  ["read", TOPIC, PARTS, ISOLATION, TIMEOUT_S, [VALUE...]]
                                                every partition from the beginning to its end and every VALUE
  ["committed", GROUP, TOPIC, PARTS, ISOLATION] the group's committed offsets (read_committed: librdkafka asks
                                                for stable offsets, so pending transactional ones are waited for)
"""
import json
import sys
import time
import uuid

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer,
                             TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

client_errors = []


def on_error(err):
    client_errors.append({"name": err.name(), "fatal": err.fatal(), "str": err.str()})


def emit(obj):
    print(json.dumps(obj), flush=True)


def exc_info(e):
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        err = e.args[0]
        return {"name": err.name(), "code": err.code(), "fatal": err.fatal(), "retriable": err.retriable(),
                "abortable": err.txn_requires_abort(), "str": err.str()}
    return {"name": type(e).__name__, "str": str(e)}


class Session:
    def __init__(self, bs):
        self.bs = bs
        self.producer = None
        self.plain_producer = None

    def create(self, topic, parts):
        admin = AdminClient({"bootstrap.servers": self.bs})
        fut = admin.create_topics([NewTopic(topic, parts, 1)], operation_timeout=10)[topic]
        try:
            fut.result(30)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
        return {}

    def init(self, txid, timeout_ms):
        self.producer = Producer({
            "bootstrap.servers": self.bs,
            "transactional.id": txid,
            "transaction.timeout.ms": timeout_ms,
            "linger.ms": 5,
            "reconnect.backoff.ms": 100,
            "reconnect.backoff.max.ms": 500,
            "error_cb": on_error,
        })
        t = time.time()
        self.producer.init_transactions(90)
        return {"seconds": time.time() - t}

    def begin(self):
        self.producer.begin_transaction()
        return {}

    def _produce(self, p, topic, recs):
        delivered, failed = [], []

        def cb(err, msg):
            if err is None:
                delivered.append([msg.partition(), msg.offset(), msg.value().decode()])
            else:
                failed.append({"partition": msg.partition(), "value": msg.value().decode(), "error": err.name()})

        raised = None
        try:
            for part, value in recs:
                p.produce(topic, value=value.encode(), partition=part, on_delivery=cb)
            p.flush(60)
        except Exception as e:  # a fatal error surfaces from produce() or flush() (raised through a callback)
            raised = exc_info(e.__cause__ if isinstance(e.__cause__, KafkaException) else e)
        return {"delivered": delivered, "failed": failed, "raised": raised}

    def produce(self, topic, recs):
        return self._produce(self.producer, topic, recs)

    def plain(self, topic, recs):
        if self.plain_producer is None:
            self.plain_producer = Producer({"bootstrap.servers": self.bs, "enable.idempotence": True,
                                            "linger.ms": 5, "error_cb": on_error})
        return self._produce(self.plain_producer, topic, recs)

    def send_offsets(self, group, topic, offsets):
        c = Consumer({"bootstrap.servers": self.bs, "group.id": group, "enable.auto.commit": False,
                      "error_cb": on_error})
        try:
            tps = [TopicPartition(topic, p, o) for p, o in offsets]
            t = time.time()
            self.producer.send_offsets_to_transaction(tps, c.consumer_group_metadata(), 60)
            return {"seconds": time.time() - t}
        finally:
            c.close()

    def end(self, commit):
        t = time.time()
        if commit:
            self.producer.commit_transaction(90)
        else:
            self.producer.abort_transaction(90)
        return {"seconds": time.time() - t}

    def read(self, topic, parts, isolation, timeout, want):
        c = Consumer({
            "bootstrap.servers": self.bs,
            "group.id": f"reader-{uuid.uuid4()}",
            "isolation.level": isolation,
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 100,
            "error_cb": on_error,
        })
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(parts)])
        records, eof, errors = [], set(), []
        want = set(want)
        seen = set()
        t = time.time()
        deadline = t + timeout

        def done():
            return len(eof) == parts and want <= seen

        while time.time() < deadline and not done():
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                else:
                    errors.append({"name": m.error().name(), "str": m.error().str()})
                continue
            eof.discard(m.partition())
            v = m.value().decode()
            seen.add(v)
            records.append([m.partition(), m.offset(), v])
        high = []
        for p in range(parts):
            try:
                high.append(c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1])
            except KafkaException as e:
                high.append(exc_info(e)["name"])
        c.close()
        return {"records": records, "complete": done(), "high": high, "errors": errors[-20:],
                "seconds": time.time() - t}

    def committed(self, group, topic, parts, isolation="read_uncommitted"):
        c = Consumer({"bootstrap.servers": self.bs, "group.id": group, "enable.auto.commit": False,
                      "isolation.level": isolation, "error_cb": on_error})
        try:
            t = time.time()
            got = c.committed([TopicPartition(topic, p) for p in range(parts)], timeout=30)
            return {"offsets": [x.offset for x in got], "seconds": time.time() - t}
        finally:
            c.close()


def main():
    s = Session(sys.argv[1])
    emit({"ok": True, "ready": True})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        name, args = cmd[0], cmd[1:]
        del client_errors[:]
        try:
            if name == "create":
                out = s.create(*args)
            elif name == "init":
                out = s.init(*args)
            elif name == "begin":
                out = s.begin()
            elif name == "produce":
                out = s.produce(*args)
            elif name == "plain":
                out = s.plain(*args)
            elif name == "send-offsets":
                out = s.send_offsets(*args)
            elif name == "commit":
                out = s.end(True)
            elif name == "abort":
                out = s.end(False)
            elif name == "read":
                out = s.read(*args)
            elif name == "committed":
                out = s.committed(*args)
            else:
                raise SystemExit(f"unknown command {name}")
            out["ok"] = True
        except Exception as e:
            out = {"ok": False, "error": exc_info(e)}
        out["client_errors"] = list(client_errors)
        emit(out)


main()
