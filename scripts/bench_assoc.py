#!/usr/bin/python3
"""Association benchmark client (scripts/bench.sh), standard library only.

  bench_assoc.py latency HOST PORT N      N associations one after another:
        prints the A-ASSOCIATE-RQ -> AC time of each, in microseconds
  bench_assoc.py rate HOST PORT SECONDS CLIENTS [--echo 0]
        CLIENTS threads open, verify, release and close associations for
        SECONDS: prints the number completed and the number that failed;
        --echo 0 leaves the C-ECHO out (the workload of runs 1 to 12 in
        docs/performance.md)

Each association is a real one (RQ, AC, C-ECHO-RQ, -RSP with status
Success, A-RELEASE-RQ, -RP) against a real acceptor (dcmtk storescp), as
echoscu makes it: what is measured is what a modality pays.
"""
import os
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests", "netns"), os.path.join(HERE, "..", "tests", "pcap")]
import craft  # noqa: E402  (the crafted captures' PDUs: the C-ECHO-RQ)
import peer  # noqa: E402  (the test peers' PDU builders)

RQ = peer.assoc_rq("LAN_SCU", "SYMBIA")


def dimse_status(body):
    """The Status (0000,0900) of the command in a P-DATA-TF body whose
    first PDV is a whole command (command and last bits set), or None."""
    if len(body) < 6 or body[5] & 0x03 != 0x03:
        return None
    cmd, off = body[6:4 + struct.unpack(">I", body[:4])[0]], 0
    while off + 8 <= len(cmd):
        group, e, n = struct.unpack("<HHI", cmd[off:off + 8])
        if (group, e) == (0, 0x0900) and n == 2 and off + 10 <= len(cmd):
            return struct.unpack("<H", cmd[off + 8:off + 10])[0]
        off += 8 + n
    return None


def one(host, port, echo=False):
    """Returns the RQ -> AC time in microseconds, or None on failure."""
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.perf_counter_ns()
        s.sendall(RQ)
        kind, _ = peer.read_pdu(s)
        t1 = time.perf_counter_ns()
        if kind != 0x02:
            return None
        if echo:
            s.sendall(craft.ECHO_RQ_PDU)
            kind, body = peer.read_pdu(s)
            if kind != 0x04 or dimse_status(body) != 0:
                return None
        s.sendall(peer.pdu(0x05, bytes(4)))
        peer.read_pdu(s)
        return (t1 - t0) // 1000
    finally:
        s.close()


def latency(host, port, n):
    for _ in range(n):
        us = one(host, port)
        print(us if us is not None else "fail")


def rate(host, port, secs, clients, echo):
    done, failed = [0], [0]
    lock = threading.Lock()
    end = time.monotonic() + secs

    def loop():
        while time.monotonic() < end:
            try:
                ok = one(host, port, echo) is not None
            except OSError:
                ok = False
            with lock:
                if ok:
                    done[0] += 1
                else:
                    failed[0] += 1

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(done[0], failed[0])


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "latency":
        latency(host, port, int(sys.argv[4]))
    else:
        echo = sys.argv[6:8] != ["--echo", "0"]
        rate(host, port, float(sys.argv[4]), int(sys.argv[5]), echo)


if __name__ == "__main__":
    main()
