#!/usr/bin/python3
"""Crafted TCP segments against a live association, standard library only
(raw sockets), for tests/attack/test_urg_rst.sh, test_refused_answers.sh,
test_blind_old.sh and test_blind_syn.sh.

  tcpcraft.py blind SNIFF_NS SEND_NS CLIENT SERVER PORT
        Watches a connection CLIENT -> SERVER:PORT in SNIFF_NS (the
        client's namespace, as an attacker on the LAN would see it) until
        both directions carried a segment; then, from SEND_NS with spoofed
        sources: an URG segment ahead of the client's stream, and resets
        outside and inside each receiver's window, five rounds. Prints what
        it sent; exit 0, 2 when no connection was seen.
  tcpcraft.py syn SNIFF_NS SEND_NS CLIENT SERVER PORT
        Watches as blind does; then, from SEND_NS with spoofed sources, on
        the connection's tuple: a SYN with another ISN in the client's name,
        one carrying data, and a SYN in the server's name on the reversed
        tuple (all outside the receiver's window); one inside each
        receiver's window, and a SYN+FIN, five rounds. Exit 0, 2 when no
        connection was seen.
  tcpcraft.py old SNIFF_NS SEND_NS CLIENT SERVER PORT
        Watches the client's data segments of a transfer CLIENT ->
        SERVER:PORT; once 20 MB passed its first large one, sends from
        SEND_NS 8 copies at that first one's sequence number, in the
        client's name: retransmissions older than the box keeps, which it
        cannot verify. Exit 0 when sent, 2 when no such transfer was seen.
  tcpcraft.py idle SNIFF_NS SEND_NS DEV_NS SERVER PORT CALLING CALLED
        Opens an association from SNIFF_NS and leaves it idle; sends a
        reset inside the acceptor's window, then one at exactly its next
        byte, each from SEND_NS with the client's address, and prints after
        each how many connections the acceptor (DEV_NS) holds established.
  tcpcraft.py synack SNIFF_NS SEND_NS DEV_NS SERVER PORT CALLING CALLED
        Opens a connection from SNIFF_NS and sends nothing; from SEND_NS
        (another bridge port) a SYN-ACK in SERVER's name that does not
        acknowledge the client's SYN; then a request CALLED refuses. Prints
        the PDU type that answered it, how many packets for SERVER reached
        SEND_NS, and how many connections DEV_NS then holds established.
  tcpcraft.py refused SNIFF_NS SEND_NS DEV_NS SERVER PORT CALLING CALLED
        From SNIFF_NS a request CALLED refuses; then from SEND_NS 50
        segments in the client's name on the refused connection. Prints the
        PDU type that answered the request and how many resets in the
        client's name came back to SEND_NS (the box answers out of the port
        a packet came in).
  tcpcraft.py restart SERVER PORT CALLING CALLED
        A client that restarts: opens an association, loses it without a
        word (its reset dropped by an nft rule of its own), and connects
        again from the same port with a new ISN: the server's challenge
        ACK draws the client's exact reset, and the SYN sent again gets
        through. Exit 0 when the new association is accepted.
  tcpcraft.py oob SERVER PORT CALLING CALLED
        Opens an association and sends one byte of urgent data (MSG_OOB),
        as the client itself would. Exit 0 when the connection is then
        reset or aborted, 1 when it stays usable.
"""
import ctypes
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "netns"), os.path.join(HERE, "..", "pcap")]
import craft  # noqa: E402  (csum, ipv4)
import peer  # noqa: E402  (assoc_rq, read_pdu, connect)

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
ETH_P_ALL = 0x0003	# outgoing frames reach only ETH_P_ALL taps
CLONE_NEWNET = 0x40000000


def enter(ns):
    """This thread's sockets from now on belong to namespace ns."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)


def sniffer():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(("eth0", ETH_P_ALL))
    return s


def parse(frame):
    """(src, dst, sport, dport, seq, ack, flags, payload length) of an IPv4
    TCP frame, or None."""
    ip = frame[14:]
    if frame[12:14] != b"\x08\x00" or len(ip) < 40 or ip[0] >> 4 != 4 \
            or ip[9] != socket.IPPROTO_TCP:
        return None
    ihl = (ip[0] & 15) * 4
    total = struct.unpack_from(">H", ip, 2)[0]
    tcp = ip[ihl:]
    sport, dport, seq, ack, off, flags = struct.unpack_from(">HHIIBB", tcp, 0)
    return (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), sport, dport, seq, ack,
            flags, total - ihl - (off >> 4) * 4)


def segment(src, dst, sport, dport, seq, ack, flags, data=b"", urg=0):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4,
                      flags, 8192, 0, urg) + data
    pseudo = s + d + struct.pack(">BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack(">H", craft.csum(pseudo + tcp)) + tcp[18:]
    return craft.ipv4(s, d, socket.IPPROTO_TCP, tcp, 0)


class Sender:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

    def send(self, what, src, dst, sport, dport, seq, ack, flags, data=b"", urg=0):
        self.s.sendto(segment(src, dst, sport, dport, seq, ack, flags, data, urg), (dst, 0))
        print("sent %s %s:%d -> %s:%d seq %u" % (what, src, sport, dst, dport, seq & 0xffffffff))


def watch(sn, client, server, port, secs):
    """The client's and the server's last (seq, end, ack) and the client's
    port, once both were seen with payload from the client."""
    last = {}
    cport = None
    deadline = time.time() + secs
    while time.time() < deadline and not (cport and "c" in last and "s" in last):
        if not select.select([sn], [], [], 0.5)[0]:
            continue
        t = parse(sn.recv(65600))
        if not t:
            continue
        src, dst, sport, dport, seq, ack, flags, n = t
        if src == client and dst == server and dport == port and n > 0:
            cport = sport
            last["c"] = (seq, seq + n, ack)
        elif src == server and dst == client and sport == port and sport and dport == cport:
            last["s"] = (seq, seq + n, ack)
    return cport, last


def spot(a):
    """Watches the connection from SNIFF_NS (watch); then a Sender in
    SEND_NS, the client's port and the last segments, or None."""
    enter(a.sniff_ns)
    sn = sniffer()
    cport, last = watch(sn, a.client, a.server, a.port, 20)
    if not cport:
        print("%s: no connection seen" % a.cmd)
        return None
    enter(a.send_ns)
    return Sender(), cport, last


