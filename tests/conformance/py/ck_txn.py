"""Transactional confluent-kafka (librdkafka) scenarios driven by the Deno conformance tests
(tests/conformance/transactions_test.ts). Each subcommand prints JSON lines; the last one is its result, which the
test asserts on. The script records what the client saw (values, offsets, errors, watermarks) rather than judging
it, so that a failing test can say exactly what went wrong.

Usage: ck_txn.py SUBCOMMAND BOOTSTRAP ARGS...
  commit BS TOPIC                 3 committed transactions of 30 records over 3 partitions, then both readers
  abort BS TOPIC                  commit, abort, commit (10 records each over 2 partitions), then both readers
  send-offsets BS IN OUT GROUP    consume-transform-produce with send_offsets_to_transaction: commit, abort, redo
  fencing BS TOPIC MODE           a second producer with the same transactional.id fences the first; the
                                  zombie goes on with a new partition (MODE add-partition) or one already in
                                  its transaction (MODE produce-same)
  lso BS TOPIC                    an open transaction holds back read_committed readers until it commits
  open BS TOPIC TXID PARTS N TMO  opens a transaction with N records over PARTS partitions, prints
                                  {"event": "open"} and waits for a line: "commit" commits the transaction and
                                  prints {"event": "commit-result", "error"}; anything else ends it (the test
                                  usually kills the gateway, then this process)
  commit-wait BS TOPIC TXID PARTS N
                                  a committed transaction of N records, prints {"event": "committed"} and waits
  reinit BS TXID                  init_transactions with an existing transactional.id (aborts its open txn)
  plain BS TOPIC PARTS PREFIX     one non-transactional record "PREFIX-p" per partition
  read BS TOPIC PARTS ISOLATION TIMEOUT_S [VALUE...]
                                  reads every partition from the beginning until end of partition on all of them
                                  and every VALUE seen (or the timeout)
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
    """A KafkaException (or anything else) as {name, code, fatal, retriable, abortable, str}."""
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        err = e.args[0]
        return {"name": err.name(), "code": err.code(), "fatal": err.fatal(), "retriable": err.retriable(),
                "abortable": err.txn_requires_abort(), "str": err.str()}
    return {"name": type(e).__name__, "code": None, "fatal": None, "retriable": None, "abortable": None,
            "str": str(e)}


def create_topic(bs, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bs})
    fut = admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10)[topic]
    try:
        fut.result(30)
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def txn_producer(bs, txid, timeout_ms=60000):
    return Producer({
        "bootstrap.servers": bs,
        "transactional.id": txid,
        "transaction.timeout.ms": timeout_ms,
        "linger.ms": 5,
        "reconnect.backoff.ms": 100,
        "reconnect.backoff.max.ms": 500,
        "error_cb": on_error,
    })


def plain_producer(bs):
    return Producer({"bootstrap.servers": bs, "linger.ms": 5, "acks": "all", "error_cb": on_error})


class Deliveries:
    def __init__(self):
        self.ok = 0
        self.failed = []

    def __call__(self, err, msg):
        if err is not None:
            self.failed.append({"name": err.name(), "str": err.str()})
        else:
            self.ok += 1


def produce_all(p, topic, values, partitions, dr):
    for i, v in enumerate(values):
        while True:
            try:
                p.produce(topic, value=v.encode(), partition=i % partitions, on_delivery=dr)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)


def reader(bs, isolation, group=None):
    return Consumer({
        "bootstrap.servers": bs,
        "group.id": group or f"reader-{uuid.uuid4()}",
        "isolation.level": isolation,
        "enable.partition.eof": True,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 100,
        "error_cb": on_error,
    })


def read(bs, topic, partitions, isolation, timeout=30.0, want=()):
    """Every record from the beginning of each partition until every partition reported its end (the LSO for
    read_committed, the high watermark otherwise) after its last record, and every value of `want` was seen.
    Returns records as [partition, offset, value], whether it completed, the high watermark each reader sees
    through ListOffsets (the LSO under read_committed) and errors."""
    c = reader(bs, isolation)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    records, eof, errors = [], set(), []
    want = set(want)
    seen = set()
    deadline = time.time() + timeout

    def done():
        return len(eof) == partitions and want <= seen

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
    for p in range(partitions):
        try:
            high.append(c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1])
        except KafkaException as e:
            high.append(exc_info(e)["name"])
    c.close()
    return {"records": records, "complete": done(), "high": high, "errors": errors}


def txn_run(p, topic, values, partitions, commit=True):
    dr = Deliveries()
    p.begin_transaction()
    produce_all(p, topic, values, partitions, dr)
    if commit:
        p.commit_transaction(30)
    else:
        p.flush(30)
        p.abort_transaction(30)
    return dr


# ------------------------------------------------------------------------------------------------ scenarios

def scenario_commit(bs, topic):
    create_topic(bs, topic, 3)
    p = txn_producer(bs, f"ck-commit-{topic}")
    p.init_transactions(30)
    delivered, failed = 0, []
    for k in range(3):
        dr = txn_run(p, topic, [f"t{k}-{i}" for i in range(30)], 3)
        delivered += dr.ok
        failed += dr.failed
    return {"delivered": delivered, "failed": failed,
            "committed": read(bs, topic, 3, "read_committed"),
            "uncommitted": read(bs, topic, 3, "read_uncommitted")}


def scenario_abort(bs, topic):
    create_topic(bs, topic, 2)
    p = txn_producer(bs, f"ck-abort-{topic}")
    p.init_transactions(30)
    dr0 = txn_run(p, topic, [f"c0-{i}" for i in range(10)], 2)
    dr1 = txn_run(p, topic, [f"a1-{i}" for i in range(10)], 2, commit=False)
    dr2 = txn_run(p, topic, [f"c2-{i}" for i in range(10)], 2)
    return {"delivered": [dr0.ok, dr1.ok, dr2.ok], "failed": dr0.failed + dr1.failed + dr2.failed,
            "committed": read(bs, topic, 2, "read_committed"),
            "uncommitted": read(bs, topic, 2, "read_uncommitted")}


def scenario_send_offsets(bs, tin, tout, group):
    """60 input records, processed 20 at a time: batch 1 committed, batch 2 aborted (the consumer rewinds to the
    committed offset), batch 2 again and batch 3 committed. The group's committed offset is read by a separate
    consumer of the same group (read_uncommitted: it does not ask for stable offsets) after every step."""
    create_topic(bs, tin, 1)
    create_topic(bs, tout, 1)
    plain = plain_producer(bs)
    for i in range(60):
        plain.produce(tin, value=f"in-{i}".encode(), partition=0)
    plain.flush(30)
    c = Consumer({
        "bootstrap.servers": bs,
        "group.id": group,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "error_cb": on_error,
    })
    c.subscribe([tin])
    watcher = Consumer({"bootstrap.servers": bs, "group.id": group, "enable.auto.commit": False,
                        "isolation.level": "read_uncommitted", "error_cb": on_error})
    # a member of the group asking for stable offsets (librdkafka does when isolation.level=read_committed)
    stable_watcher = Consumer({"bootstrap.servers": bs, "group.id": group, "enable.auto.commit": False,
                               "isolation.level": "read_committed", "error_cb": on_error})
    tp = TopicPartition(tin, 0)

    def committed():
        return watcher.committed([tp], timeout=15)[0].offset

    def stable(timeout):
        try:
            return stable_watcher.committed([tp], timeout=timeout)[0].offset
        except KafkaException as e:
            return exc_info(e)["name"]

    p = txn_producer(bs, f"ck-eos-{group}")
    p.init_transactions(30)
    steps = []

    def batch(commit):
        got = []
        deadline = time.time() + 30
        while len(got) < 20 and time.time() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            got.append(m.value().decode())
        p.begin_transaction()
        for v in got:
            p.produce(tout, value=f"out-{v}".encode(), partition=0)
        positions = c.position(c.assignment())
        p.send_offsets_to_transaction(positions, c.consumer_group_metadata(), 30)
        p.flush(30)
        pending = committed()
        # While offsets are pending, a stable read waits (UNSTABLE_OFFSET_COMMIT, retried by the client): checked
        # once, with a short timeout
        stable_open = stable(3) if not steps else None
        if commit:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
        after = committed()
        steps.append({"commit": commit, "consumed": got, "position": [x.offset for x in positions],
                      "committed_while_open": pending, "committed_after": after,
                      "stable_while_open": stable_open, "stable_after": stable(15)})
        if not commit:
            # an aborted batch is processed again: back to the group's committed offset
            c.seek(TopicPartition(tin, 0, after))

    batch(True)
    batch(False)
    batch(True)
    batch(True)
    c.close()
    watcher.close()
    stable_watcher.close()
    return {"steps": steps, "committed": read(bs, tout, 1, "read_committed"),
            "uncommitted": read(bs, tout, 1, "read_uncommitted")}


def scenario_fencing(bs, topic, mode):
    """A's open transaction holds records in partition 0 when B (same transactional.id) initialises. The zombie
    A then carries on, mode "add-partition": a record to partition 1 (AddPartitionsToTxn with its old epoch);
    mode "produce-same": records to partition 0, already in its transaction, so they go straight to the
    partition leader (Produce with the old epoch). Either way A's next step fails with a fatal (fenced) error,
    and its commit too."""
    create_topic(bs, topic, 2)
    txid = f"ck-fence-{topic}"
    a = txn_producer(bs, txid)
    a.init_transactions(30)
    a.begin_transaction()
    dra = Deliveries()
    produce_all(a, topic, [f"a0-{i}" for i in range(10)], 1, dra)
    a.flush(30)
    b = txn_producer(bs, txid)
    t = time.time()
    b.init_transactions(60)
    b_init_s = time.time() - t
    dra2 = Deliveries()
    partition = 1 if mode == "add-partition" else 0
    flush_error = None
    try:
        for i in range(5):
            a.produce(topic, value=f"a1-{i}".encode(), partition=partition, on_delivery=dra2)
        a.flush(10)
    except Exception as e:  # the fatal error surfaces from produce() or flush() (raised through a callback)
        flush_error = repr(e)
    # the error librdkafka raised for the late records (before the commit call)
    fatal_before_commit = [e for e in client_errors if e["fatal"]]
    a_error = None
    try:
        a.commit_transaction(30)
    except KafkaException as e:
        a_error = exc_info(e)
    b_error = None
    try:
        txn_run(b, topic, [f"b-{i}" for i in range(10)], 2)
    except KafkaException as e:
        b_error = exc_info(e)
    return {"a_error": a_error, "fatal_before_commit": fatal_before_commit, "flush_error": flush_error, "a_delivered_before": dra.ok,
            "a_late_delivered": dra2.ok, "a_late_failed": dra2.failed, "b_init_s": b_init_s, "b_error": b_error,
            "committed": read(bs, topic, 2, "read_committed"),
            "uncommitted": read(bs, topic, 2, "read_uncommitted")}


def scenario_lso(bs, topic):
    create_topic(bs, topic, 1)
    plain = plain_producer(bs)
    for i in range(5):
        plain.produce(topic, value=f"before-{i}".encode(), partition=0)
    plain.flush(30)
    p = txn_producer(bs, f"ck-lso-{topic}")
    p.init_transactions(30)
    p.begin_transaction()
    dr = Deliveries()
    produce_all(p, topic, [f"txn-{i}" for i in range(5)], 1, dr)
    p.flush(30)
    for i in range(5):
        plain.produce(topic, value=f"after-{i}".encode(), partition=0)
    plain.flush(30)
    open_rc = read(bs, topic, 1, "read_committed", timeout=15)
    open_ru = read(bs, topic, 1, "read_uncommitted", timeout=15)
    p.commit_transaction(30)
    want = [f"after-{i}" for i in range(5)]
    return {"delivered": dr.ok, "open_committed": open_rc, "open_uncommitted": open_ru,
            "committed": read(bs, topic, 1, "read_committed", want=want)}


def step_open(bs, topic, txid, partitions, n, timeout_ms):
    create_topic(bs, topic, partitions)
    p = txn_producer(bs, txid, timeout_ms)
    p.init_transactions(30)
    p.begin_transaction()
    dr = Deliveries()
    produce_all(p, topic, [f"open-{i}" for i in range(n)], partitions, dr)
    p.flush(30)
    emit({"event": "open", "delivered": dr.ok, "failed": dr.failed})
    # the test kills the gateway (and usually this process); a "commit" line commits the transaction
    if sys.stdin.readline().strip() != "commit":
        return {"event": "stdin closed"}
    t = time.time()
    try:
        p.commit_transaction(90)
        return {"event": "commit-result", "error": None, "seconds": time.time() - t}
    except KafkaException as e:
        return {"event": "commit-result", "error": exc_info(e), "seconds": time.time() - t}


def step_commit_wait(bs, topic, txid, partitions, n):
    create_topic(bs, topic, partitions)
    p = txn_producer(bs, txid)
    p.init_transactions(30)
    dr = txn_run(p, topic, [f"done-{i}" for i in range(n)], partitions)
    emit({"event": "committed", "delivered": dr.ok, "failed": dr.failed})
    sys.stdin.readline()
    return {"event": "stdin closed"}


def step_reinit(bs, txid):
    p = txn_producer(bs, txid)
    t = time.time()
    p.init_transactions(60)
    return {"event": "reinit", "seconds": time.time() - t}


def step_plain(bs, topic, partitions, prefix):
    plain = plain_producer(bs)
    dr = Deliveries()
    for q in range(partitions):
        plain.produce(topic, value=f"{prefix}-{q}".encode(), partition=q, on_delivery=dr)
    plain.flush(30)
    return {"delivered": dr.ok, "failed": dr.failed}


def main():
    cmd, bs, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if cmd == "commit":
            out = scenario_commit(bs, rest[0])
        elif cmd == "abort":
            out = scenario_abort(bs, rest[0])
        elif cmd == "send-offsets":
            out = scenario_send_offsets(bs, rest[0], rest[1], rest[2])
        elif cmd == "fencing":
            out = scenario_fencing(bs, rest[0], rest[1])
        elif cmd == "lso":
            out = scenario_lso(bs, rest[0])
        elif cmd == "open":
            out = step_open(bs, rest[0], rest[1], int(rest[2]), int(rest[3]), int(rest[4]))
        elif cmd == "commit-wait":
            out = step_commit_wait(bs, rest[0], rest[1], int(rest[2]), int(rest[3]))
        elif cmd == "reinit":
            out = step_reinit(bs, rest[0])
        elif cmd == "plain":
            out = step_plain(bs, rest[0], int(rest[1]), rest[2])
        elif cmd == "read":
            out = read(bs, rest[0], int(rest[1]), rest[2], float(rest[3]), rest[4:])
        else:
            raise SystemExit(f"unknown subcommand {cmd}")
    except KafkaException as e:
        out = {"exception": exc_info(e)}
    out["client_errors"] = client_errors
    emit(out)


main()
