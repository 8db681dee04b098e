"""SASL clients driven by tests/conformance/sasl_clients_test.ts: one operation per run, one JSON line out.

Usage: sasl_clients.py '{"client": ..., ...}'
  {"client": "ck", "bootstrap": B, "conf": {librdkafka SASL settings}, "topic": T, "duration_s": S}
      produce 3 records (then one every 0.5 s for S seconds on the same connection), read them back -> {"ok": true, "values": [...]} or {"ok": false, "errors": [...]}
  {"client": "ck_admin", "bootstrap": B, "conf": {...}, "op": "alter",
   "upsertions": [[user, "SCRAM-SHA-256"|"SCRAM-SHA-512", password, iterations]], "deletions": [[user, mechanism]]}
      -> {"results": {user: null | error name}}
  {"client": "ck_admin", "bootstrap": B, "conf": {...}, "op": "describe", "users": [...] | null}
      -> {"users": {user: [[mechanism, iterations]] | error name}}
  {"client": "kafka-python" | "aiokafka", "bootstrap": B, "mechanism": M, "user": U, "password": P, "topic": T}
      produce 3 records, read them back -> {"ok": true, "values": [...]} or {"ok": false, "errors": [...]}
"""
import asyncio
import json
import sys
import time
import uuid

op = json.loads(sys.argv[1])
TIMEOUT = 15


def out(obj):
    print(json.dumps(obj), flush=True)


def ck_roundtrip():
    from confluent_kafka import Consumer, KafkaException, Producer

    errors = []

    def on_error(err):
        errors.append(f"{err.name()}: {err.str()}")

    conf = {"bootstrap.servers": op["bootstrap"], "error_cb": on_error, **op["conf"]}
    topic = op["topic"]
    p = Producer({**conf, "message.timeout.ms": 8000})
    delivered = []
    for i in range(3):
        p.produce(topic, value=f"v{i}".encode(), on_delivery=lambda e, m: delivered.append(e))
    p.flush(10)
    # Keep one connection busy past the session lifetime (KIP-368: the client re-authenticates on it).
    deadline = time.time() + op.get("duration_s", 0)
    n = 3
    while time.time() < deadline:
        p.produce(topic, value=f"v{n}".encode(), on_delivery=lambda e, m: delivered.append(e))
        n += 1
        p.flush(10)
        time.sleep(0.5)
    if len(delivered) != n or any(e is not None for e in delivered):
        out({"ok": False, "errors": errors + [str(e) for e in delivered if e is not None], "delivered": len(delivered)})
        return
    c = Consumer({**conf, "group.id": f"g-{uuid.uuid4()}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    values = []
    try:
        for _ in range(60):
            m = c.poll(0.5)
            if m is None:
                if len(values) >= n:
                    break
                continue
            if m.error():
                errors.append(str(m.error()))
                continue
            values.append(m.value().decode())
            if len(values) >= n:
                break
    except KafkaException as e:
        errors.append(str(e))
    c.close()
    out({"ok": len(values) >= n, "values": values, "errors": errors})


def ck_admin():
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import (
        AdminClient,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialDeletion,
        UserScramCredentialUpsertion,
    )

    admin = AdminClient({"bootstrap.servers": op["bootstrap"], **op["conf"]})
    mech = {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}
    if op["op"] == "alter":
        alterations = [
            UserScramCredentialUpsertion(u, ScramCredentialInfo(mech[m], it), pw.encode())
            for u, m, pw, it in op.get("upsertions", [])
        ] + [UserScramCredentialDeletion(u, mech[m]) for u, m in op.get("deletions", [])]
        results = {}
        for user, f in admin.alter_user_scram_credentials(alterations, request_timeout=TIMEOUT).items():
            try:
                f.result()
                results[user] = None
            except KafkaException as e:
                results[user] = e.args[0].name()
        out({"results": results})
        return
    names = {v: k for k, v in mech.items()}

    def desc(d):
        return [[names[i.mechanism], i.iterations] for i in d.scram_credential_infos]

    users = {}
    if op.get("users") is None:
        try:
            for user, d in admin.describe_user_scram_credentials(request_timeout=TIMEOUT).result().items():
                users[user] = desc(d)
        except KafkaException as e:
            users = e.args[0].name()
    else:
        for user, f in admin.describe_user_scram_credentials(op["users"], request_timeout=TIMEOUT).items():
            try:
                users[user] = desc(f.result())
            except KafkaException as e:
                users[user] = e.args[0].name()
    out({"users": users})


def kafka_python_roundtrip():
    from kafka import KafkaConsumer, KafkaProducer

    auth = dict(
        bootstrap_servers=op["bootstrap"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=op["mechanism"],
        sasl_plain_username=op["user"],
        sasl_plain_password=op["password"],
    )
    try:
        p = KafkaProducer(**auth, request_timeout_ms=10000, max_block_ms=10000, bootstrap_timeout_ms=8000)
        for i in range(3):
            p.send(op["topic"], f"v{i}".encode()).get(timeout=10)
        p.close()
        c = KafkaConsumer(op["topic"], **auth, auto_offset_reset="earliest", consumer_timeout_ms=10000,
                          group_id=f"g-{uuid.uuid4()}")
        values = []
        for m in c:
            values.append(m.value.decode())
            if len(values) >= 3:
                break
        c.close()
        out({"ok": len(values) >= 3, "values": values, "errors": []})
    except Exception as e:  # noqa: BLE001 - the refusal tests expect the client's own error
        out({"ok": False, "errors": [f"{type(e).__name__}: {e}"]})


async def aiokafka_roundtrip():
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    auth = dict(
        bootstrap_servers=op["bootstrap"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=op["mechanism"],
        sasl_plain_username=op["user"],
        sasl_plain_password=op["password"],
    )
    try:
        p = AIOKafkaProducer(**auth, request_timeout_ms=10000)
        await p.start()
        try:
            for i in range(3):
                await p.send_and_wait(op["topic"], f"v{i}".encode())
        finally:
            await p.stop()
        c = AIOKafkaConsumer(op["topic"], **auth, auto_offset_reset="earliest", group_id=f"g-{uuid.uuid4()}")
        await c.start()
        values = []
        try:
            while len(values) < 3:
                batch = await asyncio.wait_for(c.getmany(timeout_ms=1000), 15)
                for msgs in batch.values():
                    values.extend(m.value.decode() for m in msgs)
        finally:
            await c.stop()
        out({"ok": True, "values": values, "errors": []})
    except Exception as e:  # noqa: BLE001
        out({"ok": False, "errors": [f"{type(e).__name__}: {e}"]})


client = op["client"]
if client == "ck":
    ck_roundtrip()
elif client == "ck_admin":
    ck_admin()
elif client == "kafka-python":
    kafka_python_roundtrip()
elif client == "aiokafka":
    asyncio.run(aiokafka_roundtrip())
else:
    raise SystemExit(f"unknown client {client}")