def cmd_blind(a):
    seen = spot(a)
    if not seen:
        return 2
    out, cport, last = seen
    cseq, cend, cack = last["c"]
    sseq, send, _ = last["s"]
    for _ in range(5):
        # URG ahead of the client's stream: a guess, not the next byte
        out.send("urg", a.client, a.server, cport, a.port, cend + 100000, cack, ACK | URG | PSH,
                 b"!", urg=1)
        out.send("rst-outside", a.client, a.server, cport, a.port, cend + 0x80000000, 0, RST)
        out.send("rst-window", a.client, a.server, cport, a.port, cend + 100000, 0, RST)
        out.send("rst-outside", a.server, a.client, a.port, cport, send + 0x80000000, 0, RST)
        out.send("rst-window", a.server, a.client, a.port, cport, send + 1000, 0, RST)
        time.sleep(0.1)
    return 0


def cmd_syn(a):
    seen = spot(a)
    if not seen:
        return 2
    out, cport, last = seen
    cseq, cend, _ = last["c"]
    sseq, send, _ = last["s"]
    for i in range(5):
        out.send("syn", a.client, a.server, cport, a.port, cseq + 0x40000000 + i, 0, SYN)
        out.send("syn-data", a.client, a.server, cport, a.port, cseq + 0x50000000 + i, 0, SYN,
                 b"\x01" * 10)
        out.send("syn-back", a.server, a.client, a.port, cport, sseq + 0x40000000 + i, 0, SYN)
        # inside each receiver's window: an RFC 793 stack would reset
        out.send("syn-window", a.client, a.server, cport, a.port, cend + 100000 + i, 0, SYN)
        out.send("syn-back-window", a.server, a.client, a.port, cport, send + 1000 + i, 0, SYN)
        out.send("syn-fin", a.client, a.server, cport, a.port, cseq + 0x40000000 + i, 0,
                 SYN | FIN)
        time.sleep(0.1)
    return 0


def cmd_old(a):
    enter(a.sniff_ns)
    sn = sniffer()
    first = cport = None
    deadline = time.time() + 30
    while time.time() < deadline:
        if not select.select([sn], [], [], 0.5)[0]:
            continue
        t = parse(sn.recv(65600))
        if not t or t[:2] != (a.client, a.server) or t[3] != a.port or t[7] < 1000:
            continue
        if first is None or t[2] != cport:
            cport, first = t[2], t[4]
        if (t[4] - first) & 0xffffffff >= 20 << 20:
            enter(a.send_ns)
            out = Sender()
            for _ in range(8):
                out.send("old", a.client, a.server, cport, a.port, first, t[5], ACK | PSH,
                         b"X" * 100)
            return 0
    print("old: no transfer of 20 MB seen")
    return 2


def established(dev_ns, port):
    out = subprocess.run(["ip", "netns", "exec", dev_ns, "ss", "-Htn", "state", "established",
                          "( sport = :%d )" % port], capture_output=True, text=True).stdout
    return len(out.splitlines())


def cmd_idle(a):
    enter(a.sniff_ns)
    sn = sniffer()
    s = peer.connect(a.server, a.port, 10)
    s.sendall(peer.assoc_rq(a.calling, a.called))
    kind, _ = peer.read_pdu(s)
    if kind != 2:
        print("idle: no A-ASSOCIATE-AC (PDU type %d)" % kind)
        return 2
    client, cport = s.getsockname()
    nxt = None
    deadline = time.time() + 2
    while time.time() < deadline:		# the client's own segments: its next byte
        if not select.select([sn], [], [], 0.2)[0]:
            if nxt is not None:
                break
            continue
        t = parse(sn.recv(65600))
        if t and t[0] == client and t[2] == cport:
            end = t[4] + t[7] + (1 if t[6] & (SYN | FIN) else 0)
            if nxt is None or (end - nxt) & 0x80000000 == 0:
                nxt = end & 0xffffffff
    if nxt is None:
        print("idle: own segments not seen")
        return 2
    enter(a.send_ns)
    out = Sender()
    out.send("rst-window", client, a.server, cport, a.port, nxt + 1000, 0, RST)
    time.sleep(0.5)
    print("after rst-window: established %d" % established(a.dev_ns, a.port))
    out.send("rst-exact", client, a.server, cport, a.port, nxt, 0, RST)
    time.sleep(0.5)
    print("after rst-exact: established %d" % established(a.dev_ns, a.port))
    s.close()
    return 0


