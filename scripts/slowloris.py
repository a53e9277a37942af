#!/usr/bin/env python3
"""Open N connections to a local server and trickle one header byte per second on each,
never finishing the request, for a bounded time. Used by bench-serve.sh to show that slow
clients do not slow down others. Loopback only. The trickling itself is `Slowloris` in
reliability/hostile.py, which also runs it beside measured traffic.

usage: slowloris.py PORT [--connections 200] [--seconds 30] [--reconnect]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reliability"))
from hostile import Slowloris  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--connections", type=int, default=200)
parser.add_argument("--seconds", type=float, default=30)
parser.add_argument("--reconnect", action="store_true", help="open a new connection for each one the server ends")
args = parser.parse_args()

crowd = Slowloris(args.port, args.connections, reconnect=args.reconnect)
crowd.start()
time.sleep(args.seconds)
crowd.stop()
print(f"slowloris: {crowd.describe()}", file=sys.stderr)
