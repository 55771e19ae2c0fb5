#!/usr/bin/python3
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
"""
tcp_xfer: a bounded TCP transfer with a checksum, for scenario tests (standard library only).

  tcp_xfer.py serve --bind ADDR --port P [--send N] [--timeout S] [--rate B]
  tcp_xfer.py connect --to ADDR --port P [--send N] [--timeout S] [--rate B]

One connection. The side given --send N sends N bytes of a deterministic pseudo-random
stream (SHA-256 in counter mode over --seed) and then shuts its write side; each side reads
until EOF. Both print one JSON line: {"sent": n, "sent_sha256": h, "received": n,
"received_sha256": h, "seconds": t, "mbit_s": r}. Compare the sender's sent_sha256 with the
receiver's received_sha256. Every step is bounded by --timeout (default 60 s in all);
exit status 1 on a timeout or error. --rate B sends at most B bytes per second (a transfer
that must still run while something else happens).
"""
import argparse
import hashlib
import json
import select
import socket
import sys
import time


def stream(n, seed):
    i = 0
    while n > 0:
        block = hashlib.sha256(b"%s:%d" % (seed.encode(), i)).digest() * 128  # 4 KiB
        i += 1
        yield block[:n]
        n -= len(block[:n])


def exchange(sock, send_n, seed, deadline, rate=0):
    """Send send_n bytes (then SHUT_WR) while reading until EOF, both before deadline."""
    sent_h, recv_h = hashlib.sha256(), hashlib.sha256()
    sent = received = 0
    t0 = time.monotonic()
    gen = stream(send_n, seed)
    pending = b""
    rd_open = wr_open = True
    sock.setblocking(False)
    while rd_open or wr_open:
        if wr_open and not pending:
            pending = next(gen, b"")
            if not pending:
                sock.shutdown(socket.SHUT_WR)
                wr_open = False
                continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out after %d bytes sent, %d received" % (sent, received))
        paced = rate and sent >= rate * (time.monotonic() - t0)
        r, w, _ = select.select([sock] if rd_open else [], [sock] if pending and not paced
                                else [], [], min(left, 0.05 if paced else 1.0))
        if w:
            try:
                k = sock.send(pending)
            except BlockingIOError:
                k = 0
            sent_h.update(pending[:k])
            sent += k
            pending = pending[k:]
        if r:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                rd_open = False
            recv_h.update(data)
            received += len(data)
    dt = time.monotonic() - t0
    return {"sent": sent, "sent_sha256": sent_h.hexdigest(), "received": received,
            "received_sha256": recv_h.hexdigest(), "seconds": round(dt, 3),
            "mbit_s": round(8 * max(sent, received) / dt / 1e6, 2) if dt > 0 else 0}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("serve", "connect"):
        s = sub.add_parser(name)
        if name == "serve":
            s.add_argument("--bind", required=True)
        else:
            s.add_argument("--to", required=True)
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--send", type=int, default=0)
        s.add_argument("--seed", default="rampart")
        s.add_argument("--timeout", type=float, default=60)
        s.add_argument("--rate", type=int, default=0)
    a = p.parse_args()
    deadline = time.monotonic() + a.timeout
    try:
        if a.cmd == "serve":
            fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
            ls = socket.socket(fam, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((a.bind, a.port))
            ls.listen(1)
            ls.settimeout(a.timeout)
            sock, _ = ls.accept()
            ls.close()
        else:
            fam = socket.AF_INET6 if ":" in a.to else socket.AF_INET
            sock = None
            while sock is None:     # the server may not listen yet: retry until the deadline
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.settimeout(max(0.1, min(5, deadline - time.monotonic())))
                try:
                    s.connect((a.to, a.port))
                    sock = s
                except (ConnectionRefusedError, socket.timeout, OSError):
                    s.close()
                    if time.monotonic() > deadline:
                        raise TimeoutError("cannot connect to %s port %d" % (a.to, a.port))
                    time.sleep(0.2)
        res = exchange(sock, a.send, a.seed, deadline, a.rate)
        sock.close()
    except (OSError, TimeoutError) as e:
        print(json.dumps({"error": str(e)}))
        return 1
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
