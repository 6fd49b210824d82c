#!/usr/bin/python3
"""Crafts attack bundles for run.sh by editing the container of docs/bundle.md
directly (stdlib only): the device must refuse what this writes.

  bundle.py splice A B OUT        A's manifest and signatures, B's payloads
  bundle.py field IN OUT TAG CRIT append a manifest field (CRIT 0|1), drop signatures
  bundle.py sig IN INDEX OUT      the DER of signature INDEX (for openssl -verify)
  bundle.py dupsig IN OUT         signature 0 appended again (same key twice)
"""
import struct
import sys

MAGIC = b"SWBUNDLE"


def parse(data):
    assert data[:8] == MAGIC
    off = 10
    (mlen,) = struct.unpack_from(">I", data, off)
    manifest = data[off + 4:off + 4 + mlen]
    off += 4 + mlen
    (blen,) = struct.unpack_from(">I", data, off)
    blob = data[off + 4:off + 4 + blen]
    off += 4 + blen
    n = data[off]
    off += 1
    sigs = []
    for _ in range(n):
        keyid = data[off:off + 32]
        (slen,) = struct.unpack_from(">H", data, off + 32)
        sigs.append((keyid, data[off + 34:off + 34 + slen]))
        off += 34 + slen
    assert off == len(data)
    return manifest, blob, sigs


def build(manifest, blob, sigs):
    out = MAGIC + struct.pack(">H", 1) + struct.pack(">I", len(manifest)) + manifest
    out += struct.pack(">I", len(blob)) + blob + bytes([len(sigs)])
    for keyid, der in sigs:
        out += keyid + struct.pack(">H", len(der)) + der
    return out


def rd(p):
    with open(p, "rb") as f:
        return f.read()


def wr(p, data):
    with open(p, "wb") as f:
        f.write(data)


def main(argv):
    cmd = argv[1]
    if cmd == "splice":
        ma, _, sa = parse(rd(argv[2]))
        _, bb, _ = parse(rd(argv[3]))
        wr(argv[4], build(ma, bb, sa))
    elif cmd == "field":
        m, b, _ = parse(rd(argv[2]))
        val = b"future"
        m += bytes([int(argv[4]), int(argv[5])]) + struct.pack(">H", len(val)) + val
        wr(argv[3], build(m, b, []))
    elif cmd == "sig":
        _, _, s = parse(rd(argv[2]))
        wr(argv[4], s[int(argv[3])][1])
    elif cmd == "dupsig":
        m, b, s = parse(rd(argv[2]))
        wr(argv[3], build(m, b, s + [s[0]]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
