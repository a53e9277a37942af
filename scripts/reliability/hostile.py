#!/usr/bin/env python3
"""Slow and hostile clients against a running saescope, with well-behaved traffic measured at
the same time.

    python3 scripts/reliability/hostile.py --port 18300 [--pid PID] [--seconds 20] [--only NAME ...]

Starts no server: point it at one, e.g. `saescope serve --index I --port 18300 --max-connections 256`.
The server's limits (--max-connections, --header-timeout, --idle-timeout) are read from its
command line unless given here; the body timeout (30 s) has no serve flag.

Scenarios, one after another, each with the same good traffic beside it:
  baseline   no attack.
  slowloris  connections trickling one header byte a second, reconnecting when answered/closed.
  idle       more idle connections than --max-connections: half send one request and then sit
             idle (keep-alive), the rest send nothing; none reconnects.
  body       POSTs with Content-Length 1,000,000 whose body stalls after 512 KiB or trickles a
             byte a second.
  flood      connections that write 10,000 pipelined GETs at once and never read.
  flood-read connections that keep 500–1,000 pipelined GETs in flight and read the answers.

Good traffic: wrk -t1 -c8 (keep-alive, connected before the attack) on random /api/features/{id}
and a static file, and a prober opening a new connection for every request (20 a second), since
a connection cap only shows on new connections. Server memory: VmRSS from /proc/PID/status.

Prints one line per scenario and a summary; exits 1 if the server stopped answering, a
kept-alive client saw an error, good clients' p99 went over --max-p99 (1 s: starved, not just
slowed by a busy machine), new connections failed anywhere but at the connection cap, or the
attackers did not get the answers the limits promise.
Standard library only (plus wrk on PATH).
"""
import argparse
import collections
import fcntl
import os
import random
import re
import resource
import selectors
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
TCP_CLOSE, TCP_CLOSE_WAIT = 7, 8  # tcpi_state values


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * (len(xs) - 1) + 0.5))] if xs else float("nan")


def ms(seconds):
    return f"{seconds * 1e3:.1f} ms"


# MARK: - Hostile connections

class Conn:
    """One hostile connection and what the server did with it."""
    __slots__ = ("sock", "index", "opened", "tail", "statuses", "pending", "sent", "state")

    def __init__(self, sock, index):
        self.sock, self.index, self.opened = sock, index, time.monotonic()
        self.tail, self.statuses, self.pending, self.sent, self.state = b"", [], b"", 0, 0


