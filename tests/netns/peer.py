#!/usr/bin/python3
"""Peers for the netns tests, standard library only.

  peer.py listen [--record FILE] [--http] PORT...
        TCP listeners (the scanner's IIS on 80/443, the HP agent on 3465):
        every byte received is appended to FILE; --http answers a request
        with a 200, so a pass would be visible to curl.
  peer.py acceptor [--record FILE] PORT
        A minimal DICOM acceptor that records every byte it receives,
        answers an A-ASSOCIATE-RQ with an AC accepting every context, and
        a release with a release reply.
  peer.py split HOST PORT --calling AE --called AE [--pieces N] [--delay S]
                [--record FILE]
        Sends a valid A-ASSOCIATE-RQ in N segments (TCP_NODELAY), sleeping
        between them; FILE (the acceptor's record) must stay empty until
        the last piece. Exit 0 when the association is accepted and
        released, 3 when bytes leaked early, 4 on A-ASSOCIATE-RJ/abort/reset.
  peer.py malformed HOST PORT VARIANT
        Sends one malformed A-ASSOCIATE-RQ and prints what came back.
  peer.py connect HOST PORT [--timeout S]
        Exit 0 when a TCP connection opens and stays open for a payload,
        1 refused or reset, 2 timed out.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
VERIFICATION = b"1.2.840.10008.1.1"
IMPLICIT_LE = b"1.2.840.10008.1.2"
IMPL_UID = b"1.2.826.0.1.3680043.9.7777.1"


def item(kind, value):
    return struct.pack(">BBH", kind, 0, len(value)) + value


def pdu(kind, body):
    return struct.pack(">BBI", kind, 0, len(body)) + body


def ae(title):
    return title.encode().ljust(16)


def user_info(max_len=16384):
    return item(0x50, item(0x51, struct.pack(">I", max_len)) + item(0x52, IMPL_UID)
                + item(0x55, b"SWTEST"))


def assoc_rq(calling, called, contexts=((1, VERIFICATION, (IMPLICIT_LE,)),),
             version=1, ui=None):
    items = item(0x10, APP_CONTEXT)
    for cid, abstract, tss in contexts:
        pc = bytes([cid, 0, 0, 0]) + item(0x30, abstract)
        for ts in tss:
            pc += item(0x40, ts)
        items += item(0x20, pc)
    items += user_info() if ui is None else ui
    body = struct.pack(">HH", version, 0) + ae(called) + ae(calling) + bytes(32) + items
    return pdu(0x01, body)


def malformed(variant):
    """Each is an RQ a careful acceptor must refuse."""
    good = assoc_rq("LAN_SCU", "SYMBIA")
    if variant == "pdu-type":
        return b"\x09" + good[1:]
    if variant == "short-length":
        # The PDU claims less than the fixed part of an RQ.
        return pdu(0x01, good[6:40])
    if variant == "item-overflow":
        # A transfer syntax sub-item longer than its presentation context
        # (the shape of DCMTK's CVE-2015-8979).
        pc = bytes([1, 0, 0, 0]) + item(0x30, VERIFICATION) + \
            struct.pack(">BBH", 0x40, 0, 200) + IMPLICIT_LE
        body = struct.pack(">HH", 1, 0) + ae("SYMBIA") + ae("LAN_SCU") + bytes(32) + \
            item(0x10, APP_CONTEXT) + item(0x20, pc) + user_info()
        return pdu(0x01, body)
    if variant == "ae-spaces":
        return assoc_rq("LAN_SCU", "                ")
    if variant == "bad-uid":
        return assoc_rq("LAN_SCU", "SYMBIA", ((1, b"1.2.840.10008..1", (IMPLICIT_LE,)),))
    if variant == "even-context":
        return assoc_rq("LAN_SCU", "SYMBIA", ((2, VERIFICATION, (IMPLICIT_LE,)),))
    if variant == "zero-item":
        # An item of length 0 where a UID must be: a parser that does not
        # advance would loop here forever.
        return assoc_rq("LAN_SCU", "SYMBIA", ((1, b"", (IMPLICIT_LE,)),))
    raise SystemExit("unknown variant " + variant)


VARIANTS = ["pdu-type", "short-length", "item-overflow", "ae-spaces", "bad-uid",
            "even-context", "zero-item"]


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def read_pdu(sock):
    head = recv_exact(sock, 6)
    kind, _, length = struct.unpack(">BBI", head)
    return kind, recv_exact(sock, length)


class Recorder:
    """Appends every byte received to a file, flushed at once, so a test
    can watch the file while the connection is still open."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        if path:
            open(path, "ab").close()

    def write(self, data):
        if not self.path:
            return
        with self.lock, open(self.path, "ab") as f:
            f.write(data)


