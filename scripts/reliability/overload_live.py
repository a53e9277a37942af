#!/usr/bin/env python3
"""Overload the live endpoint and watch the rest of the API.

    python3 scripts/reliability/overload_live.py [URL] [--clients 32] [--seconds 20] [--tokens 128]

While --clients threads post 128-token texts to /api/activations as fast as they can (far more
than the server's --live-concurrent + --live-queue), another thread fetches /api/features/{id}
for random ids and pages of /api/features, in turn. Reports the live answers by status (200s, 503s and whether every 503 carried
Retry-After; anything else is an error), and the feature route's p50/p99 latency during the
storm against a quiet baseline measured first. Exits 1 on an unexpected status or a 503
without Retry-After. Standard library only.
"""
import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

TEXT = ("The committee met on Tuesday to review the budget, and after a long discussion about roads, schools "
        "and the new library, it voted to postpone the decision until the spring, when the auditors' report "
        "would be available. Several residents spoke in favour of the library; one read a letter from her "
        "grandmother, who had learned to read there in 1931. The mayor thanked everyone and promised that the "
        "council would publish the figures online before the next meeting, along with a plan for repairs.")


def connect(u):
    return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * (len(xs) - 1) + 0.5))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url", nargs="?", default="http://127.0.0.1:8080")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--baseline", type=float, default=5)
    args = ap.parse_args()
    u = urlparse(args.url)

    c = connect(u)
    c.request("GET", "/api/health")
    health = json.loads(c.getresponse().read())
    if not health.get("live"):
        sys.exit(f"{args.url} has no live activations (start serve with --model and --sae)")
    latents = health["latents"]

    def feature_latencies(seconds, out):
        conn = connect(u)
        end = time.time() + seconds
        while time.time() < end:
            begin = time.perf_counter()
            # A latent (answered on the I/O thread) and a page of the list (on a request thread).
            if len(out) % 2:
                conn.request("GET", f"/api/features/{random.randrange(latents)}")
            else:
                conn.request("GET", f"/api/features?sort=density&limit=20&offset={random.randrange(latents)}")
            r = conn.getresponse()
            r.read()
            out.append(time.perf_counter() - begin)
            if r.status != 200:
                out.append(float("inf"))

    quiet = []
    feature_latencies(args.baseline, quiet)

    statuses, missing_retry, lock = {}, [0], threading.Lock()
    stop = time.time() + args.seconds
    body = json.dumps({"text": TEXT})

    def live_client():
        conn = connect(u)
        while time.time() < stop:
            try:
                conn.request("POST", "/api/activations", body=body, headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
            except (ConnectionError, http.client.HTTPException):
                conn = connect(u)
                with lock:
                    statuses["connection error"] = statuses.get("connection error", 0) + 1
                continue
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status == 503 and not r.getheader("Retry-After"):
                    missing_retry[0] += 1
            if r.status == 503:
                time.sleep(0.05)  # a polite client would wait Retry-After; a hostile one barely waits

    threads = [threading.Thread(target=live_client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    busy = []
    feature_latencies(args.seconds, busy)
    for t in threads:
        t.join()

    ms = lambda x: f"{x * 1e3:.1f} ms"
    print(f"overload: {args.clients} live clients for {args.seconds:.0f} s; live answers: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))))
    print(f"overload: GET /api/features/{{id}} and ?offset= quiet p50 {ms(statistics.median(quiet))} p99 {ms(percentile(quiet, 0.99))} "
          f"({len(quiet)} requests); during the storm p50 {ms(statistics.median(busy))} p99 {ms(percentile(busy, 0.99))} ({len(busy)})")
    bad = {k: v for k, v in statuses.items() if k not in (200, 503)}
    ok = not bad and missing_retry[0] == 0 and float("inf") not in busy
    print(f"overload: {'ok' if ok else 'FAILED'}: {missing_retry[0]} 503s without Retry-After, unexpected: {bad or 'none'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
