#!/usr/bin/python3
"""Crafted DICOM sessions, valid and malformed, as pcap files.

Every session is Ethernet/IPv4/TCP between the same lab hosts as the
recorded fixtures (10.77.1.10 "PACS" -> 10.77.1.20 "SCANNER" port 104),
starts with a full TCP handshake and carries hand-built Upper Layer PDUs
(PS3.8 9.3). Everything is deterministic: fixed addresses, ports, initial
sequence numbers and timestamps, so

    /usr/bin/python3 tests/pcap/craft.py [OUTDIR]

rewrites tests/pcap/crafted/*.pcap byte for byte. The replay expectations
are in tests/replay/cases.txt. Standard library only.
"""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crafted")

PACS = bytes([10, 77, 1, 10])
SCANNER = bytes([10, 77, 1, 20])
MAC_PACS = bytes.fromhex("027700000010")
MAC_SCANNER = bytes.fromhex("027700000020")
T0 = 1704448800  # 2024-01-05 10:00:00 UTC, the same for every file

APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
VERIFICATION = b"1.2.840.10008.1.1"
CT_STORAGE = b"1.2.840.10008.5.1.4.1.1.2"
STUDY_FIND = b"1.2.840.10008.5.1.4.1.2.2.1"
WORKLIST_FIND = b"1.2.840.10008.5.1.4.31"
IMPLICIT_LE = b"1.2.840.10008.1.2"
EXPLICIT_LE = b"1.2.840.10008.1.2.1"
IMPL_CLASS = b"1.2.826.0.1.3680043.10.1077.9"
# Siemens CSA Non-Image Storage, listed by the Siemens templates; and a
# private class they do not list (GDCM's "Philips3D").
CSA_NON_IMAGE = b"1.3.12.2.1107.5.9.1"
UNLISTED_PRIVATE = b"1.2.840.113543.6.6.1.3.10002"
INSTANCE = IMPL_CLASS + b".1"


# --- pcap, Ethernet, IPv4, TCP -------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      0x4000, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def tcp(src, dst, sport, dport, seq, ack, flags, data):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, 5 << 4, flags, 64240, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Pcap:
    """Records in memory; the clock advances 1 ms per packet."""

    def __init__(self):
        self.records = []
        self.n = 0

    def add(self, frame):
        usec = self.n * 1000
        self.n += 1
        hdr = struct.pack("<IIII", T0 + usec // 1000000, usec % 1000000,
                          len(frame), len(frame))
        self.records.append(hdr + frame)

    def bytes(self):
        head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        return head + b"".join(self.records)


class Tcp:
    """One connection. Side "c" is the initiator (PACS), "s" the acceptor."""

    def __init__(self, pcap, sport, isn_c=0x1000, isn_s=0x8000):
        self.pcap = pcap
        self.ends = {"c": (PACS, sport, MAC_PACS), "s": (SCANNER, 104, MAC_SCANNER)}
        self.nxt = {"c": isn_c, "s": isn_s}
        self.ident = {"c": 0x100, "s": 0x200}

    @staticmethod
    def other(side):
        return "s" if side == "c" else "c"

    def raw(self, side, seq, flags, data=b""):
        """One segment at an explicit sequence number; state untouched."""
        src, sport, smac = self.ends[side]
        dst, dport, dmac = self.ends[self.other(side)]
        ack = self.nxt[self.other(side)] if flags & ACK else 0
        seg = tcp(src, dst, sport, dport, seq, ack, flags, data)
        self.ident[side] += 1
        pkt = ipv4(src, dst, 6, seg, self.ident[side])
        self.pcap.add(dmac + smac + b"\x08\x00" + pkt)

    def handshake(self):
        self.raw("c", self.nxt["c"], SYN)
        self.nxt["c"] += 1
        # The SYN-ACK acknowledges the SYN: raw() takes ack from nxt.
        self.raw("s", self.nxt["s"], SYN | ACK)
        self.nxt["s"] += 1
        self.ack("c")

    def ack(self, side):
        self.raw(side, self.nxt[side], ACK)

    def send(self, side, data, cuts=()):
        """data from side, split at the given offsets, then acknowledged."""
        edges = [0] + list(cuts) + [len(data)]
        for a, b in zip(edges, edges[1:]):
            self.segment(side, data[a:b])
        self.ack(self.other(side))

    def segment(self, side, data):
        self.raw(side, self.nxt[side], PSH | ACK, data)
        self.nxt[side] += len(data)

    def close(self):
        self.raw("c", self.nxt["c"], FIN | ACK)
        self.nxt["c"] += 1
        self.raw("s", self.nxt["s"], FIN | ACK)
        self.nxt["s"] += 1
        self.ack("c")


