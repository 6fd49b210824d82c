#!/usr/bin/python3
"""Drive the guest's serial console through QEMU's `-chardev socket`.

  console.py SOCK wait REGEX SECONDS      until REGEX appears on the console
  console.py SOCK login USER PASSWORD     getty/login, until a shell prompt
  console.py SOCK run SECONDS COMMAND     run COMMAND in the logged-in shell,
                                          print its output, exit with its status

Each call connects anew; the guest keeps its session between calls. The
whole console is also in QEMU's logfile=, for the record.
"""
import os
import re
import socket
import sys
import time


class Console:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.setblocking(False)
        self.buf = b""

    def send(self, text):
        self.s.sendall(text.encode())

    def expect(self, pattern, seconds):
        """Waits for pattern (a bytes regex) in what arrives next; returns
        the text before it and the match."""
        rx = re.compile(pattern)
        end = time.monotonic() + seconds
        while True:
            m = rx.search(self.buf)
            if m:
                before, self.buf = self.buf[:m.start()], self.buf[m.end():]
                return before, m
            left = end - time.monotonic()
            if left <= 0:
                tail = self.buf[-400:].decode(errors="replace")
                raise TimeoutError(f"no {pattern!r} in {seconds}s; last: {tail!r}")
            try:
                chunk = self.s.recv(65536)
            except BlockingIOError:
                time.sleep(min(0.05, left))
                continue
            if not chunk:
                raise EOFError("console closed")
            self.buf += chunk


# busybox ash may follow its prompt with a cursor position query (ESC[6n)
PROMPT = rb"\n[^\n]*[#$] (\x1b\[6n)?$"


def login(c, user, password):
    # A getty may be between prompts: a bare newline brings the next one.
    for _ in range(3):
        c.send("\n")
        try:
            c.expect(rb"login: $", 10)
            break
        except TimeoutError:
            continue
    else:
        raise TimeoutError("no login prompt")
    c.send(user + "\n")
    c.expect(rb"[Pp]assword: $", 10)
    c.send(password + "\n")
    c.expect(PROMPT, 20)
    # a serial line has no size: without one, ash wraps at 80 columns and
    # redraws long command lines
    run(c, 10, "stty columns 1000")


def run(c, seconds, command):
    """Runs command in the shell; returns (output, exit status)."""
    token = "%x" % int.from_bytes(os.urandom(6), "big")
    # Markers around the output. The echo of the typed line shows them as
    # `@@S@@TOKEN;` and `@@$?@@TOKEN`, which the patterns (end of line; a
    # number) do not match: only what the commands print does.
    c.send(f"echo @@S@@{token}; {command}; echo @@$?@@{token}\n")
    c.expect(rb"@@S@@" + token.encode() + rb"\r?\n", seconds)
    before, m = c.expect(rb"@@(\d+)@@" + token.encode() + rb"\r?\n", seconds)
    return before.decode(errors="replace").replace("\r", ""), int(m.group(1))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    c = Console(argv[1])
    cmd = argv[2]
    try:
        if cmd == "wait":
            c.expect(argv[3].encode(), float(argv[4]))
            return 0
        if cmd == "login":
            login(c, argv[3], argv[4])
            return 0
        if cmd == "run":
            text, status = run(c, float(argv[3]), argv[4])
            sys.stdout.write(text)
            return status
    except (TimeoutError, EOFError) as e:
        print(f"console: {e}", file=sys.stderr)
        return 124
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
