"""The producer side of scripts/bench_transactions.ts: confluent-kafka (librdkafka) producing as fast as it can.

Usage:
  ck_txn_bench.py produce BOOTSTRAP TOPIC MODE RECORDS SIZE PARTITIONS PER_TXN TXID
      MODE txn: transactions of PER_TXN records (round-robin over PARTITIONS), committed one after the other;
      MODE idem: enable.idempotence=true, one flush at the end. Prints {"records", "start", "end", "seconds"}:
      from the first produce() to the last commit / delivery, epoch seconds.
  ck_txn_bench.py latency BOOTSTRAP TOPIC TXNS PER_TXN SIZE PARTITIONS TXID
      TXNS transactions of PER_TXN records; each one's records are flushed first, then commit_transaction() is
      timed alone. Prints {"commit_ms": [...], "txn_ms": [...]} (txn_ms: begin to commit returned).
Exits non-zero (and prints {"error": ...}) when anything fails: a benchmark of failed deliveries means nothing.
"""
import json
import sys
import time

from confluent_kafka import KafkaException, Producer


def emit(obj):
    print(json.dumps(obj), flush=True)


errors = []


def on_error(err):
    errors.append(f"{err.name()}: {err.str()}")


def conf(bs, **extra):
    c = {
        "bootstrap.servers": bs,
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 1000000,
        "error_cb": on_error,
    }
    c.update(extra)
    return c


class Counter:
    def __init__(self):
        self.ok = 0
        self.failed = 0
        self.first_error = None

    def __call__(self, err, msg):
        if err is None:
            self.ok += 1
        else:
            self.failed += 1
            self.first_error = self.first_error or str(err)


def produce_one(p, topic, payload, partition, dr):
    while True:
        try:
            p.produce(topic, value=payload, partition=partition, on_delivery=dr)
            return
        except BufferError:
            p.poll(0.01)


def produce(bs, topic, mode, records, size, partitions, per_txn, txid):
    payload = b"x" * size
    dr = Counter()
    if mode == "txn":
        p = Producer(conf(bs, **{"transactional.id": txid}))
        p.init_transactions(30)
        start = time.time()
        i = 0
        while i < records:
            p.begin_transaction()
            n = min(per_txn, records - i)
            for j in range(n):
                produce_one(p, topic, payload, (i + j) % partitions, dr)
            p.poll(0)
            p.commit_transaction(60)
            i += n
        end = time.time()
    else:
        p = Producer(conf(bs, **{"enable.idempotence": True, "acks": "all"}))
        # a warm-up record: metadata and the producer id, as init_transactions does for the other mode
        produce_one(p, topic, payload, 0, Counter())
        p.flush(30)
        start = time.time()
        for i in range(records):
            produce_one(p, topic, payload, i % partitions, dr)
            if i % 1000 == 0:
                p.poll(0)
        left = p.flush(120)
        end = time.time()
        if left:
            raise RuntimeError(f"{left} records not delivered")
    if dr.ok != records or dr.failed:
        raise RuntimeError(f"{dr.ok}/{records} delivered, {dr.failed} failed: {dr.first_error}")
    return {"records": records, "start": start, "end": end, "seconds": end - start}


def latency(bs, topic, txns, per_txn, size, partitions, txid):
    payload = b"x" * size
    dr = Counter()
    p = Producer(conf(bs, **{"transactional.id": txid, "linger.ms": 0}))
    p.init_transactions(30)
    commit_ms, txn_ms = [], []
    for k in range(txns):
        t0 = time.perf_counter()
        p.begin_transaction()
        for j in range(per_txn):
            produce_one(p, topic, payload, j % partitions, dr)
        p.flush(30)
        t1 = time.perf_counter()
        p.commit_transaction(60)
        t2 = time.perf_counter()
        commit_ms.append((t2 - t1) * 1000)
        txn_ms.append((t2 - t0) * 1000)
    if dr.ok != txns * per_txn:
        raise RuntimeError(f"{dr.ok}/{txns * per_txn} delivered: {dr.first_error}")
    return {"commit_ms": commit_ms, "txn_ms": txn_ms}


def main():
    cmd, bs, a = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if cmd == "produce":
            out = produce(bs, a[0], a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), a[6])
        elif cmd == "latency":
            out = latency(bs, a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]), a[5])
        else:
            raise SystemExit(f"unknown subcommand {cmd}")
    except (KafkaException, RuntimeError) as e:
        emit({"error": str(e), "client_errors": errors})
        sys.exit(1)
    out["client_errors"] = errors
    emit(out)


main()