# --- DICOM Upper Layer ----------------------------------------------------

def pdu(ptype, body):
    return struct.pack("!BBI", ptype, 0, len(body)) + body


def item(itype, body, length=None):
    """length overrides the true length, for items that lie about it."""
    return struct.pack("!BBH", itype, 0, len(body) if length is None else length) + body


def ae(title):
    return title.encode("ascii").ljust(16)


def pctx_rq(cid, abstract, transfers=(IMPLICIT_LE, EXPLICIT_LE)):
    body = bytes([cid, 0, 0, 0]) + item(0x30, abstract)
    return item(0x20, body + b"".join(item(0x40, t) for t in transfers))


def pctx_ac(cid, result, transfer=IMPLICIT_LE):
    return item(0x21, bytes([cid, 0, result, 0]) + item(0x40, transfer))


def user_info(extra=b""):
    return item(0x50, item(0x51, struct.pack("!I", 16384)) + item(0x52, IMPL_CLASS)
                + item(0x55, b"SCANWALL_CRAFT") + extra)


def associate(ptype, calling, called, items):
    fixed = struct.pack("!HH", 1, 0) + ae(called) + ae(calling) + bytes(32)
    return pdu(ptype, fixed + item(0x10, APP_CONTEXT) + b"".join(items))


def rq(contexts, calling="PACS", called="SCANNER", extra_user=b""):
    return associate(0x01, calling, called, list(contexts) + [user_info(extra_user)])


def ac(contexts, calling="PACS", called="SCANNER"):
    return associate(0x02, calling, called, list(contexts) + [user_info()])


def element(elem, value):
    return struct.pack("<HHI", 0x0000, elem, len(value)) + value


def uid_value(uid):
    return uid + (b"\0" if len(uid) % 2 else b"")


def command(fields):
    """A command set, Implicit VR Little Endian, with its group length."""
    body = b"".join(element(e, v) for e, v in sorted(fields.items()))
    return element(0x0000, struct.pack("<I", len(body))) + body


def us(v):
    return struct.pack("<H", v)


def echo_rq(msg_id=1):
    return command({0x0002: uid_value(VERIFICATION), 0x0100: us(0x0030),
                    0x0110: us(msg_id), 0x0800: us(0x0101)})


def echo_rsp(msg_id=1):
    return command({0x0002: uid_value(VERIFICATION), 0x0100: us(0x8030),
                    0x0120: us(msg_id), 0x0800: us(0x0101), 0x0900: us(0)})


def find_rq(sop, msg_id=2):
    return command({0x0002: uid_value(sop), 0x0100: us(0x0020), 0x0110: us(msg_id),
                    0x0700: us(0), 0x0800: us(0x0000)})


def store_rq(cls, msg_id=1):
    return command({0x0002: uid_value(cls), 0x0100: us(0x0001), 0x0110: us(msg_id),
                    0x0700: us(0), 0x0800: us(0x0000), 0x1000: uid_value(INSTANCE)})


