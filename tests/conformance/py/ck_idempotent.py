"""An idempotent confluent-kafka (librdkafka) producer driven by the Deno conformance tests.

Usage: ck_idempotent.py BOOTSTRAP TOPIC COUNT PHASES PARTITIONS [PACE_MS]
Produces COUNT messages per phase (values "p<phase>-<i>", partition i % PARTITIONS) with enable.idempotence=true,
flushes and prints {"event": "phase", "phase": N, "delivered": D, "failed": [...], "fatal": [...]}; before every
phase after the first it waits for a line on stdin (the test restarts the gateway in between). Transient client
errors (the broker going away during a restart) are reported in "transient". With PACE_MS, phases after the
first sleep that long every 100 messages, so a restart can hit them while requests are in flight.
"""
import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
count, phases, partitions = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
pace = int(sys.argv[6]) / 1000 if len(sys.argv) > 6 else 0
fatal, transient = [], []


def on_error(err):
    (fatal if err.fatal() else transient).append(str(err))


producer = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "message.timeout.ms": 60000,
    "retry.backoff.ms": 100,
    "reconnect.backoff.ms": 100,
    "reconnect.backoff.max.ms": 500,
    "error_cb": on_error,
})


def emit(obj):
    print(json.dumps(obj), flush=True)


for phase in range(phases):
    if phase > 0:
        sys.stdin.readline()
    delivered, failed = 0, []

    def on_delivery(err, msg):
        global delivered
        if err is not None:
            failed.append(str(err))
        else:
            delivered += 1

    for i in range(count):
        while True:
            try:
                producer.produce(topic, value=f"p{phase}-{i}".encode(), partition=i % partitions,
                                 on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        if pace and phase > 0 and i % 100 == 99:
            time.sleep(pace)
    left = producer.flush(60)
    emit({"event": "phase", "phase": phase, "delivered": delivered, "failed": failed, "left": left,
          "fatal": fatal, "transient": transient})
