#!/usr/bin/python3
"""Checks one replay's output against the assertions of a cases.txt line.

    expect.py PCAP RC STDOUT_FILE STDERR_FILE ASSERTION...

Prints one line per failed assertion and exits 1 if any failed, else 0.
The assertion language is described at the top of cases.txt.
"""
import json
import re
import struct
import sys

TIMEOUT_RC = 124  # from timeout(1): a hang is never an expected outcome


def field(ev, key):
    v = ev.get(key)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse_cond(text):
    """'assoc-accept', 'key=a|b' or 'key~regex' -> predicate on an event."""
    if "~" in text and ("=" not in text or text.index("~") < text.index("=")):
        key, rx = text.split("~", 1)
        r = re.compile(rx)
        return lambda ev: r.search(field(ev, key)) is not None
    if "=" not in text:
        key, alts = "event", [text]
    else:
        key, value = text.split("=", 1)
        alts = value.split("|")
    return lambda ev: field(ev, key) in alts


def count_matching(events, conds):
    preds = [parse_cond(c) for c in conds.split(",")]
    return sum(1 for ev in events if all(p(ev) for p in preds))


def check_event(events, a):
    """'[!|N*]COND[,COND...]': some, none, or exactly N events match."""
    if a.startswith("!"):
        n = count_matching(events, a[1:])
        return None if n == 0 else "%s: %d matching events, want none" % (a, n)
    m = re.match(r"^(\d+)\*(.*)$", a)
    if m:
        want, n = int(m.group(1)), count_matching(events, m.group(2))
        return None if n == want else "%s: %d matching events" % (a, n)
    return None if count_matching(events, a) else "%s: no matching event" % a


def check_exit(rc, a):
    m = re.match(r"^exit(!?=)(\d+)$", a)
    if not m:
        return "%s: bad exit assertion" % a
    op, want = m.group(1), int(m.group(2))
    good = rc == want if op == "=" else rc != want
    return None if good else "%s: exit status %d" % (a, rc)


def pcap_frames(path):
    """How many records the capture holds (0 if it is no pcap): `frames=`
    must cover every one of them, not just those the engine mentioned."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return 0
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return 0
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    return n


def check_frames(verdicts, nframes, a):
    """'frameN=V', 'frameA-B=V' or 'frames=V': the final verdict of those
    frames (from --trace; a held frame's last word is its release)."""
    sel, want = a.split("=", 1)
    alts = want.split("|")
    if not verdicts:
        return "%s: no per-frame verdicts (--trace)" % a
    if sel == "frames":
        frames = range(1, max([nframes] + list(verdicts)) + 1)
    else:
        m = re.match(r"^frame(\d+)(?:-(\d+))?$", sel)
        if not m:
            return "%s: bad frame assertion" % a
        lo = int(m.group(1))
        frames = range(lo, int(m.group(2) or lo) + 1)
    bad = ["%d:%s" % (f, verdicts.get(f, "none")) for f in frames
           if verdicts.get(f, "none") not in alts]
    return "%s: frames %s" % (a, " ".join(bad)) if bad else None


def load_events(path):
    """Events, the final verdict of each frame (--trace), problems."""
    events, verdicts, problems = [], {}, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for i, line in enumerate(f, 1):
            try:
                ev = json.loads(line)
            except ValueError:
                problems.append("stdout line %d is not JSON: %s" % (i, line.rstrip()[:80]))
                continue
            if isinstance(ev, dict) and "frame" in ev and "event" not in ev:
                if "verdict" in ev:
                    verdicts[ev["frame"]] = ev["verdict"]
                continue
            if not isinstance(ev, dict) or "event" not in ev:
                problems.append("stdout line %d is not an event object" % i)
                continue
            events.append(ev)
    return events, verdicts, problems


def main(argv):
    pcap, rc, out, err, asserts = argv[1], int(argv[2]), argv[3], argv[4], argv[5:]
    if rc == TIMEOUT_RC:
        print("timed out (a loop that does not advance?)")
        return 1
    events, verdicts, problems = load_events(out)
    with open(err, encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    if not any(a.startswith("exit") for a in asserts):
        asserts = ["exit=0"] + asserts
    for a in asserts:
        if a.startswith("exit"):
            problems.append(check_exit(rc, a))
        elif a.startswith("stderr~"):
            ok = re.search(a[len("stderr~"):], stderr)
            problems.append(None if ok else "%s: stderr does not match" % a)
        elif a.startswith("frame"):
            problems.append(check_frames(verdicts, pcap_frames(pcap), a))
        elif a.startswith("events="):
            n = int(a[len("events="):])
            problems.append(None if len(events) == n else "%s: %d events" % (a, len(events)))
        else:
            problems.append(check_event(events, a))
    problems = [p for p in problems if p]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