def store_rsp(cls, msg_id=1):
    return command({0x0002: uid_value(cls), 0x0100: us(0x8001), 0x0120: us(msg_id),
                    0x0800: us(0x0101), 0x0900: us(0), 0x1000: uid_value(INSTANCE)})


def dataset(cls):
    """SOP Class and Instance UID, Implicit VR Little Endian."""
    return (struct.pack("<HHI", 0x0008, 0x0016, len(uid_value(cls))) + uid_value(cls)
            + struct.pack("<HHI", 0x0008, 0x0018, len(uid_value(INSTANCE))) + uid_value(INSTANCE))


def pdata(cid, fragment, control=0x03):
    """One PDV (command, last fragment by default) in one P-DATA-TF."""
    return pdu(0x04, struct.pack("!IBB", len(fragment) + 2, cid, control) + fragment)


RELEASE_RQ = pdu(0x05, bytes(4))
RELEASE_RP = pdu(0x06, bytes(4))
ABORT = pdu(0x07, bytes(4))
ECHO_RQ_PDU = pdata(1, echo_rq())
ECHO_RSP_PDU = pdata(1, echo_rsp())


# --- sessions ---------------------------------------------------------------

def echo_with(c, rq_pdu, ac_pdu, rq_cuts=(), rsp=ECHO_RSP_PDU):
    """RQ, AC, C-ECHO and its response, release, close."""
    c.send("c", rq_pdu, rq_cuts)
    c.send("s", ac_pdu)
    c.send("c", ECHO_RQ_PDU)
    c.send("s", rsp)
    c.send("c", RELEASE_RQ)
    c.send("s", RELEASE_RP)
    c.close()


def echo_session(c, rq_cuts=()):
    """A complete, valid verification association on an open connection."""
    echo_with(c, rq([pctx_rq(1, VERIFICATION)]), ac([pctx_ac(1, 0)]), rq_cuts)


def refused_rq(c, pdu_bytes):
    """The initiator sends one PDU and, getting no answer, gives up."""
    refused_rq_cut(c, pdu_bytes, ())


def refused_rq_cut(c, pdu_bytes, cuts):
    c.send("c", pdu_bytes, cuts)
    c.close()


def s_rq_split(c):
    # Type byte alone, the rest of the header, the AE titles cut in the
    # middle, an item header cut after its type: 6 segments.
    echo_session(c, rq_cuts=(1, 6, 20, 80, 120))


def s_rq_split_refused(c):
    # The same cuts, from a calling AE the policy does not know: no segment
    # of it may reach the acceptor, not even the ones before the titles.
    refused_rq_cut(c, rq([pctx_rq(1, VERIFICATION)], calling="INTRUDER"), (1, 6, 20, 80, 120))


def s_rq_subitem_overflow(c):
    # The abstract syntax sub-item claims 200 bytes inside a presentation
    # context item of 46 (4 + 21 + 21); every outer length is honest.
    body = (bytes([1, 0, 0, 0]) + item(0x30, VERIFICATION, length=200)
            + item(0x40, IMPLICIT_LE))
    refused_rq(c, associate(0x01, "PACS", "SCANNER", [item(0x20, body), user_info()]))


def s_rq_zero_items(c):
    # Presentation context items of length 0 between real items: a parser
    # must step over each 4-byte header (or refuse), never spin on it.
    zero = item(0x20, b"")
    refused_rq(c, associate(0x01, "PACS", "SCANNER",
                            [zero, zero, pctx_rq(1, VERIFICATION), zero, user_info()]))


def s_rq_zero_subitems(c):
    # Unknown user-information sub-items of length 0 are legal and ignored
    # (PS3.7 D.3.3): the loop must advance over them and accept.
    odd = item(0x5F, b"") * 3
    echo_with(c, rq([pctx_rq(1, VERIFICATION)], extra_user=odd), ac([pctx_ac(1, 0)]))


def s_pdu_type_bad(c):
    refused_rq(c, pdu(0x09, bytes(4)))