class Crowd(threading.Thread):
    """Hostile connections driven from one thread through a selector. Subclasses say what each
    sends when opened (`opened`) and on every tick (`tick`, every `interval` seconds). Records the
    status lines the server sent on each, and when and how the server ended it."""
    interval = 1.0
    reads = True  # False: never read (a flood); closes are then seen from the TCP state
    reconnect = False

    def __init__(self, port, count):
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.selector = selectors.DefaultSelector()
        self.live = {}
        self.ended = []  # (how, statuses, lifetime, conn)
        self.connect_failures = 0
        self.opened_total = 0
        self.halt = threading.Event()
        self.lock = threading.Lock()

    # Called on the crowd's thread.
    def opened(self, conn): pass
    def tick(self, conn, now): pass

    def stop(self):
        self.halt.set()
        self.join(15)

    def run(self):
        try:
            for _ in range(self.count):
                if self.halt.is_set():
                    break
                self.open()
            next_tick = time.monotonic()
            while not self.halt.is_set():
                now = time.monotonic()
                if now >= next_tick:
                    for conn in list(self.live.values()):
                        if self.live.get(conn.sock.fileno()) is conn:
                            self.tick(conn, now)
                        if self.live.get(conn.sock.fileno()) is conn and not self.reads:
                            self.check_state(conn)
                    next_tick = now + self.interval
                if self.live and self.reads:
                    for key, _ in self.selector.select(timeout=min(0.1, max(0.0, next_tick - time.monotonic()))):
                        self.read(key.data)
                else:
                    time.sleep(min(0.1, max(0.0, next_tick - time.monotonic())))
        finally:
            for conn in list(self.live.values()):
                self.end(conn, "open at the end", reopen=False)
            self.selector.close()

    def open(self):
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=3)
        except OSError:
            self.connect_failures += 1
            return None
        sock.setblocking(False)
        conn = Conn(sock, self.opened_total)
        self.opened_total += 1
        self.live[sock.fileno()] = conn
        if self.reads:
            self.selector.register(sock, selectors.EVENT_READ, conn)
        self.opened(conn)
        return conn

    def send(self, conn, data):
        """Queues `data` and writes as much as the socket takes; False if the connection ended."""
        conn.pending += data
        while conn.pending:
            try:
                n = conn.sock.send(conn.pending[:1 << 20])
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                self.end(conn, "reset")
                return False
            conn.sent += n
            conn.pending = conn.pending[n:]
        return True

    def receive(self, conn, size=65536):
        """What the socket has now, or None (nothing yet, or it ended: then recorded)."""
        try:
            data = conn.sock.recv(size)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            self.end(conn, "reset")
            return None
        if not data:
            self.end(conn, "closed")
            return None
        return data

    def read(self, conn):
        data = self.receive(conn)
        if data is None:
            return
        text = conn.tail + data
        conn.statuses += [int(m.group(1)) for m in STATUS_LINE.finditer(text)]
        conn.tail = text[-16:] if not STATUS_LINE.search(text[-16:]) else b""

    def check_state(self, conn):
        state = tcp_state(conn.sock)
        if state == TCP_CLOSE:
            self.end(conn, "reset")
        elif state == TCP_CLOSE_WAIT:
            self.end(conn, "closed")

    def end(self, conn, how, reopen=True):
        if self.live.pop(conn.sock.fileno(), None) is None:
            return
        if self.reads:
            self.selector.unregister(conn.sock)
        self.finished(conn)
        with self.lock:
            self.ended.append((how, tuple(conn.statuses), time.monotonic() - conn.opened, conn))
        conn.sock.close()
        if reopen and self.reconnect and not self.halt.is_set():
            self.open()

    def finished(self, conn): pass

    def outcomes(self):
        """'408 then closed': 120, …, counted over every connection."""
        counts = collections.Counter()
        with self.lock:
            for how, statuses, _, _ in self.ended:
                answer = "+".join(map(str, statuses)) if statuses else "no answer"
                counts[f"{answer}, still open" if how == "open at the end" else f"{answer} then {how}"] += 1
        if self.connect_failures:
            counts["could not connect"] = self.connect_failures
        return counts

    def lifetimes(self, predicate):
        with self.lock:
            return [life for how, statuses, life, conn in self.ended if how != "open at the end" and predicate(statuses, conn)]


def tcp_state(sock):
    try:
        return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]
    except OSError:
        return TCP_CLOSE


class Slowloris(Crowd):
    """Connections that each send one byte of a never-ending request head per second."""
    HEAD = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10000

    def __init__(self, port, count, reconnect=True):
        super().__init__(port, count)
        self.reconnect = reconnect
        self.bytes_sent = 0

    def opened(self, conn):
        self.tick(conn, time.monotonic())

    def tick(self, conn, now):
        if self.send(conn, Slowloris.HEAD[conn.state:conn.state + 1]):
            self.bytes_sent += 1
            conn.state = min(conn.state + 1, len(Slowloris.HEAD) - 1)

    def describe(self):
        lives = self.lifetimes(lambda statuses, _: 408 in statuses)
        held = f"; a trickler held its slot {statistics.median(lives):.1f} s (median) before its 408" if lives else ""
        return f"{self.opened_total} connections, {self.bytes_sent} bytes trickled; {fmt(self.outcomes())}{held}"


