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
    # A finished handshake means the server gave the connection a slot.
    print(len(conns))
    sys.stdout.flush()
    time.sleep(float(args[6]) if len(args) > 6 else 0)


def main():
    modes = {"send": mode_send, "slow": mode_slow, "hold": mode_hold}
    args = sys.argv[1:]
    modes[args[5]](args[:5] + args[6:])


if __name__ == "__main__":
    main()