def s_rq_even_context(c):
    refused_rq(c, rq([pctx_rq(2, VERIFICATION)]))


def s_rq_bad_uid(c):
    # "01": a component with a leading zero (PS3.5 9.1).
    refused_rq(c, rq([pctx_rq(1, b"1.2.840.10008.1.01")]))


def s_rq_service_not_allowed(c):
    refused_rq(c, rq([pctx_rq(1, CT_STORAGE)]))


def s_pdata_bad_context(c):
    # Context 3 (CT storage) is proposed, the acceptor refuses it (result 3,
    # abstract syntax not supported), and the initiator uses it anyway.
    c.send("c", rq([pctx_rq(1, VERIFICATION), pctx_rq(3, CT_STORAGE)]))
    c.send("s", ac([pctx_ac(1, 0), pctx_ac(3, 3)]))
    c.send("c", pdata(3, echo_rq()))
    c.send("s", ABORT)
    c.close()


def store_session(c, cls):
    """CSA Non-Image on context 1 and cls on context 3, both accepted, then
    one C-STORE of cls (its command, its data set, the answer)."""
    cid = 1 if cls == CSA_NON_IMAGE else 3
    c.send("c", rq([pctx_rq(1, CSA_NON_IMAGE), pctx_rq(3, UNLISTED_PRIVATE)]))
    c.send("s", ac([pctx_ac(1, 0), pctx_ac(3, 0)]))
    c.send("c", pdata(cid, store_rq(cls)))
    c.send("c", pdata(cid, dataset(cls), control=0x02))
    c.send("s", pdata(cid, store_rsp(cls)))
    c.send("c", RELEASE_RQ)
    c.send("s", RELEASE_RP)
    c.close()


def s_store_listed(c):
    store_session(c, CSA_NON_IMAGE)


def s_store_unlisted(c):
    store_session(c, UNLISTED_PRIVATE)


def s_retransmit(c):
    # The C-ECHO-RQ segment goes twice, identical bytes, before the ACK.
    c.send("c", rq([pctx_rq(1, VERIFICATION)]))
    c.send("s", ac([pctx_ac(1, 0)]))
    seq = c.nxt["c"]
    c.segment("c", ECHO_RQ_PDU)
    c.raw("c", seq, PSH | ACK, ECHO_RQ_PDU)
    c.ack("s")
    c.send("s", ECHO_RSP_PDU)
    c.send("c", RELEASE_RQ)
    c.send("s", RELEASE_RP)
    c.close()


def s_overlap_evil(c):
    # The same sequence range again, unacknowledged, with a different PDU
    # length: the first copy frames a 74-byte P-DATA, the second one a
    # 4170-byte PDU, so what follows would be parsed as data by one reader
    # and as PDU headers by the other. Each copy alone is well formed.
    c.send("c", rq([pctx_rq(1, VERIFICATION)]))
    c.send("s", ac([pctx_ac(1, 0)]))
    seq = c.nxt["c"]
    c.segment("c", ECHO_RQ_PDU)
    evil = ECHO_RQ_PDU[:4] + b"\x10" + ECHO_RQ_PDU[5:]
    c.raw("c", seq, PSH | ACK, evil)
    c.ack("s")
    c.send("s", ECHO_RSP_PDU)
    c.send("c", RELEASE_RQ)
    c.send("s", RELEASE_RP)
    c.close()


def s_out_of_order(c):
    # The C-ECHO-RQ in two segments, the second first. The early segment
    # is parked (its bytes cannot be inspected yet) and goes through the
    # hook again once the first has been; the sender's retransmission of
    # it is then a copy of inspected bytes.
    c.send("c", rq([pctx_rq(1, VERIFICATION)]))
    c.send("s", ac([pctx_ac(1, 0)]))
    seq = c.nxt["c"]
    head, tail = ECHO_RQ_PDU[:30], ECHO_RQ_PDU[30:]
    c.raw("c", seq + len(head), PSH | ACK, tail)
    c.segment("c", head)
    c.ack("s")
    c.segment("c", tail)
    c.ack("s")
    c.send("s", ECHO_RSP_PDU)
    c.send("c", RELEASE_RQ)
    c.send("s", RELEASE_RP)
    c.close()


