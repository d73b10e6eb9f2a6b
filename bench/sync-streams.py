#!/usr/bin/env python3
"""bench/sync's streams: many idle server-sent-event streams, their memory,
then the delay from a write to its event under a write load.

usage: sync-streams.py PORT USERS_FILE STREAMS DELAY_STREAMS RATE SECONDS PID...

USERS_FILE: a line a user, "token transaction_id". STREAMS streams are
opened over the users in turn; the RSS of the worker PIDs is read before
and after. Then all but DELAY_STREAMS (one a user) are closed, and for
SECONDS a transaction of a random user whose last write has been answered
by an event is PATCHed, RATE a second in all, through 16 keep-alive
connections: the delay is from the PATCH's send to its user's event.
Prints one JSON object.
"""

import asyncio
import json
import random
import sys
import time


def rss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


class Stream:
    def __init__(self, user):
        self.user = user
        self.events = 0
        self.first = asyncio.get_event_loop().create_future()
        self.waiter = None
        self.task = None

    async def run(self, port, token):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer = writer
        writer.write(f"GET /v1/sync/stream HTTP/1.1\r\nHost: b\r\n"
                     f"Authorization: Bearer {token}\r\n\r\n".encode())
        buf = b""
        while True:
            data = await reader.read(4096)
            if not data:
                return
            buf += data
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                if b"event: changes" in block:
                    self.events += 1
                    if not self.first.done():
                        self.first.set_result(time.monotonic())
                    elif self.waiter and not self.waiter.done():
                        self.waiter.set_result(time.monotonic())

    def close(self):
        self.writer.close()
        self.task.cancel()


async def writer_conn(port, queue, tokens):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while True:
        user, tx, note = await queue.get()
        body = json.dumps({"notes": note}).encode()
        writer.write(f"PATCH /v1/transactions/{tx} HTTP/1.1\r\nHost: b\r\n"
                     f"Authorization: Bearer {tokens[user]}\r\n"
                     f"Content-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if length:
            await reader.readexactly(length)
        queue.task_done()


async def main():
    port, users_file, n, m, rate, seconds = sys.argv[1:7]
    port, n, m, rate, seconds = int(port), int(n), int(m), float(rate), float(seconds)
    pids = [int(p) for p in sys.argv[7:]]
    users = [line.split() for line in open(users_file) if line.strip()]
    tokens = [u[0] for u in users]

    before = rss_kb(pids)
    streams = []
    t0 = time.monotonic()
    for i in range(n):
        u = i % len(users)
        s = Stream(u)
        s.task = asyncio.ensure_future(s.run(port, tokens[u]))
        streams.append(s)
        if i % 500 == 499:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*[s.first for s in streams]), 120)
    opened = time.monotonic() - t0
    await asyncio.sleep(2)
    after = rss_kb(pids)

    # the delay: one stream a user, the others closed
    keep = {}
    for s in streams:
        if s.user not in keep and len(keep) < m:
            keep[s.user] = s
        else:
            s.close()
    await asyncio.sleep(1)

    queue = asyncio.Queue()
    writers = [asyncio.ensure_future(writer_conn(port, queue, tokens)) for _ in range(16)]
    delays, missed = [], 0
    pending = {}
    end = time.monotonic() + seconds
    idle = list(keep)
    random.shuffle(idle)
    sent = 0
    while time.monotonic() < end:
        step = time.monotonic()
        for u in [u for u, (t, f) in pending.items() if f.done()]:
            t, f = pending.pop(u)
            delays.append(f.result() - t)
            idle.append(u)
        if idle:
            u = idle.pop(random.randrange(len(idle)))
            s = keep[u]
            s.waiter = asyncio.get_event_loop().create_future()
            pending[u] = (time.monotonic(), s.waiter)
            queue.put_nowait((u, users[u][1], f"bench {sent}"))
            sent += 1
        await asyncio.sleep(max(0, 1 / rate - (time.monotonic() - step)))
    await asyncio.sleep(2)
    for u, (t, f) in pending.items():
        if f.done():
            delays.append(f.result() - t)
        else:
            missed += 1
    for w in writers:
        w.cancel()
    for s in keep.values():
        s.close()

    delays.sort()
    pct = lambda p: round(delays[min(len(delays) - 1, int(p * len(delays)))] * 1000, 1) if delays else None
    print(json.dumps({
        "streams": n, "users": len(users), "opened_s": round(opened, 1),
        "rss_before_kb": before, "rss_after_kb": after,
        "kb_per_stream": round((after - before) / n, 2),
        "delay_streams": len(keep), "writes": sent, "events": len(delays),
        "missed": missed, "writes_per_s": round(sent / seconds, 1),
        "delay_p50_ms": pct(0.50), "delay_p99_ms": pct(0.99),
        "delay_max_ms": round(delays[-1] * 1000, 1) if delays else None,
    }))


asyncio.run(main())
