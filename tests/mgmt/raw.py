#!/usr/bin/python3
"""Raw HTTP over mutual TLS, for what curl will not send.

  raw.py HOST PORT CA CERT KEY MODE [ARG]

MODE:
  send       request bytes from stdin (Python escapes like \\r\\n are honoured);
             prints each answer's status code, then "closed" if the server
             closed the connection, "open" if it kept it.
  slow       sends ARG (escaped) and then nothing; prints "closed after N s"
             when the server gives up on it, "open" if it did not in 15 s.
  hold       opens ARG connections, handshakes each, prints how many
             handshakes succeeded, then holds them all for ARG2 seconds.
  trickle    sends the head ARG (escaped), then one body byte every ARG2
             seconds; prints "closed after N s" (N from the end of the
             head) with any status answered, "open" if not cut in 20 s.
  silent     (no certificate used) N SECONDS SRC [hello] [once]: keeps N plain TCP
             connections from address SRC (or from each address of a
             comma-separated list in turn) open, reopening each one the
             server closes from its address, for SECONDS; with "hello" each sends a TLS
             ClientHello first and then nothing (a stranger mid-handshake);
             with "once" none is reopened (one place each).
             Prints how many connections it opened in all.
  rotate     (no certificate used) N SECONDS SRCS MS: keeps N ClientHellos in
             progress from a comma-separated list of addresses, one each;
             MS after the server answers one (its handshake started), opens
             the next from an address holding nothing and then closes it
             itself (before any eviction), for SECONDS. Prints how many
             connections it opened in all.
"""
import re
import socket
import ssl
import sys
import time


def connect(host, port, ca, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection((host, int(port)), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_all(s, limit=15.0, patient=False):
    """Reads until the server closes, or 1 s of silence (patient: until
    limit), whichever is first."""
    data = b""
    end = time.time() + limit
    closed = False
    s.settimeout(1.0)
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            if patient:
                continue
            break
        except (ssl.SSLError, ConnectionError, OSError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    return data, closed


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def mode_send(args):
    s = connect(*args[:5])
    s.sendall(unescape(sys.stdin.read()))
    data, closed = read_all(s, 5.0)
    # Bodies end in a newline here, so every answer starts a line.
    for code in re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", data):
        print(code.decode())
    print("closed" if closed else "open")


def mode_slow(args):
    s = connect(*args[:5])
    s.sendall(unescape(args[5]))
    start = time.time()
    _, closed = read_all(s, 15.0, patient=True)
    if closed:
        print("closed after %d s" % round(time.time() - start))
    else:
        print("open")


def mode_hold(args):
    conns = []
    for _ in range(int(args[5])):
        try:
            conns.append(connect(*args[:5]))
        except (ssl.SSLError, ConnectionError, OSError):
            pass
    # A finished handshake that the server did not close at once (it
    # writes nothing else unasked) is a connection it gave a slot.
    import select
    closed, _, _ = select.select(conns, [], [], 1.0)
    print(len(conns) - len(closed))
    sys.stdout.flush()
    time.sleep(float(args[6]) if len(args) > 6 else 0)


def mode_trickle(args):
    s = connect(*args[:5])
    s.sendall(unescape(args[5]))
    start = time.time()
    s.settimeout(float(args[6]))
    data = b""
    while time.time() < start + 20:
        try:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        except socket.timeout:
            try:
                s.sendall(b"x")
            except (ssl.SSLError, ConnectionError, OSError):
                break
        except (ssl.SSLError, ConnectionError, OSError):
            break
    else:
        print("open")
        return
    codes = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    print("closed after %d s%s" % (round(time.time() - start),
                                   "".join(" " + c.decode() for c in codes)))


def client_hello():
    """The first flight of a TLS client, to send and then go silent."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def closed_by_peer(c):
    """Reads what came on a readable socket: True if the server closed it."""
    try:
        return not c.recv(65536)
    except BlockingIOError:
        return False
    except OSError:
        return True


def mode_silent(args):
    import selectors
    host, port = args[0], int(args[1])
    n, seconds, srcs = int(args[5]), float(args[6]), args[7].split(",")
    hello = client_hello() if "hello" in args[8:] else b""
    once = "once" in args[8:]
    sel = selectors.DefaultSelector()
    opened = 0
    end = time.time() + seconds

    def open_one(src):
        nonlocal opened
        try:
            c = socket.create_connection((host, port), timeout=2, source_address=(src, 0))
            if hello:
                c.sendall(hello)
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, src)
            opened += 1
        except OSError:
            time.sleep(0.01)

    for i in range(n):
        open_one(srcs[i % len(srcs)])
    while time.time() < end:
        closed = []
        for key, _ in sel.select(timeout=0.2):
            if closed_by_peer(key.fileobj):
                sel.unregister(key.fileobj)
                key.fileobj.close()
                closed.append(key.data)
        # those closed come back from their address, a batch every 0.1 s:
        # held, not a SYN flood
        time.sleep(0.1)
        for src in [] if once else closed:
            open_one(src)
    print(opened)


def mode_rotate(args):
    import selectors
    host, port = args[0], int(args[1])
    n, seconds, srcs = int(args[5]), float(args[6]), args[7].split(",")
    hold = float(args[8]) / 1000
    hello = client_hello()
    sel = selectors.DefaultSelector()
    free = list(srcs)
    due = {}  # socket -> when to close it (its handshake started)
    opened = 0
    end = time.time() + seconds

    def open_one():
        nonlocal opened
        src = free.pop(0)
        try:
            c = socket.create_connection((host, port), timeout=2, source_address=(src, 0))
            c.sendall(hello)
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, src)
            opened += 1
        except OSError:
            free.append(src)

    def close_one(c):
        due.pop(c, None)
        free.append(sel.get_key(c).data)
        sel.unregister(c)
        c.close()

    for _ in range(n):
        open_one()
    while time.time() < end:
        for key, _ in sel.select(timeout=0.01):
            if closed_by_peer(key.fileobj):
                close_one(key.fileobj)
                open_one()
            elif key.fileobj not in due:
                due[key.fileobj] = time.time() + hold
        now = time.time()
        for c in [c for c, t in due.items() if t <= now]:
            open_one()
            close_one(c)
    print(opened)


def main():
    modes = {"send": mode_send, "slow": mode_slow, "hold": mode_hold,
             "trickle": mode_trickle, "silent": mode_silent, "rotate": mode_rotate}
    args = sys.argv[1:]
    modes[args[5]](args[:5] + args[6:])


if __name__ == "__main__":
    main()
