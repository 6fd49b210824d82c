#!/usr/bin/python3
"""Tiny stdlib peers for tests/pcap/record.sh (run inside its namespaces).

  peers.py LADDR LPORT TADDR TPORT   TCP relay (dcmtk 3.6.7 has no IPv6)
  peers.py --answer ADDR PORT        TCP server: read a line, answer, close
  peers.py --say ADDR PORT           TCP client for --answer
  peers.py --udp-answer ADDR PORT    UDP server: answer each datagram (NTP mode 4)
  peers.py --udp-say ADDR PORT       one NTP client request, wait for the answer
  peers.py --ping ADDR               one ICMP echo request, wait for the reply
"""
import socket
import struct
import sys
import threading


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listen(addr, port):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    return s


def pump(src, dst):
    # Half-close in turn, so the FIN exchange of each leg mirrors the other.
    while True:
        data = src.recv(65536)
        if not data:
            break
        dst.sendall(data)
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay(laddr, lport, taddr, tport):
    srv = listen(laddr, lport)
    while True:
        c, _ = srv.accept()
        t = socket.create_connection((taddr, tport))
        threads = [threading.Thread(target=pump, args=(c, t)),
                   threading.Thread(target=pump, args=(t, c))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        c.close()
        t.close()


def answer(addr, port):
    srv = listen(addr, port)
    while True:
        c, _ = srv.accept()
        c.recv(1024)
        c.sendall(b"HPCA agent 7.9 ready\n")
        c.close()


def say(addr, port):
    with socket.create_connection((addr, port), timeout=5) as c:
        c.sendall(b"HELLO scanwall replay\n")
        print(c.recv(1024))


NTP_REQ = bytes([0x23]) + bytes(47)  # LI 0, version 4, mode 3 (client)


def udp_answer(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(bytes([0x24, 2]) + bytes(46), peer)  # mode 4 (server), stratum 2


def udp_say(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(NTP_REQ, (addr, port))
    print(len(s.recvfrom(2048)[0]), "bytes from the time server")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(5)
    payload = b"scanwall-replay-ping"
    hdr = struct.pack("!BBHHH", 8, 0, 0, 0x5377, 1)
    hdr = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), 0x5377, 1)
    s.sendto(hdr + payload, (addr, 0))
    while True:
        data = s.recv(2048)
        ihl = (data[0] & 0x0F) * 4
        if data[ihl] == 0:
            print("echo reply from", addr)
            return


def main(argv):
    modes = {"--answer": answer, "--say": say, "--udp-answer": udp_answer,
             "--udp-say": udp_say}
    if argv[0] == "--ping":
        return ping(argv[1])
    if argv[0] in modes:
        return modes[argv[0]](argv[1], int(argv[2]))
    return relay(argv[0], int(argv[1]), argv[2], int(argv[3]))


if __name__ == "__main__":
    main(sys.argv[1:])
