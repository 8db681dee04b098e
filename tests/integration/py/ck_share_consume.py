"""librdkafka's share consumer (KIP-932, confluent-kafka's ShareConsumer) for the share-group client tests, printing
what ShareConsume.java prints (tests/helpers/share_consumers.ts parses both the same way):
  SUBSCRIBED                       once subscribed
  REC <offset> <delivery count> <value>
  ACKED <records of the poll>      once the acknowledgements of a poll were answered (commit_sync)
  HOLDING                          (hold) it keeps what it got and never polls again
  ERR <text>                       a record or an acknowledgement with an error
  DONE                             closed after <idle ms> without a record (a minute before the first one)
Each record is acknowledged explicitly as the mode says: accept, release-first (releases a record's first delivery,
accepts the next), release (every delivery), reject-poison (rejects values starting with "poison"), hold (never acknowledges: the records go
back when their lock passes or the process is killed; SIGTERM ends it without closing the consumer, as a crash).

Usage: ck_share_consume.py <bootstrap> <group> <topic> <mode> <idle ms> [max.poll.records]
"""
import sys
import time

from confluent_kafka import AcknowledgeType, ShareConsumer


def out(line):
    print(line, flush=True)


def main():
    if len(sys.argv) < 6:
        sys.exit("usage: ck_share_consume.py <bootstrap> <group> <topic> <mode> <idle ms> [max.poll.records]")
    bootstrap, group, topic, mode, idle_ms = sys.argv[1:6]
    idle = int(idle_ms) / 1000
    consumer = ShareConsumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "share.acknowledgement.mode": "explicit",
        "max.poll.records": int(sys.argv[6]) if len(sys.argv) > 6 else 500,
        "error_cb": lambda err: out(f"ERR {err}"),
    })
    consumer.subscribe([topic])
    out("SUBSCRIBED")
    last = time.time()
    wait = max(idle, 60)
    while time.time() - last < wait:
        records = consumer.poll(0.2)
        got = 0
        for r in records:
            if r.error():
                out(f"ERR {r.error()}")
                continue
            got += 1
            last = time.time()
            wait = idle
            count = r.delivery_count()
            value = (r.value() or b"").decode()
            out(f"REC {r.offset()} {count} {value}")
            if mode == "hold":
                continue
            ack = AcknowledgeType.ACCEPT
            if mode == "release" or (mode == "release-first" and count == 1):
                ack = AcknowledgeType.RELEASE
            if mode == "reject-poison" and value.startswith("poison"):
                ack = AcknowledgeType.REJECT
            consumer.acknowledge(r, ack)
        if mode == "hold" and got > 0:
            out("HOLDING")
            while True:
                time.sleep(3600)
        if got > 0:
            failed = [f"{tp.topic}:{tp.partition} {e}" for tp, e in consumer.commit_sync().items() if e is not None]
            if failed:
                out("ERR acknowledgement " + "; ".join(failed))
            else:
                out(f"ACKED {got}")
    consumer.close()
    out("DONE")


if __name__ == "__main__":
    main()
