#!/usr/bin/python3
"""Each probe packet's transit through the box, from two captures
(scripts/bench_control.sh).

    bench_transit.py LAN.pcap DEV.pcap FROM_NS TO_NS OUT

LAN.pcap is taken on the prober's interface, DEV.pcap on the device's, both
by tcpdump with nanosecond timestamps. The kernel stamps a frame as it
passes (on transmit as it is handed to the veth, on receive as the veth
delivers it), so a capturing or probing process that waits for a CPU does
not move the stamps. A probe is a SYN to port 104 and the device's reset;
it is keyed by (the prober's port, the SYN's sequence number), the reset by
(its destination port, its ack - 1) (pair() for the copies of a
retransmission). Transit: the SYN's stamp at the device
minus its stamp at the prober, the reset's stamp at the prober minus its
stamp at the device. Probes whose SYN left between FROM_NS and TO_NS
(CLOCK_REALTIME) count; OUT gets their transits in ns, one a line. Prints
one line: the packets paired, those the box lost (left one side, never
reached the other), and those seen arriving that were never seen leaving
(the capture missed one: the figures are then not exact)."""
import struct
import sys

SYN, RST, ACK = 0x02, 0x04, 0x10


def frames(path):
    """(ns, ip packet) of each frame; a record cut short by a capture
    still being written ends the file."""
    data = open(path, "rb").read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B23C4D, 0xA1B2C3D4) else ">"
    magic, _, _, _, _, _, link = struct.unpack(end + "IHHiIII", data[:24])
    scale = 1 if magic == 0xA1B23C4D else 1000
    l2 = {1: 14, 113: 16}[link]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            return
        yield sec * 1000000000 + frac * scale, data[off + 16 + l2:off + 16 + incl]
        off += 16 + incl


def tcp(ip):
    """(sport, dport, seq, ack, flags) of an IPv4 TCP packet, else None."""
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
        return None
    t = ip[(ip[0] & 15) * 4:]
    if len(t) < 14:
        return None
    sport, dport, seq, ack = struct.unpack("!HHII", t[:12])
    return sport, dport, seq, ack, t[13]


def stamps(path):
    """{("syn"|"rst", key): [stamps]} of a capture: more than one when the
    prober's kernel sent the SYN again (a retransmission keeps its
    sequence number) and the device answered each."""
    out = {}
    for ns, ip in frames(path):
        h = tcp(ip)
        if not h:
            continue
        sport, dport, seq, ack, fl = h
        if fl & SYN and not fl & ACK and dport == 104:
            k = ("syn", (sport, seq))
        elif fl & RST and sport == 104:
            k = ("rst", (dport, (ack - 1) & 0xFFFFFFFF))
        else:
            continue
        out.setdefault(k, []).append(ns)
    return out


def pair(left, arrived):
    """(transits, lost, unpaired) of one packet's copies: each arrival
    goes with the latest departure before it not yet taken (a copy the box
    dropped and its retransmission that passed are one lost, one paired)."""
    free, transits, unpaired = sorted(left), [], 0
    for t1 in sorted(arrived):
        before = [t0 for t0 in free if t0 <= t1]
        if before:
            free.remove(before[-1])
            transits.append(t1 - before[-1])
        else:
            unpaired += 1
    return transits, len(free), unpaired


def main():
    lan, dev = stamps(sys.argv[1]), stamps(sys.argv[2])
    lo, hi, outp = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    probes = {k for (kind, k), ns in lan.items() if kind == "syn" and lo <= ns[0] < hi}
    transit, lost, unpaired = [], 0, 0
    # (where it leaves, where it arrives) for each direction
    for kind, src, dst in (("syn", lan, dev), ("rst", dev, lan)):
        for k in probes:
            t, n_lost, n_unpaired = pair(src.get((kind, k), []), dst.get((kind, k), []))
            transit += t
            lost += n_lost
            unpaired += n_unpaired
    with open(outp, "w") as f:
        f.write("".join("%d\n" % t for t in transit))
    print("probes=%d packets=%d lost=%d unpaired=%d" % (len(probes), len(transit), lost, unpaired))


if __name__ == "__main__":
    main()
