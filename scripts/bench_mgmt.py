#!/usr/bin/python3
"""The management plane's load, for scripts/bench_mgmt.sh (docs/mgmt.md).

  bench_mgmt.py handshakes HOST PORT PKI SECONDS WORKERS [resume]
      full (or resumed) TLS handshakes by WORKERS threads for SECONDS;
      prints "handshakes N errors E"
  bench_mgmt.py readers HOST PORT PKI SECONDS CLIENTS PATH
      CLIENTS keep-alive readers, each GET PATH in a loop for SECONDS;
      prints "requests N errors E p50_ms X p99_ms Y"
"""
import asyncio
import socket
import ssl
import sys
import threading
import time


def context(pki, who="reader"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki + "/ca.crt")
    ctx.load_cert_chain(pki + "/%s.crt" % who, pki + "/%s.key" % who)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def handshakes(host, port, pki, seconds, workers, resume=False):
    ctx = context(pki)
    counts = [0, 0]
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker():
        session = None
        n = e = 0
        while time.monotonic() < end:
            try:
                raw = socket.create_connection((host, port), timeout=10)
                s = ctx.wrap_socket(raw, server_hostname="localhost",
                                    session=session if resume else None)
                if resume:
                    session = s.session
                s.close()
                n += 1
            except (OSError, ssl.SSLError):
                e += 1
        with lock:
            counts[0] += n
            counts[1] += e

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("handshakes %d errors %d" % tuple(counts))


async def reader(host, port, ctx, path, end, lat, errs, src):
    req = ("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode()
    try:
        r, w = await asyncio.open_connection(host, port, ssl=ctx, server_hostname="localhost",
                                             local_addr=(src, 0))
    except (OSError, ssl.SSLError):
        errs.append(1)
        return
    try:
        while time.monotonic() < end:
            t0 = time.monotonic()
            w.write(req)
            head = await r.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                errs.append(1)
            n = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await r.readexactly(n)
            lat.append(time.monotonic() - t0)
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError, IndexError, ValueError):
        errs.append(1)
    w.close()


# A fleet of pollers comes from many addresses: mgmtd admits few
# connections at once from any one (MGMT_WAITING_PER_SOURCE), so the
# readers are spread over SOURCES loopback addresses, 127.0.1.1 on.
async def readers_main(host, port, pki, seconds, clients, path, sources):
    ctx = context(pki)
    lat, errs = [], []
    end = time.monotonic() + seconds
    src = lambda i: "127.0.1.%d" % (1 + i % sources)
    await asyncio.gather(*(reader(host, port, ctx, path, end, lat, errs, src(i))
                           for i in range(clients)))
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0
    print("requests %d errors %d p50_ms %.1f p99_ms %.1f" % (len(lat), len(errs), pick(0.5), pick(0.99)))


def main():
    mode, host, port, pki, seconds, n = sys.argv[1:7]
    if mode == "handshakes":
        handshakes(host, int(port), pki, float(seconds), int(n), len(sys.argv) > 7)
    else:
        sources = int(sys.argv[8]) if len(sys.argv) > 8 else 1
        asyncio.run(readers_main(host, int(port), pki, float(seconds), int(n), sys.argv[7], sources))


if __name__ == "__main__":
    main()