def answer_to(s, calling, called):
    """The PDU type that answers a request from calling to called, 0: none."""
    s.sendall(peer.assoc_rq(calling, called))
    try:
        return peer.read_pdu(s)[0]
    except (ConnectionError, OSError):
        return 0


def count(sn, secs, match):
    """How many frames sniffed in the next secs seconds match."""
    n = 0
    deadline = time.time() + secs
    while time.time() < deadline:
        if select.select([sn], [], [], 0.2)[0]:
            t = parse(sn.recv(65600))
            n += bool(t and match(t))
    return n


def cmd_synack(a):
    enter(a.sniff_ns)
    s = peer.connect(a.server, a.port, 10)
    client, cport = s.getsockname()
    enter(a.send_ns)
    sn = sniffer()
    # blind: the client's ISN is not known here, so the ack is a guess
    Sender().send("synack", a.server, client, a.port, cport, 77777, 12345, SYN | ACK)
    time.sleep(0.3)
    kind = answer_to(s, a.calling, a.called)
    caught = count(sn, 1, lambda t: t[1] == a.server)
    print("synack: answer %d, %d for the server at the sender, established %d"
          % (kind, caught, established(a.dev_ns, a.port)))
    s.close()
    return 0


def cmd_refused(a):
    enter(a.sniff_ns)
    s = peer.connect(a.server, a.port, 10)
    client, cport = s.getsockname()
    kind = answer_to(s, a.calling, a.called)
    enter(a.send_ns)
    sn = sniffer()
    out = Sender()
    for i in range(50):
        out.s.sendto(segment(client, a.server, cport, a.port, 1000 + i, 0, ACK, b"x"),
                     (a.server, 0))
    resets = count(sn, 1, lambda t: t[:4] == (a.server, client, a.port, cport) and t[6] & RST)
    print("refused: answer %d, %d resets for 50 segments" % (kind, resets))
    s.close()
    return 0


def associated(s, a):
    s.sendall(peer.assoc_rq(a.calling, a.called))
    kind, _ = peer.read_pdu(s)
    print("%s: A-ASSOCIATE answered with PDU type %d" % (a.cmd, kind))
    return kind == 2


def cmd_restart(a):
    s = peer.connect(a.server, a.port, 10)
    if not associated(s, a):
        return 1
    client, cport = s.getsockname()
    mute = "add table ip mute\nadd chain ip mute out { type filter hook output priority 0; }\n" \
           "add rule ip mute out tcp sport %d drop\n" % cport
    subprocess.run(["nft", "-f", "-"], input=mute, text=True, check=True)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()			# its reset is lost: the server still holds the connection
    subprocess.run(["nft", "delete", "table", "ip", "mute"], check=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((client, cport))
    s.settimeout(15)
    try:
        s.connect((a.server, a.port))
        return 0 if associated(s, a) else 1
    except OSError as e:
        print("restart: %s" % e)
        return 1


def cmd_oob(a):
    s = peer.connect(a.server, a.port, 10)
    if not associated(s, a):
        return 1
    s.send(b"!", socket.MSG_OOB)
    try:
        kind, _ = peer.read_pdu(s)
        print("oob: answered with PDU type %d" % kind)
        return 0 if kind == 7 else 1
    except (ConnectionError, OSError) as e:
        print("oob: %s" % e)
        return 0 if not isinstance(e, socket.timeout) else 1


def main():
    import argparse
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("blind", "syn"):
        b = sub.add_parser(name)
        for n in ("sniff_ns", "send_ns", "client", "server"):
            b.add_argument(n)
        b.add_argument("port", type=int)
    d = sub.add_parser("old")
    for n in ("sniff_ns", "send_ns", "client", "server"):
        d.add_argument(n)
    d.add_argument("port", type=int)
    for name in ("idle", "synack", "refused"):
        i = sub.add_parser(name)
        for n in ("sniff_ns", "send_ns", "dev_ns", "server"):
            i.add_argument(n)
        i.add_argument("port", type=int)
        i.add_argument("calling")
        i.add_argument("called")
    for name in ("oob", "restart"):
        o = sub.add_parser(name)
        o.add_argument("server")
        o.add_argument("port", type=int)
        o.add_argument("calling")
        o.add_argument("called")
    a = p.parse_args()
    return {"blind": cmd_blind, "syn": cmd_syn, "old": cmd_old, "idle": cmd_idle,
            "synack": cmd_synack, "refused": cmd_refused, "oob": cmd_oob,
            "restart": cmd_restart}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
