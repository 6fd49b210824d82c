#!/usr/bin/python3
"""bench_flows.py OUT.pcap N: N UDP packets from N distinct sources in
10.0.0.0/8 to 10.77.1.15 port 9, one second apart in total, so that a
replay fills N entries of the flow table (each is an allowed, settled
flow). Raw IPv4 link type, standard library only."""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    dst = bytes([10, 77, 1, 15])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # DLT_RAW
        for i in range(n):
            src = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF or 1])
            udp = struct.pack("!HHHH", 10000 + (i & 0x3FFF), 9, 8 + 4, 0) + b"ping"
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            pkt = ip + udp
            us = i * 1000000 // max(n, 1)
            f.write(struct.pack("<IIII", 1700000000, us, len(pkt), len(pkt)) + pkt)


if __name__ == "__main__":
    main()
