#!/usr/bin/env python3
"""Open N connections to a local server and trickle one header byte per second on each,
never finishing the request, for a bounded time. Used by bench-serve.sh to show that slow
clients do not slow down others. Loopback only.

usage: slowloris.py PORT [--connections 200] [--seconds 30]
"""
import argparse, socket, sys, time

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--connections", type=int, default=200)
parser.add_argument("--seconds", type=float, default=30)
args = parser.parse_args()

request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10000
socks, sent = [], 0
for _ in range(args.connections):
    s = socket.create_connection(("127.0.0.1", args.port))
    socks.append(s)
deadline = time.time() + args.seconds
i, closed = 0, 0
while time.time() < deadline and socks:
    for s in list(socks):
        try:
            s.send(request[i:i + 1])
            sent += 1
        except OSError:
            socks.remove(s)
            closed += 1
    i = min(i + 1, len(request) - 1)
    time.sleep(1)
print(f"slowloris: {args.connections} connections, {sent} bytes trickled, {closed} closed by the server", file=sys.stderr)