def orthanc_rq():
    # Orthanc proposes the same contexts for echo, query and retrieve.
    return rq([pctx_rq(1, VERIFICATION), pctx_rq(3, STUDY_FIND), pctx_rq(5, WORKLIST_FIND)])


def s_orthanc_echo(c):
    # Where the rule allows only Verification, the RQ passes and the
    # acceptor, allowing only Verification too, rejects the others.
    echo_with(c, orthanc_rq(), ac([pctx_ac(1, 0), pctx_ac(3, 3), pctx_ac(5, 3)]))


def s_orthanc_accepted(c):
    # The acceptor accepts Study Root FIND too: the echo passes, the
    # C-FIND-RQ on context 3 is what the rule does not allow.
    c.send("c", orthanc_rq())
    c.send("s", ac([pctx_ac(1, 0), pctx_ac(3, 0), pctx_ac(5, 3)]))
    c.send("c", ECHO_RQ_PDU)
    c.send("s", ECHO_RSP_PDU)
    c.send("c", pdata(3, find_rq(STUDY_FIND)))
    c.close()


def s_rsp_other_sop(c):
    # The acceptor's C-ECHO-RSP names CT Storage on the Verification
    # context: not conformant, harmless to the receiver's parser.
    rsp = pdata(1, command({0x0002: uid_value(CT_STORAGE), 0x0100: us(0x8030),
                            0x0120: us(1), 0x0800: us(0x0101), 0x0900: us(0)}))
    echo_with(c, rq([pctx_rq(1, VERIFICATION)]), ac([pctx_ac(1, 0)]), rsp=rsp)


def bad_command(fragment):
    """A session whose first command set is malformed (PS3.7): after the
    association, the P-DATA carrying it must not reach the acceptor."""
    def session(c):
        c.send("c", rq([pctx_rq(1, VERIFICATION), pctx_rq(3, CT_STORAGE)]))
        c.send("s", ac([pctx_ac(1, 0), pctx_ac(3, 0)]))
        c.send("c", fragment)
        c.close()
    return session


ECHO_FIELDS = {0x0002: uid_value(VERIFICATION), 0x0100: us(0x0030), 0x0110: us(1),
               0x0800: us(0x0101)}


def without(fields, elem):
    return {e: v for e, v in fields.items() if e != elem}


def glen_off_by(delta):
    cmd = bytearray(echo_rq())
    cmd[8] += delta
    return bytes(cmd)


STORE_NO_CLASS = pdata(3, command({0x0100: us(0x0001), 0x0110: us(1), 0x0700: us(0),
                                   0x0800: us(0x0000), 0x1000: uid_value(b"1.2.3.4")}))
ECHO_NO_MSG_ID = pdata(1, command(without(ECHO_FIELDS, 0x0110)))
ECHO_SPACE_UID = pdata(1, command({**ECHO_FIELDS, 0x0002: VERIFICATION + b" "}))
ECHO_GLEN_WRONG = pdata(1, glen_off_by(2))
# the Command Field before the SOP Class: group length exact, order not
ECHO_TAG_ORDER = pdata(1, element(0x0000, struct.pack("<I", len(echo_rq()) - 12))
                       + element(0x0100, us(0x0030)) + element(0x0002, uid_value(VERIFICATION))
                       + element(0x0110, us(1)) + element(0x0800, us(0x0101)))


