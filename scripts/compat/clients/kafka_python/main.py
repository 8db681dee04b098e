"""kafka-python compatibility client: PyPI 3.x in a venv, or Debian's 2.0.2 with /usr/bin/python3.

The broker version is not pinned (api_version=None): the client probes it from ApiVersions, which is part of what
is being tested. See ../README.md for the command line and the JSON result.
"""
import json
import sys
import time

import kafka
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

scenario, bootstrap, topic, group = sys.argv[1:5]
opt = dict(a.split("=", 1) for a in sys.argv[5:])
n = int(opt.get("n", 20))
start = int(opt.get("start", 0))
timeout = int(opt.get("timeout_ms", 30000)) / 1000.0
headers = opt.get("headers") == "1"
idle = int(opt.get("idle_ms", 0)) / 1000.0  # group: also stop once messages stopped arriving for idle_ms
deadline = time.monotonic() + timeout
got = []
CLIENT_ID = opt.get("client_id", "compat-kafka-python")
PAD = "x" * 200  # compressible values
info = {"version": kafka.__version__}


def done(res):
    res["info"] = info
    print(json.dumps(res), flush=True)
    sys.exit(0 if res.get("ok") else 1)


def text(b):
    return None if b is None else b.decode()


def record(r):
    h = None
    for k, v in r.headers or []:
        if k == "h":
            h = text(v)
    got.append([r.partition, r.offset, text(r.key), text(r.value), h])


def drain(c, use_idle=False):
    last = time.monotonic()
    while len(got) < n and time.monotonic() < deadline:
        batches = c.poll(timeout_ms=200)
        if not batches and use_idle and idle and got and time.monotonic() - last >= idle:
            return
        for _tp, records in batches.items():
            last = time.monotonic()
            for r in records:
                if len(got) < n:
                    record(r)


