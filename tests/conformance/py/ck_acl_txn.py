"""confluent-kafka (librdkafka) transactions under ACLs, driven by tests/conformance/acl_txn_clients_test.ts.

Usage: ck_acl_txn.py BOOTSTRAP [CONF_JSON] < ops.json
CONF_JSON: extra client configuration for every client (security.protocol and SASL credentials).
ops.json is a JSON list of operations; one JSON line is printed per operation, in order:
  {"op": "txn", "txid": X, "topic": T, "values": [V], "commit": true|false}
      init_transactions, one transaction producing the values to partition 0 of T, then commit (or abort)
  {"op": "send_offsets", "txid": X, "group": G, "topic": T, "offset": O, "commit": true|false}
      init_transactions, one transaction with no records whose only content is offset O of T/0 for group G
      (send_offsets_to_transaction, with the group metadata of a consumer that never joins), then commit/abort
  {"op": "committed", "group": G, "topic": T} -> {"offset": O}   (the group's committed offset of T/0, -1001 none)
  {"op": "consume", "topic": T, "group": G, "isolation": I} -> {"values": [V]}   T/0 from the start to its end
Every result carries "error": null or the Kafka error name, "message", and "stage": the call that failed
(init, produce, send_offsets, commit, abort, consume, committed).
"""
import json
import sys
import time

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer,
                             TopicPartition)

bootstrap = sys.argv[1]
extra = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
TIMEOUT = 20


class Failed(Exception):
    def __init__(self, stage, err):
        super().__init__(stage)
        self.stage = stage
        self.err = err


def attempt(stage, fn, *args):
    try:
        return fn(*args)
    except KafkaException as e:
        raise Failed(stage, e.args[0] if e.args and isinstance(e.args[0], KafkaError) else None) from e


def producer(txid):
    return Producer({"bootstrap.servers": bootstrap, "transactional.id": txid, "linger.ms": 5,
                     "transaction.timeout.ms": 60000, "message.timeout.ms": 15000, **extra})


def finish(p, commit):
    if commit:
        try:
            p.commit_transaction(TIMEOUT)
        except KafkaException as e:
            err = e.args[0]
            # An abortable error (e.g. a refused AddPartitionsToTxn): abort so the producer ends cleanly, and
            # report the commit's error.
            if isinstance(err, KafkaError) and err.txn_requires_abort():
                try:
                    p.abort_transaction(TIMEOUT)
                except KafkaException:
                    pass
            raise Failed("commit", err if isinstance(err, KafkaError) else None) from e
    else:
        attempt("abort", p.abort_transaction, TIMEOUT)


def txn(op):
    p = producer(op["txid"])
    attempt("init", p.init_transactions, TIMEOUT)
    attempt("begin", p.begin_transaction)
    failures = []
    def dr(err, _msg):
        if err is not None:
            failures.append(err)

    for v in op["values"]:
        attempt("produce", lambda value: p.produce(op["topic"], value=value, partition=0, on_delivery=dr),
                v.encode())
    p.flush(TIMEOUT)
    finish(p, op.get("commit", True))
    if failures:
        raise Failed("produce", failures[0])


def send_offsets(op):
    p = producer(op["txid"])
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": op["group"], "enable.auto.commit": False, **extra})
    try:
        attempt("init", p.init_transactions, TIMEOUT)
        attempt("begin", p.begin_transaction)
        offsets = [TopicPartition(op["topic"], 0, op["offset"])]
        try:
            attempt("send_offsets", p.send_offsets_to_transaction, offsets, c.consumer_group_metadata(), TIMEOUT)
        except Failed:
            try:
                p.abort_transaction(TIMEOUT)
            except KafkaException:
                pass
            raise
        finish(p, op.get("commit", True))
    finally:
        c.close()


def committed(op):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": op["group"], "enable.auto.commit": False, **extra})
    try:
        tps = attempt("committed", c.committed, [TopicPartition(op["topic"], 0)], TIMEOUT)
        if tps[0].error is not None:
            raise Failed("committed", tps[0].error)
        return {"offset": tps[0].offset}
    finally:
        c.close()


def consume(op):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": op["group"], "enable.auto.commit": False,
                  "enable.partition.eof": True, "isolation.level": op.get("isolation", "read_committed"), **extra})
    try:
        c.assign([TopicPartition(op["topic"], 0, OFFSET_BEGINNING)])
        values = []
        deadline = time.time() + 15
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    return {"values": values}
                raise Failed("consume", m.error())
            values.append(m.value().decode())
        raise Failed("consume", KafkaError(KafkaError._TIMED_OUT, f"no end of partition; got {values}"))
    finally:
        c.close()


OPS = {"txn": txn, "send_offsets": send_offsets, "committed": committed, "consume": consume}


def run(op):
    try:
        out = OPS[op["op"]](op) or {}
        out.update({"error": None, "stage": None})
        return out
    except Failed as f:
        err = f.err
        return {"error": err.name() if err is not None else "UNKNOWN", "message": err.str() if err else None,
                "stage": f.stage}


for op in json.load(sys.stdin):
    print(json.dumps(run(op)), flush=True)
