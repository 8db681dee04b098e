"""aiokafka (PyPI) compatibility client. See ../README.md for the command line and the JSON result."""
import asyncio
import json
import sys
import time

import aiokafka
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

scenario, bootstrap, topic, group = sys.argv[1:5]
opt = dict(a.split("=", 1) for a in sys.argv[5:])
n = int(opt.get("n", 20))
start = int(opt.get("start", 0))
timeout = int(opt.get("timeout_ms", 30000)) / 1000.0
headers = opt.get("headers") == "1"
idle = int(opt.get("idle_ms", 0)) / 1000.0  # group: also stop once messages stopped arriving for idle_ms
got = []
CLIENT_ID = opt.get("client_id", "compat-aiokafka")
PAD = "x" * 200  # compressible values
info = {"version": aiokafka.__version__}


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


async def drain(c, deadline, use_idle=False):
    last = time.monotonic()
    while len(got) < n and time.monotonic() < deadline:
        batches = await c.getmany(timeout_ms=200)
        if not batches and use_idle and idle and got and time.monotonic() - last >= idle:
            return
        for _tp, records in batches.items():
            last = time.monotonic()
            for r in records:
                if len(got) < n:
                    record(r)


async def main():
    deadline = time.monotonic() + timeout
    if scenario == "produce":
        comp = opt.get("compression", "none")
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                             compression_type=None if comp == "none" else comp,
                             enable_idempotence=opt.get("idempotent") == "1", client_id=CLIENT_ID)
        await p.start()
        try:
            futs = []
            for i in range(start, start + n):
                kw = {"headers": [("h", str(i).encode())]} if headers else {}
                futs.append((i, await p.send(topic, key=f"k-{i}".encode(), value=f"v-{i}|{PAD}".encode(), **kw)))
            acks = []
            for i, f in futs:
                md = await asyncio.wait_for(f, max(1.0, deadline - time.monotonic()))
                acks.append([i, md.partition, md.offset])
        finally:
            await p.stop()
        return {"ok": True, "acks": acks}
    if scenario == "fetch":
        c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             fetch_max_wait_ms=500, client_id=CLIENT_ID,
                             isolation_level=opt.get("isolation", "read_uncommitted"))
        await c.start()
        try:
            parts = None
            while not parts and time.monotonic() < deadline:
                # partitions_for_topic only reads the metadata cache, which holds subscribed topics only.
                parts = (await c._client.fetch_all_metadata()).partitions_for_topic(topic)
                if not parts:
                    await asyncio.sleep(0.2)
            tps = [TopicPartition(topic, p) for p in sorted(parts or [])]
            c.assign(tps)
            await c.seek_to_beginning(*tps)
            await drain(c, deadline)
        finally:
            await c.stop()
        return {"ok": len(got) >= n, "error": None if len(got) >= n else "timeout", "msgs": got}
    if scenario == "group":
        c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=500,
                             fetch_max_wait_ms=500, client_id=CLIENT_ID)
        await c.start()
        try:
            await drain(c, deadline, use_idle=True)
            ok = len(got) >= n or bool(idle and got)
            if ok and opt.get("commit") != "0":  # commit=0: only report what was consumed (split scenario)
                await c.commit()
        finally:
            await c.stop()
        return {"ok": ok, "error": None if ok else "timeout", "msgs": got}
    if scenario == "txn":
        # Aborts messages start+n .. start+2n-1 (sent, so in the log), then commits start .. start+n-1; message i
        # to partition i % partitions. "acks" are the committed transaction's.
        parts = int(opt.get("partitions", 3))
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=opt["transactional_id"], linger_ms=5,
                             client_id=CLIENT_ID)
        await p.start()
        acks = []
        try:
            for first, commit in ((start + n, False), (start, True)):
                await p.begin_transaction()
                futs = []
                for i in range(first, first + n):
                    kw = {"headers": [("h", str(i).encode())]} if headers else {}
                    futs.append((i, await p.send(topic, key=f"k-{i}".encode(), value=f"v-{i}|{PAD}".encode(),
                                                 partition=i % parts, **kw)))
                for i, f in futs:
                    md = await f
                    if commit:
                        acks.append([i, md.partition, md.offset])
                if commit:
                    await p.commit_transaction()
                else:
                    await p.abort_transaction()
        finally:
            await p.stop()
        return {"ok": True, "acks": acks}
    if scenario == "eos":
        # Consume-transform-produce: n messages of `topic` (group `group`, read_committed) copied to `out` in one
        # transaction with the consumed offsets (send_offsets_to_transaction); committed, or aborted with abort=1.
        c = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=500,
                             fetch_max_wait_ms=500, client_id=CLIENT_ID, isolation_level="read_committed")
        p = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=opt["transactional_id"], linger_ms=5,
                             client_id=CLIENT_ID)
        await p.start()
        await c.start()
        try:
            records = []
            while len(records) < n and time.monotonic() < deadline:
                for _tp, rs in (await c.getmany(timeout_ms=200)).items():
                    for r in rs:
                        if len(records) < n:
                            record(r)
                            records.append(r)
            if len(records) < n:
                return {"ok": False, "error": f"consumed {len(records)} of {n}", "msgs": got}
            await p.begin_transaction()
            for r in records:
                await p.send(opt["out"], key=r.key, value=r.value, headers=list(r.headers),
                             partition=r.partition)
            offsets = {}
            for r in records:
                offsets[TopicPartition(r.topic, r.partition)] = r.offset + 1
            await p.send_offsets_to_transaction(offsets, group)
            if opt.get("abort") == "1":
                await p.abort_transaction()
            else:
                await p.commit_transaction()
        finally:
            await c.stop()
            await p.stop()
        return {"ok": True, "msgs": got}
    return {"ok": False, "error": f"unknown scenario {scenario}"}


try:
    done(asyncio.run(asyncio.wait_for(main(), timeout + 5)))
except SystemExit:
    raise
except BaseException as e:  # noqa: BLE001 - any client error is a failed cell
    done({"ok": False, "error": f"{type(e).__name__}: {e}", "msgs": got})