try:
    if scenario == "produce":
        conf = {"bootstrap_servers": bootstrap.split(","), "acks": "all", "linger_ms": 5, "client_id": CLIENT_ID}
        comp = opt.get("compression", "none")
        if comp != "none":
            conf["compression_type"] = comp
        # kafka-python >= 2.1 is idempotent by default (InitProducerId before the first send, like Java 3.x);
        # 2.0.2 has no idempotence at all.
        if "enable_idempotence" in KafkaProducer.DEFAULT_CONFIG:
            conf["enable_idempotence"] = opt.get("idempotent") == "1"
        elif opt.get("idempotent") == "1":
            done({"ok": False, "error": f"kafka-python {kafka.__version__} has no idempotent producer"})
        p = KafkaProducer(**conf)
        info["api_version"] = list(p.config["api_version"] or [])
        futures = []
        for i in range(start, start + n):
            kw = {"headers": [("h", str(i).encode())]} if headers else {}
            futures.append((i, p.send(topic, key=f"k-{i}".encode(), value=f"v-{i}|{PAD}".encode(), **kw)))
        p.flush(timeout)
        acks = []
        for i, f in futures:
            md = f.get(timeout=max(1.0, deadline - time.monotonic()))
            acks.append([i, md.partition, md.offset])
        p.close(timeout=5)
        done({"ok": True, "acks": acks})

    elif scenario == "fetch":
        kw = {"isolation_level": opt["isolation"]} if "isolation" in opt else {}  # 2.1+ (KIP-98 consumer)
        c = KafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
                          fetch_max_wait_ms=500, client_id=CLIENT_ID, **kw)
        info["api_version"] = list(c.config["api_version"] or [])
        parts = None
        while not parts and time.monotonic() < deadline:
            parts = c.partitions_for_topic(topic)
            if not parts:
                time.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(parts or [])]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        drain(c)
        c.close()
        done({"ok": len(got) >= n, "error": None if len(got) >= n else "timeout", "msgs": got})

    elif scenario == "group":
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False,
                          auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=500,
                          fetch_max_wait_ms=500, client_id=CLIENT_ID)
        info["api_version"] = list(c.config["api_version"] or [])
        # Learn the topic's partitions before the first poll: a subscription whose partitions are not known yet
        # makes the leader assign nothing and join again at once, and kafka-python 3.0.12 can then hang in its
        # join (the leader never heartbeats again; seen against Apache Kafka 4.1.1 as well, dpkp/kafka-python
        # #3106, #3131; scripts/compat/NOTES.md).
        while not c.partitions_for_topic(topic) and time.monotonic() < deadline:
            time.sleep(0.2)
        drain(c, use_idle=True)
        ok = len(got) >= n or bool(idle and got)
        if ok and opt.get("commit") != "0":  # commit=0: only report what was consumed (split scenario)
            c.commit()  # synchronous, the consumed positions
        c.close()
        done({"ok": ok, "error": None if ok else "timeout", "msgs": got})
    elif scenario == "txn":
        # Aborts messages start+n .. start+2n-1 (flushed, so in the log), then commits start .. start+n-1; message
        # i to partition i % partitions. "acks" are the committed transaction's. kafka-python 2.1+ only.
        parts = int(opt.get("partitions", 3))
        p = KafkaProducer(bootstrap_servers=bootstrap.split(","), transactional_id=opt["transactional_id"],
                          linger_ms=5, client_id=CLIENT_ID)
        p.init_transactions()
        acks = []
        for first, commit in ((start + n, False), (start, True)):
            p.begin_transaction()
            futures = []
            for i in range(first, first + n):
                kw = {"headers": [("h", str(i).encode())]} if headers else {}
                futures.append((i, p.send(topic, key=f"k-{i}".encode(), value=f"v-{i}|{PAD}".encode(),
                                          partition=i % parts, **kw)))
            p.flush(timeout)
            for i, f in futures:
                md = f.get(timeout=max(1.0, deadline - time.monotonic()))
                if commit:
                    acks.append([i, md.partition, md.offset])
            if commit:
                p.commit_transaction()
            else:
                p.abort_transaction()
        p.close(timeout=5)
        done({"ok": True, "acks": acks})

    elif scenario == "eos":
        # Consume-transform-produce: n messages of `topic` (group `group`, read_committed) copied to `out` in one
        # transaction with the consumed offsets and the consumer's group metadata (KIP-447); committed, or aborted
        # with abort=1.
        from kafka.structs import OffsetAndMetadata
        c = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=group, enable_auto_commit=False,
                          auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=500,
                          fetch_max_wait_ms=500, client_id=CLIENT_ID, isolation_level="read_committed")
        p = KafkaProducer(bootstrap_servers=bootstrap.split(","), transactional_id=opt["transactional_id"],
                          linger_ms=5, client_id=CLIENT_ID)
        p.init_transactions()
        records = []
        while len(records) < n and time.monotonic() < deadline:
            for _tp, rs in c.poll(timeout_ms=200).items():
                for r in rs:
                    if len(records) < n:
                        record(r)
                        records.append(r)
        if len(records) < n:
            done({"ok": False, "error": f"consumed {len(records)} of {n}", "msgs": got})
        p.begin_transaction()
        for r in records:
            p.send(opt["out"], key=r.key, value=r.value, headers=list(r.headers), partition=r.partition)
        offsets = {}
        for r in records:
            offsets[TopicPartition(r.topic, r.partition)] = OffsetAndMetadata(r.offset + 1, "", -1)
        p.send_offsets_to_transaction(offsets, c.group_metadata())
        if opt.get("abort") == "1":
            p.abort_transaction()
        else:
            p.commit_transaction()
        c.close()
        p.close(timeout=5)
        done({"ok": True, "msgs": got})
    else:
        done({"ok": False, "error": f"unknown scenario {scenario}"})
except SystemExit:
    raise
except Exception as e:  # noqa: BLE001 - any client error is a failed cell
    done({"ok": False, "error": f"{type(e).__name__}: {e}", "msgs": got})
