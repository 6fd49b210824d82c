#!/usr/bin/python3
"""An SCU that uses an asynchronous operations window for real: for
tests/stacks/test_async_window.sh.

  pipeline.py HOST PORT CALLING CALLED N

Proposes Verification with an Asynchronous Operations Window item (N
invoked, N performed), then sends N C-ECHO-RQs in one write before reading
any answer, then reads N C-ECHO-RSPs and releases. dcmtk's storescp does not
negotiate the window (its AC carries none) but answers the requests in
order as they arrive: the box between sees N requests outstanding at once.
Exit 0 when every RSP is a success answering request 1..N, 1 otherwise.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "netns"))
import peer  # noqa: E402  (the RQ builders of the netns tests)

C_ECHO_RQ, C_ECHO_RSP = 0x0030, 0x8030


def element(group, elem, value):
    return struct.pack("<HHI", group, elem, len(value)) + value


def echo_rq(msg_id):
    """A C-ECHO-RQ command set (implicit VR little endian), group length first."""
    body = (element(0, 0x0002, peer.VERIFICATION + b"\0")
            + element(0, 0x0100, struct.pack("<H", C_ECHO_RQ))
            + element(0, 0x0110, struct.pack("<H", msg_id))
            + element(0, 0x0800, struct.pack("<H", 0x0101)))
    return element(0, 0x0000, struct.pack("<I", len(body))) + body


def p_data(context_id, command):
    pdv = bytes([context_id, 0x03]) + command  # command, last fragment
    return peer.pdu(0x04, struct.pack(">I", len(pdv)) + pdv)


def command_fields(pdv_data):
    """The (0000,xxxx) US values of a command set, by element number."""
    out, i = {}, 0
    while i + 8 <= len(pdv_data):
        _, elem, length = struct.unpack_from("<HHI", pdv_data, i)
        value = pdv_data[i + 8:i + 8 + length]
        if length == 2:
            out[elem] = struct.unpack("<H", value)[0]
        i += 8 + length
    return out


def main():
    host, port, calling, called, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    window = peer.item(0x53, struct.pack(">HH", n, n))
    ui = peer.item(0x50, peer.item(0x51, struct.pack(">I", 16384)) + peer.item(0x52, peer.IMPL_UID) + window)
    s = socket.create_connection((host, port), 10)
    s.settimeout(10)
    s.sendall(peer.assoc_rq(calling, called, ui=ui))
    kind, _ = peer.read_pdu(s)
    if kind != 0x02:
        print("no A-ASSOCIATE-AC (PDU type %d)" % kind)
        return 1
    s.sendall(b"".join(p_data(1, echo_rq(i)) for i in range(1, n + 1)))
    answered = []
    while len(answered) < n:
        kind, body = peer.read_pdu(s)
        if kind != 0x04:
            print("PDU type %d instead of a C-ECHO-RSP" % kind)
            return 1
        f = command_fields(body[6:])  # PDV length, context id, control
        if f.get(0x0100) != C_ECHO_RSP or f.get(0x0900) != 0:
            print("not a successful C-ECHO-RSP: %r" % f)
            return 1
        answered.append(f.get(0x0120))
    s.sendall(peer.pdu(0x05, bytes(4)))
    kind, _ = peer.read_pdu(s)
    s.close()
    print("answered", answered)
    return 0 if answered == list(range(1, n + 1)) and kind == 0x06 else 1


if __name__ == "__main__":
    sys.exit(main())