def s_headers_cut(c):
    # The C-ECHO-RQ cut inside its PDU header and inside its PDV header:
    # each piece is held until the header is whole, then all pass.
    c.send("c", rq([pctx_rq(1, VERIFICATION)]))
    c.send("s", ac([pctx_ac(1, 0)]))
    c.send("c", ECHO_RQ_PDU, (3, 9))
    c.send("s", ECHO_RSP_PDU)
    c.send("c", RELEASE_RQ, (4,))
    c.send("s", RELEASE_RP)
    c.close()


def s_headers_cut_refused(c):
    # The same cuts, reserved bits in the PDV control header (its last
    # byte): not one byte of the PDU may have reached the device.
    c.send("c", rq([pctx_rq(1, VERIFICATION)]))
    c.send("s", ac([pctx_ac(1, 0)]))
    c.send("c", pdata(1, echo_rq(), control=0x07), (3, 9))
    c.close()


# name: (session, initiator port). Fixed ports let the expectations tell
# one crafted session from another.
SESSIONS = {
    "rq-split": (s_rq_split, 41001),
    "rq-split-refused": (s_rq_split_refused, 41002),
    "rq-subitem-overflow": (s_rq_subitem_overflow, 41003),
    "rq-zero-items": (s_rq_zero_items, 41004),
    "rq-zero-subitems": (s_rq_zero_subitems, 41005),
    "pdu-type-bad": (s_pdu_type_bad, 41006),
    "rq-even-context": (s_rq_even_context, 41007),
    "rq-bad-uid": (s_rq_bad_uid, 41008),
    "rq-service-not-allowed": (s_rq_service_not_allowed, 41009),
    "pdata-bad-context": (s_pdata_bad_context, 41010),
    "retransmit": (s_retransmit, 41011),
    "overlap-evil": (s_overlap_evil, 41012),
    "out-of-order": (s_out_of_order, 41013),
    "echo": (echo_session, 41014),
    "store-listed": (s_store_listed, 41015),
    "store-unlisted": (s_store_unlisted, 41016),
    "orthanc-echo": (s_orthanc_echo, 41017),
    "orthanc-accepted": (s_orthanc_accepted, 41018),
    "rsp-other-sop": (s_rsp_other_sop, 41019),
    "cmd-store-no-class": (bad_command(STORE_NO_CLASS), 41020),
    "cmd-echo-no-msg-id": (bad_command(ECHO_NO_MSG_ID), 41021),
    "cmd-space-uid": (bad_command(ECHO_SPACE_UID), 41022),
    "cmd-group-length": (bad_command(ECHO_GLEN_WRONG), 41023),
    "cmd-tag-order": (bad_command(ECHO_TAG_ORDER), 41024),
    "headers-cut": (s_headers_cut, 41025),
    "headers-cut-refused": (s_headers_cut_refused, 41026),
}


def session_bytes(fn, sport):
    p = Pcap()
    c = Tcp(p, sport)
    c.handshake()
    fn(c)
    return p


def broken_files():
    """Files libpcap must refuse: exit non-zero, say why on stderr."""
    p = session_bytes(echo_session, 40999)
    whole = p.bytes()
    # Header, 7 whole records, then 30 bytes of the 8th (the C-ECHO-RQ).
    cut = 24 + sum(len(r) for r in p.records[:7]) + 30
    garbage = b"".join(b"scanwall: this is not a capture file, line %03d\n" % i
                       for i in range(40))
    return {"truncated": whole[:cut], "garbage": garbage,
            "header-only": Pcap().bytes()}


def main(argv):
    out = argv[1] if len(argv) > 1 else OUT
    os.makedirs(out, exist_ok=True)
    files = {}
    for name, (fn, port) in SESSIONS.items():
        files[name] = session_bytes(fn, port).bytes()
    files.update(broken_files())
    for name, data in sorted(files.items()):
        with open(os.path.join(out, name + ".pcap"), "wb") as f:
            f.write(data)
    print("craft: %d files in %s" % (len(files), out))


if __name__ == "__main__":
    main(sys.argv)
