"""confluent-kafka (librdkafka) compatibility client: PyPI 2.x in a venv, or Debian's 1.7 with /usr/bin/python3.

See ../README.md for the command line and the JSON result.
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

scenario, bootstrap, topic, group = sys.argv[1:5]
opt = dict(a.split("=", 1) for a in sys.argv[5:])
n = int(opt.get("n", 20))
start = int(opt.get("start", 0))
timeout = int(opt.get("timeout_ms", 30000)) / 1000.0
headers = opt.get("headers") == "1"
idle = int(opt.get("idle_ms", 0)) / 1000.0  # group: also stop once messages stopped arriving for idle_ms
deadline = time.monotonic() + timeout
got = []
PAD = "x" * 200  # compressible: librdkafka sends a batch uncompressed when that is smaller
info = {"version": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]}


def done(res):
    res["info"] = info
    print(json.dumps(res), flush=True)
    sys.exit(0 if res.get("ok") else 1)


def text(b):
    return None if b is None else b.decode()


def record(m):
    h = None
    for k, v in m.headers() or []:
        if k == "h":
            h = text(v)
    got.append([m.partition(), m.offset(), text(m.key()), text(m.value()), h])


errors = []


def on_error(err):
    # Transport errors that librdkafka recovers from are only logged; fatal ones fail the run.
    if err.fatal():
        errors.append(str(err))


common = {"bootstrap.servers": bootstrap, "error_cb": on_error, "topic.metadata.refresh.interval.ms": 1000,
          "client.id": opt.get("client_id", "rdkafka")}

try:
    if scenario == "produce":
        conf = dict(common, **{"acks": "all", "linger.ms": 5, "compression.codec": opt.get("compression", "none")})
        if opt.get("idempotent") == "1":
            conf["enable.idempotence"] = True
        p = Producer(conf)
        acks = []

        def dr(err, m):
            if err is not None:
                errors.append(str(err))
            else:
                acks.append([int(m.key().decode()[2:]), m.partition(), m.offset()])

        for i in range(start, start + n):
            kw = {"headers": [("h", str(i).encode())]} if headers else {}
            p.produce(topic, key=f"k-{i}".encode(), value=f"v-{i}|{PAD}".encode(), on_delivery=dr, **kw)
            p.poll(0)
        left = p.flush(timeout)
        if left or errors or len(acks) != n:
            done({"ok": False, "error": f"undelivered={left} errors={errors[:3]} acks={len(acks)}", "acks": acks})
        done({"ok": True, "acks": acks})

    elif scenario == "txn":
        # Two transactions over `partitions` partitions (message i goes to partition i % partitions): the first,
        # messages start+n .. start+2n-1, is flushed (in the log) and aborted; the second, start .. start+n-1, is
        # committed. Aborted records come first in every partition, so a reader that does not skip them sees them
        # before the committed ones. "acks" are the committed messages' delivery reports.
        parts = int(opt.get("partitions", 3))
        p = Producer(dict(common, **{"transactional.id": opt["transactional_id"], "linger.ms": 5,
                                     "transaction.timeout.ms": 60000}))
        acks = []

        def dr(err, m):
            if err is not None:
                errors.append(str(err))
            elif int(m.key().decode()[2:]) < start + n:
                acks.append([int(m.key().decode()[2:]), m.partition(), m.offset()])

        p.init_transactions(timeout)
        for first, commit in ((start + n, False), (start, True)):
            p.begin_transaction()
            for i in range(first, first + n):
                kw = {"headers": [("h", str(i).encode())]} if headers else {}
                p.produce(topic, key=f"k-{i}".encode(), value=f"v-{i}|{PAD}".encode(), partition=i % parts,
                          on_delivery=dr, **kw)
                p.poll(0)
            p.flush(timeout)
            if commit:
                p.commit_transaction(timeout)
            else:
                p.abort_transaction(timeout)
        if errors or len(acks) != n:
            done({"ok": False, "error": f"errors={errors[:3]} acks={len(acks)}", "acks": acks})
        done({"ok": True, "acks": acks})

    elif scenario == "eos":
        # Consume-transform-produce: read n messages of `topic` in group `group` (read_committed), copy each to
        # topic `out` (same key, value, header, partition) in one transaction with the consumer's positions sent
        # to it (send_offsets_to_transaction), then commit it, or abort it with abort=1. Nothing is committed
        # outside the transaction.
        c = Consumer(dict(common, **{
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500,
            "fetch.wait.max.ms": 500,
        }))
        p = Producer(dict(common, **{"transactional.id": opt["transactional_id"], "linger.ms": 5}))
        p.init_transactions(timeout)
        c.subscribe([topic])
        msgs = []
        while len(got) < n and time.monotonic() < deadline and not errors:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            record(m)
            msgs.append(m)
        if len(got) < n or errors:
            done({"ok": False, "error": f"consumed {len(got)} of {n}; errors={errors[:3]}", "msgs": got})
        p.begin_transaction()
        for m in msgs:
            p.produce(opt["out"], key=m.key(), value=m.value(), headers=m.headers(), partition=m.partition())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), timeout)
        if opt.get("abort") == "1":
            p.abort_transaction(timeout)
        else:
            p.commit_transaction(timeout)
        c.close()
        done({"ok": not errors, "error": str(errors[:3]) if errors else None, "msgs": got})

    elif scenario == "fetch":
        # isolation=read_committed: skip aborted transactions and stop at the last stable offset.
        c = Consumer(dict(common, **{"group.id": group, "enable.auto.commit": False, "fetch.wait.max.ms": 500,
                                     "isolation.level": opt.get("isolation", "read_uncommitted")}))
        md = c.list_topics(topic, timeout=10)
        parts = sorted(md.topics[topic].partitions)
        c.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in parts])
        while len(got) < n and time.monotonic() < deadline and not errors:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            record(m)
        c.close()
        done({"ok": len(got) >= n and not errors, "error": str(errors[:3]) if errors else None, "msgs": got})

    elif scenario == "group":
        c = Consumer(dict(common, **{
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500,
            "fetch.wait.max.ms": 500,
        }))
        c.subscribe([topic])
        last = time.monotonic()
        while len(got) < n and time.monotonic() < deadline and not errors:
            m = c.poll(0.2)
            if m is None:
                if idle and got and time.monotonic() - last >= idle:
                    break
                continue
            last = time.monotonic()
            if m.error():
                if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            record(m)
        ok = (len(got) >= n or (idle and got)) and not errors
        if ok and opt.get("commit") != "0":  # commit=0: only report what was consumed (split scenario)
            c.commit(asynchronous=False)
        c.close()
        done({"ok": bool(ok), "error": str(errors[:3]) if errors else None, "msgs": got})
    else:
        done({"ok": False, "error": f"unknown scenario {scenario}"})
except SystemExit:
    raise
except Exception as e:  # noqa: BLE001 - any client error is a failed cell
    done({"ok": False, "error": f"{type(e).__name__}: {e}", "msgs": got})