class IdleCrowd(Crowd):
    """`count` connections held idle and never reopened: the first `keepalive` send one request
    and then sit on the kept-alive connection; the rest never send a byte."""
    interval = 0.5

    def __init__(self, port, count, keepalive):
        super().__init__(port, count)
        self.keepalive = keepalive

    def opened(self, conn):
        if conn.index < self.keepalive:
            self.send(conn, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")

    def describe(self):
        silent = lambda statuses, conn: not statuses and conn.index >= self.keepalive
        kept = self.lifetimes(lambda statuses, conn: statuses == (200,) and conn.index < self.keepalive)
        timed_out = [life for life in self.lifetimes(silent) if life >= 1]
        at_once = [life for life in self.lifetimes(silent) if life < 1]
        refused = sum(1 for _, statuses, _, _ in self.ended if 503 in statuses)
        open_at_end = sum(1 for how, _, _, _ in self.ended if how == "open at the end")
        parts = [f"{self.opened_total} opened ({self.keepalive} kept-alive after one request, {self.opened_total - self.keepalive} silent)",
                 f"{refused} over the cap got 503, {len(at_once)} were closed at once without an answer"]
        if timed_out:
            parts.append(f"{len(timed_out)} silent ones closed after {statistics.median(timed_out):.1f} s (median, max {max(timed_out):.1f})")
        if kept:
            parts.append(f"{len(kept)} kept-alive ones closed after {statistics.median(kept):.1f} s (median, max {max(kept):.1f})")
        parts.append(f"{open_at_end} still open at the end")
        return "; ".join(parts)


class StalledBodies(Crowd):
    """POSTs announcing a 1,000,000-byte body: even ones send 512 KiB of it and stop, odd ones
    trickle one byte a second."""
    interval = 0.25
    LENGTH, STALL_AT = 1_000_000, 512 * 1024

    def opened(self, conn):
        head = (b"POST /api/activations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % StalledBodies.LENGTH)
        self.send(conn, head + (b"{" + b" " * (StalledBodies.STALL_AT - 1) if conn.index % 2 == 0 else b"{"))
        conn.state = time.monotonic()

    def tick(self, conn, now):
        if conn.pending:
            self.send(conn, b"")
        elif conn.index % 2 == 1 and now - conn.state >= 1:
            self.send(conn, b" ")
            conn.state = now

    def describe(self):
        lives = self.lifetimes(lambda statuses, _: 408 in statuses)
        held = sum(c.sent for _, _, _, c in self.ended)
        after = f"; 408 after {statistics.median(lives):.1f} s (median, max {max(lives):.1f})" if lives else ""
        return f"{self.opened_total} POSTs, {held / 2**20:.0f} MiB of body sent; {fmt(self.outcomes())}{after}"


class PipelineFlood(Crowd):
    """Connections that write `requests` pipelined GETs of random latents at once and never read."""
    interval = 0.25
    reads = False

    def __init__(self, port, count, requests, latents):
        super().__init__(port, count)
        self.requests, self.latents = requests, latents
        self.unread = 0

    def opened(self, conn):
        body = b"".join(b"GET /api/features/%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % random.randrange(self.latents)
                        for _ in range(self.requests))
        self.send(conn, body)

    def tick(self, conn, now):
        if conn.pending:
            self.send(conn, b"")

    def finished(self, conn):
        # Responses the server produced that sit unread in our receive buffer.
        try:
            conn.state = struct.unpack("i", fcntl.ioctl(conn.sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
        except OSError:
            conn.state = 0
        self.unread += conn.state

    def describe(self):
        taken = sum(c.sent for _, _, _, c in self.ended)
        offered = len(self.ended) * self.requests
        lives = self.lifetimes(lambda statuses, _: True)
        closed = f", closed by the server after {statistics.median(lives):.1f} s (median)" if lives else ""
        return (f"{self.opened_total} connections × {self.requests} pipelined GETs ({offered} requests), "
                f"{taken / 2**20:.1f} MiB of requests taken, {self.unread / 2**20:.1f} MiB of responses waiting unread; "
                f"{fmt(self.outcomes())}{closed}")


class ReadingFlood(Crowd):
    """Connections that keep hundreds of pipelined GETs of random latents in flight and read the
    answers as fast as they come, so every turn of the server's loop finds many waiting."""
    interval = 0.02
    BATCH = 500

    def __init__(self, port, count, latents):
        super().__init__(port, count)
        self.batches = [b"".join(b"GET /api/features/%d HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % random.randrange(latents)
                                 for _ in range(ReadingFlood.BATCH)) for _ in range(16)]
        self.answers, self.other_answers, self.began = 0, 0, time.monotonic()

    def opened(self, conn):
        self.began = time.monotonic()
        self.tick(conn, self.began)

    def tick(self, conn, now):
        self.send(conn, self.batches[conn.state % len(self.batches)] if len(conn.pending) < 64 * 1024 else b"")
        conn.state += 1

    def read(self, conn):
        # Counted with bytes.count: a regex over ~100 MB/s would need more than this thread has.
        data = self.receive(conn, 1 << 20)
        if data is None:
            return
        ok = data.count(b"HTTP/1.1 200 ")
        self.answers += ok
        self.other_answers += data.count(b"HTTP/1.1 ") - ok

    def describe(self):
        seconds = max(1e-9, time.monotonic() - self.began)
        return (f"{self.opened_total} connections with 500–1,000 GETs in flight: {self.answers} answered 200 "
                f"({self.answers / seconds:.0f}/s), {self.other_answers} otherwise; {fmt(self.outcomes())}")


def fmt(counter):
    return ", ".join(f"{v} × {k}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1])) or "nothing"


# MARK: - Good clients

class Prober(threading.Thread):
    """A well-behaved client that opens a new connection for each request, `rate` a second."""

    def __init__(self, port, latents, rate=20):
        super().__init__(daemon=True)
        self.port, self.latents, self.period = port, latents, 1 / rate
        self.samples = []  # (time since start, outcome: int status or str, latency)
        self.halt = threading.Event()
        self.started_at = time.monotonic()

    def run(self):
        next_at = time.monotonic()
        while not self.halt.is_set():
            began = time.monotonic()
            outcome = self.one(f"/api/features/{random.randrange(self.latents)}")
            self.samples.append((began - self.started_at, outcome, time.monotonic() - began))
            next_at = max(next_at + self.period, time.monotonic())
            self.halt.wait(max(0.0, next_at - time.monotonic()))

    def one(self, path):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except socket.timeout:
            return "timeout"
        except ConnectionRefusedError:
            return "refused"
        except OSError:
            return "reset"
        match = STATUS_LINE.match(data)
        return int(match.group(1)) if match else "closed"

    def stop(self):
        self.halt.set()
        self.join(10)

    def summary(self, attack_began):
        ok = [latency for _, outcome, latency in self.samples if outcome == 200]
        bad = collections.Counter(outcome for _, outcome, _ in self.samples if outcome != 200)
        text = f"new connections {len(self.samples)}: p50 {ms(statistics.median(ok)) if ok else '-'}, p99 {ms(percentile(ok, 0.99)) if ok else '-'}"
        if bad:
            failed = [t - attack_began for t, outcome, _ in self.samples if outcome != 200]
            later_ok = [t - attack_began for t, outcome, _ in self.samples if outcome == 200 and t - attack_began > max(failed)]
            again = f", served again from +{min(later_ok):.1f} s" if later_ok else ", not served again before the end"
            text += (f", failed {sum(bad.values())} ({fmt(bad)}) from +{min(failed):.1f} s to +{max(failed):.1f} s"
                     f" after the attack began{again}")
        else:
            text += ", failed 0"
        return text, bad, percentile(ok, 0.99) if ok else float("inf")


def run_wrk(port, seconds, script):
    """Starts wrk -t1 -c8 on the mix; returns the process."""
    return subprocess.Popen(["wrk", "-t1", "-c8", f"-d{seconds:.0f}s", "--timeout", "5s", "--latency", "-s", script,
                             f"http://127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def parse_wrk(text):
    def duration(value):
        number = float(re.match(r"[\d.]+", value).group())
        return number / 1e6 if value.endswith("us") else number / 1e3 if value.endswith("ms") else number * 60 if value.endswith("m") else number
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if not (rps and p50 and p99):
        return None
    errors = (sum(map(int, socket_errors.groups())) if socket_errors else 0) + (int(non2xx.group(1)) if non2xx else 0)
    return {"rps": float(rps.group(1)), "p50": duration(p50.group(1)), "p99": duration(p99.group(1)), "errors": errors,
            "detail": (socket_errors.group(0) if socket_errors else "") + (f" non-2xx {non2xx.group(1)}" if non2xx else "")}


# MARK: - The server

def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class RSSSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, 0.0, threading.Event()

    def run(self):
        while not self.halt.wait(0.25):
            self.peak = max(self.peak, rss_mb(self.pid))

    def stop(self):
        self.halt.set()
        self.join(5)
        return self.peak


def find_pid(port):
    try:
        out = subprocess.run(["pgrep", "-f", "saescope"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    for pid in out:
        args = server_args(int(pid))
        if "serve" in args and flag(args, "--port") == str(port):
            return int(pid)
    return None


def server_args(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode() for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def flag(args, name):
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def health(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    except OSError:
        return None
    if not data.startswith(b"HTTP/1.1 200"):
        return None
    body = data.split(b"\r\n\r\n", 1)[1]
    return int(re.search(rb'"latents":(\d+)', body).group(1))


# MARK: - Scenarios

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, help="the server's process id (default: found with pgrep)")
    ap.add_argument("--seconds", type=float, default=20, help="per scenario; those waiting for a timeout run until it passes")
    ap.add_argument("--only", nargs="*", choices=["baseline", "slowloris", "idle", "body", "flood", "flood-read"])
    ap.add_argument("--max-connections", type=int, help="the server's cap (default: from its command line, else 1024)")
    ap.add_argument("--header-timeout", type=float, help="default: from the server's command line, else 10")
    ap.add_argument("--idle-timeout", type=float, help="default: from the server's command line, else 30")
    ap.add_argument("--body-timeout", type=float, default=30)
    ap.add_argument("--max-p99", type=float, default=1.0, help="seconds; good clients waiting longer count as starved")
    ap.add_argument("--slowloris", type=int, help="trickling connections (default: 500, or fewer to stay under the cap)")
    ap.add_argument("--bodies", type=int, default=100, help="stalled POSTs")
    ap.add_argument("--floods", type=int, default=16, help="flooding connections")
    ap.add_argument("--pipelined", type=int, default=10_000, help="GETs each flooding connection writes at once")
    ap.add_argument("--reading-floods", type=int, default=2, help="pipelining connections that read their answers")
    args = ap.parse_args()

    if not shutil.which("wrk"):
        sys.exit("hostile: needs wrk on PATH (apt-get install wrk)")
    # Hundreds of sockets at once: lift the soft descriptor limit to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    latents = health(args.port)
    if latents is None:
        sys.exit(f"hostile: nothing answers GET /api/health on 127.0.0.1:{args.port}; start saescope serve first")
    pid = args.pid or find_pid(args.port)
    if pid is None:
        sys.exit(f"hostile: cannot find the server's process for port {args.port}; pass --pid")
    sargs = server_args(pid)
    cap = args.max_connections or int(flag(sargs, "--max-connections") or 1024)
    header_timeout = args.header_timeout or float(flag(sargs, "--header-timeout") or 10)
    idle_timeout = args.idle_timeout or float(flag(sargs, "--idle-timeout") or 30)
    good = 8 + 2  # wrk's connections and the prober's
    slow_count = args.slowloris or max(1, min(500, cap - good - 40))
    # Attackers beyond the free slots fill the cap: new connections are then refused by design,
    # which is not counted as a failure (the idle scenario does this on purpose).
    fills = {name: count > cap - good for name, count in (("slowloris", slow_count), ("body", args.bodies),
                                                         ("flood", args.floods), ("flood-read", args.reading_floods))}
    fills["idle"] = True
    for name, full in fills.items():
        if full and name != "idle":
            print(f"hostile: the {name} attackers fill the server's {cap} connections: new connections will be refused", flush=True)
    print(f"hostile: port {args.port}, pid {pid}, {latents} latents; limits: {cap} connections, header timeout {header_timeout:g} s, "
          f"idle timeout {idle_timeout:g} s, body timeout {args.body_timeout:g} s", flush=True)

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(f"""local n = 0
request = function()
  n = n + 1
  if n % 4 == 0 then return wrk.format("GET", "/assets/app.css") end
  return wrk.format("GET", "/api/features/" .. math.random(0, {latents - 1}))
end
""")
        lua = f.name

    def idle_crowd():
        # Enough to fill every free slot and 100 more; half of the slots held by kept-alive ones.
        total = cap - 8 + 100
        return IdleCrowd(args.port, total, keepalive=(cap - 8) // 2)

    scenarios = [
        ("baseline", args.seconds, lambda: None, None),
        ("slowloris", max(args.seconds, header_timeout + 5), lambda: Slowloris(args.port, slow_count), 408),
        ("idle", max(args.seconds, idle_timeout + 8), idle_crowd, 503),
        ("body", max(args.seconds, args.body_timeout + 8), lambda: StalledBodies(args.port, args.bodies), 408),
        ("flood", max(args.seconds, idle_timeout + 8), lambda: PipelineFlood(args.port, args.floods, args.pipelined, latents), None),
        ("flood-read", args.seconds, lambda: ReadingFlood(args.port, args.reading_floods, latents), None),
    ]
    rows, failures, answering = [], [], True
    try:
        for name, seconds, make, expected in scenarios:
            if args.only and name not in args.only:
                continue
            row, problems = run_scenario(name, seconds, make, expected, fills.get(name, False), args, pid, latents, lua)
            rows.append(row)
            failures += [f"{name}: {p}" for p in problems]
            if health(args.port) is None:
                failures.append(f"{name}: the server stopped answering")
                answering = False
                break
            time.sleep(2)
    finally:
        os.unlink(lua)

    peak = max(r["peak"] for r in rows)
    base = rows[0]["before"]
    verdict = "ok" if not failures else "FAILED: " + "; ".join(failures)
    print(f"hostile: {verdict}; {len(rows)} scenarios, server {'answering after each' if answering else 'down'}, kept-alive clients' errors "
          f"{sum(r['errors'] for r in rows)}, lowest req/s {min(r['rps'] for r in rows):.0f} (first scenario {rows[0]['rps']:.0f}), "
          f"worst p99 {ms(max(r['p99'] for r in rows))}, RSS {base:.0f} MB at start, peak {peak:.0f} MB", flush=True)
    sys.exit(0 if not failures else 1)


def run_scenario(name, seconds, make, expected, fills_cap, args, pid, latents, lua):
    port = args.port
    time.sleep(0.5)
    before = rss_mb(pid)
    sampler = RSSSampler(pid)
    sampler.start()
    wrk = run_wrk(port, seconds, lua)
    prober = Prober(port, latents)
    prober.start()
    time.sleep(0.5)  # wrk's connections are in before the attack
    crowd = make()
    attack_began = time.monotonic() - prober.started_at
    if crowd:
        crowd.start()
    try:
        out, _ = wrk.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        wrk.kill()
        out, _ = wrk.communicate()
    prober.stop()
    if crowd:
        crowd.stop()
    peak = sampler.stop()
    time.sleep(2)  # let the server finish closing what the attackers left
    after = rss_mb(pid)

    measured = parse_wrk(out) or {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": -1, "detail": out.strip()[-200:]}
    probe_text, probe_bad, probe_p99 = prober.summary(attack_began)
    problems = []
    if measured["errors"] != 0:
        problems.append(f"kept-alive clients saw errors ({measured['detail']})")
    if expected and crowd and not any(expected in s for _, s, _, _ in crowd.ended):
        problems.append(f"no attacker got the expected {expected}")
    if not fills_cap and probe_bad:
        problems.append("new connections failed")
    if measured["p99"] > args.max_p99:
        problems.append(f"kept-alive clients' p99 {ms(measured['p99'])} is over {ms(args.max_p99)}")
    if probe_p99 > args.max_p99:
        problems.append(f"new connections' p99 {ms(probe_p99)} is over {ms(args.max_p99)}")
    attack = crowd.describe() if crowd else "no attack"
    print(f"{name:10s} {seconds:4.0f} s | kept-alive: {measured['rps']:7.0f} req/s, p50 {ms(measured['p50'])}, p99 {ms(measured['p99'])}, "
          f"errors {measured['errors']} | {probe_text} | RSS {before:.0f} MB before, peak {max(peak, before):.0f}, after {after:.0f} "
          f"| attackers: {attack}", flush=True)
    return {"rps": measured["rps"], "p99": measured["p99"], "errors": max(0, measured["errors"]), "before": before, "peak": max(peak, before),
            "after": after}, problems


if __name__ == "__main__":
    main()
