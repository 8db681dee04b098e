"""An independent reader of `__transaction_state` for the issue-17 tests
(tests/integration/transaction_state_topic_clients_test.ts): Kafka's transaction log format decoded here from
transaction-coordinator's TransactionLogKey.json (v0) and TransactionLogValue.json (v0; v1 flexible) schemas,
sharing no code with the gateway. Also a confluent-kafka transactional producer that commits, then aborts.

Usage:
  transaction_state_topic.py txn BOOTSTRAP TOPIC TRANSACTIONAL_ID
      init_transactions; a transaction of one record to partitions 0 and 1 of TOPIC, committed; 2 s later (the
      gateway writes CompleteCommit up to 1 s after the commit), a transaction of one record to partition 0,
      aborted. Prints {"error": null} or {"error": NAME, "message": ...}
  transaction_state_topic.py decode-kcat < kcat output
      one JSON line per record of `kcat -C -e -f '%p %o %T %K %S\\n%k%s'`: {"p", "o", "ts", "txid", "value":
      {"version", "producer_id", "producer_epoch", "timeout_ms", "status", "state", "partitions": {topic: [ids]}|null,
      "last_update_ms", "start_ms"}|null (tombstone), "error": null|"what failed to decode"}
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from offsets_topic import Reader, Underflow, emit, kafka_error  # noqa: E402

# kafka.coordinator.transaction.TransactionState ids
STATES = {0: "Empty", 1: "Ongoing", 2: "PrepareCommit", 3: "PrepareAbort", 4: "CompleteCommit",
          5: "CompleteAbort", 6: "Dead", 7: "PrepareEpochFence"}


class FlexReader(Reader):
    def uvarint(self):
        shift = 0
        out = 0
        while True:
            b = self.take(1)[0]
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7

    def compact_string(self):
        n = self.uvarint() - 1
        if n < 0:
            raise ValueError("null compact string")
        return self.take(n).decode("utf-8")

    def compact_array(self, item):
        n = self.uvarint() - 1
        if n < 0:
            return None
        return [item() for _ in range(n)]

    def tags(self):
        out = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            out[tag] = self.take(self.uvarint())
        return out


def decode_key(raw):
    r = Reader(raw)
    v = r.int16()
    if v != 0:
        raise ValueError(f"TransactionLogKey version {v}")
    txid = r.string()
    r.end("key")
    return txid


def decode_value(raw):
    r = FlexReader(raw)
    v = r.int16()
    if v not in (0, 1):
        raise ValueError(f"TransactionLogValue version {v}")
    out = {"version": v, "producer_id": r.int64(), "producer_epoch": r.int16(), "timeout_ms": r.int32()}
    out["status"] = r.take(1)[0]
    out["state"] = STATES.get(out["status"], "?")
    if v == 0:
        parts = r.array(lambda: (r.string(), r.array(r.int32)))
    else:
        def part():
            topic = r.compact_string()
            ids = r.compact_array(r.int32)
            r.tags()
            return (topic, ids)
        parts = r.compact_array(part)
    out["partitions"] = None if parts is None else {t: ids for t, ids in parts}
    out["last_update_ms"] = r.int64()
    out["start_ms"] = r.int64()
    if v == 1:
        r.tags()
    r.end("value")
    return out


def decode_kcat():
    data = sys.stdin.buffer.read()
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        p, o, ts, klen, vlen = (int(x) for x in data[i:nl].split(b" "))
        i = nl + 1
        key = data[i:i + klen] if klen >= 0 else None
        i += max(klen, 0)
        value = data[i:i + vlen] if vlen >= 0 else None
        i += max(vlen, 0)
        out = {"p": p, "o": o, "ts": ts, "txid": None, "value": None, "error": None,
               "key_hex": key.hex() if key is not None else None,
               "value_hex": value.hex() if value is not None else None}
        try:
            if key is None:
                raise ValueError("null key")
            out["txid"] = decode_key(key)
            if value is not None:
                out["value"] = decode_value(value)
        except (Underflow, ValueError, UnicodeDecodeError) as e:
            out["error"] = str(e)
        emit(out)
    return 0


def txn(bootstrap, topic, txid):
    from confluent_kafka import KafkaException, Producer

    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txid, "transaction.timeout.ms": 45000})
    try:
        p.init_transactions(30)
        p.begin_transaction()
        p.produce(topic, b"committed-0", partition=0)
        p.produce(topic, b"committed-1", partition=1)
        p.commit_transaction(30)
        time.sleep(2)
        p.begin_transaction()
        p.produce(topic, b"aborted-0", partition=0)
        p.flush(30)
        p.abort_transaction(30)
    except KafkaException as e:
        emit(kafka_error(e))
        return 1
    emit({"error": None})
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "txn":
        return txn(argv[2], argv[3], argv[4])
    if cmd == "decode-kcat":
        return decode_kcat()
    raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