def serve(port, handler):
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", port))
    srv.listen(16)

    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=handler, args=(conn,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def cmd_listen(args):
    rec = Recorder(args.record)

    def handler(conn):
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                rec.write(data)
                if args.http:
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
                    return
    for p in args.ports:
        serve(p, handler)
    while True:
        time.sleep(3600)


def assoc_ac(rq_body):
    """An AC that accepts every proposed context with its first transfer
    syntax; AE fields are echoed as PS3.8 asks."""
    called, calling = rq_body[4:20], rq_body[20:36]
    off, items = 68, item(0x10, APP_CONTEXT)
    while off + 4 <= len(rq_body):
        kind, _, length = struct.unpack(">BBH", rq_body[off:off + 4])
        value = rq_body[off + 4:off + 4 + length]
        off += 4 + length
        if kind != 0x20:
            continue
        cid, sub, first_ts = value[0], 4, None
        while sub + 4 <= len(value):
            skind, _, slen = struct.unpack(">BBH", value[sub:sub + 4])
            if skind == 0x40 and first_ts is None:
                first_ts = value[sub + 4:sub + 4 + slen]
            sub += 4 + slen
        items += item(0x21, bytes([cid, 0, 0, 0]) + item(0x40, first_ts or IMPLICIT_LE))
    items += item(0x50, item(0x51, struct.pack(">I", 16384)) + item(0x52, IMPL_UID))
    return pdu(0x02, struct.pack(">HH", 1, 0) + called + calling + bytes(32) + items)


def cmd_acceptor(args):
    rec = Recorder(args.record)

    def answer(conn, kind, body):
        """Returns whether the association goes on."""
        if kind == 0x01:
            conn.sendall(assoc_ac(body))
        elif kind == 0x04:
            # P-DATA: answer a C-ECHO-RQ would need DIMSE; echoscu is
            # pointed at storescp instead, this peer only negotiates.
            pass
        elif kind == 0x05:
            conn.sendall(pdu(0x06, bytes(4)))
            return False
        return kind in (0x01, 0x04)

    def handler(conn):
        # Bytes are recorded the moment they arrive, before any framing:
        # the test is whether they reached the device at all.
        buf = b""
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                rec.write(data)
                buf += data
                while len(buf) >= 6:
                    kind, _, length = struct.unpack(">BBI", buf[:6])
                    if len(buf) < 6 + length:
                        break
                    body, buf = buf[6:6 + length], buf[6 + length:]
                    if not answer(conn, kind, body):
                        return
    serve(args.port, handler)
    while True:
        time.sleep(3600)


def connect(host, port, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def cmd_split(args):
    rq = assoc_rq(args.calling, args.called)
    cuts = [len(rq) * i // args.pieces for i in range(args.pieces + 1)]
    try:
        s = connect(args.host, args.port, 10)
        for i in range(args.pieces):
            s.sendall(rq[cuts[i]:cuts[i + 1]])
            if i + 1 < args.pieces:
                time.sleep(args.delay)
                if args.record and file_size(args.record) != 0:
                    print("split: %d bytes reached the device after piece %d of %d"
                          % (file_size(args.record), i + 1, args.pieces))
                    return 3
        kind, _ = read_pdu(s)
        if kind != 0x02:
            print("split: answer PDU type 0x%02x, not A-ASSOCIATE-AC" % kind)
            return 4
        s.sendall(pdu(0x05, bytes(4)))
        kind, _ = read_pdu(s)
        print("split: accepted, release answered with 0x%02x" % kind)
        return 0 if kind == 0x06 else 4
    except (ConnectionError, OSError) as e:
        print("split: %s" % e)
        return 4


def cmd_malformed(args):
    try:
        s = connect(args.host, args.port, 5)
        s.sendall(malformed(args.variant))
        s.settimeout(3)
        data = s.recv(64)
        print("malformed %s: answer %s" % (args.variant, data[:1].hex() or "close"))
    except (ConnectionError, OSError) as e:
        print("malformed %s: %s" % (args.variant, e))
    return 0


def cmd_connect(args):
    try:
        s = connect(args.host, args.port, args.timeout)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.settimeout(args.timeout)
        data = s.recv(64)
        print("connect: open, %d bytes back" % len(data))
        return 0 if data else 1
    except socket.timeout:
        print("connect: timed out")
        return 2
    except (ConnectionError, OSError) as e:
        print("connect: %s" % e)
        return 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("listen")
    p.add_argument("--record")
    p.add_argument("--http", action="store_true")
    p.add_argument("ports", type=int, nargs="+")
    p = sub.add_parser("acceptor")
    p.add_argument("--record")
    p.add_argument("port", type=int)
    p = sub.add_parser("split")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--calling", required=True)
    p.add_argument("--called", required=True)
    p.add_argument("--pieces", type=int, default=4)
    p.add_argument("--delay", type=float, default=0.7)
    p.add_argument("--record")
    p = sub.add_parser("malformed")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("variant", choices=VARIANTS + ["list"])
    p = sub.add_parser("connect")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=float, default=3)
    args = ap.parse_args()
    if getattr(args, "variant", None) == "list":
        print(" ".join(VARIANTS))
        return 0
    return {"listen": cmd_listen, "acceptor": cmd_acceptor, "split": cmd_split,
            "malformed": cmd_malformed, "connect": cmd_connect}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
