#!/usr/bin/env python3
"""Save GET /api/features/{id} for ids 0..N-1 of a local saescope server as files DIR/{id},
so nginx can serve the same bodies precomputed (bench-serve.sh). Keep-alive, 4 threads.

usage: fetch_features.py PORT N DIR
"""
import http.client, os, sys, threading

port, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)

def work(start):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(start, n, 4):
        conn.request("GET", f"/api/features/{i}")
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"fetch_features: /api/features/{i} answered {response.status}")
        with open(os.path.join(out, str(i)), "wb") as f:
            f.write(body)

threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(f"fetch_features: saved {n} bodies to {out}", file=sys.stderr)
