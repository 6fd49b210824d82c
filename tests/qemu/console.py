#!/usr/bin/python3
"""Drive the guest's serial console through QEMU's `-chardev socket`.

The console tty runs the console program (`scanwall --login`, src/console);
its `start shell` gives the root shell the checks run their commands in.

  console.py SOCK wait REGEX SECONDS     until REGEX appears on the console
  console.py SOCK login PASSWORD [first] the console program's login; with
                                         `first` its first start, which asks
                                         for the new password twice
  console.py SOCK cli SECONDS COMMAND    a console command at the CLI prompt,
                                         print its output
  console.py SOCK configure SECONDS LINE...
                                         `configure`, each LINE at the
                                         configuration prompt, `exit`; prints
                                         the output and then the CLI prompt
                                         that follows as "PROMPT technician@HOST>"
  console.py SOCK prompt SECONDS         an empty line at the CLI prompt; prints
                                         the prompt (technician@HOST>)
  console.py SOCK shell                  `start shell` at the CLI prompt,
                                         until the shell's prompt
  console.py SOCK unshell                `exit` in that shell, until the CLI
                                         prompt is back
  console.py SOCK run SECONDS COMMAND    run COMMAND in the shell, print its
                                         output, exit with its status

Each call connects anew; the guest keeps its session between calls, and
each call leaves the console where its name says (CLI or shell). The whole
console is also in QEMU's logfile=, for the record.
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
# the console program's operational prompt; libedit may add cursor motion
CLI = rb"technician@[\w.-]+> (\x1b\[[0-9;]*[A-Za-z])*$"
# and its configuration prompt
CONF = rb"technician@[\w.-]+# (\x1b\[[0-9;]*[A-Za-z])*$"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def login(c, password, first):
    """The console program's own login. The caller has seen its prompt in
    the log (what came before this connection is not on the socket), so
    the password goes first: a bare newline would be a wrong password."""
    c.send(password + "\n")
    if first:
        c.expect(rb"Retype new password: $", 20)
        c.send(password + "\n")
        c.expect(rb"Password set\.", 30)
    c.expect(CLI, 60)


def cli(c, seconds, command):
    """One console command; returns its output, without the echo of the
    typed line and the terminal's escape sequences."""
    c.send(command + "\r")
    before, _ = c.expect(CLI, seconds)
    text = ANSI.sub("", before.decode(errors="replace")).replace("\r", "")
    return text.split("\n", 1)[1] if "\n" in text else ""


def clean(raw):
    return ANSI.sub("", raw.decode(errors="replace")).replace("\r", "")


def configure(c, seconds, lines):
    """configure, each line, exit: the output, then the prompt that follows."""
    out = []
    for line in ["configure"] + lines:
        c.send(line + "\r")
        before, _ = c.expect(CONF, seconds)
        out.append(clean(before))
    c.send("exit\r")
    before, m = c.expect(CLI, seconds)
    out.append(clean(before))
    out.append("PROMPT " + clean(m.group(0)).strip())
    return "\n".join(out) + "\n"


def shell(c):
    c.send("start shell\r")
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
            login(c, argv[3], argv[4:5] == ["first"])
            return 0
        if cmd == "cli":
            sys.stdout.write(cli(c, float(argv[3]), argv[4]))
            return 0
        if cmd == "configure":
            sys.stdout.write(configure(c, float(argv[3]), argv[4:]))
            return 0
        if cmd == "prompt":
            c.send("\r")
            _, m = c.expect(CLI, float(argv[3]))
            print(clean(m.group(0)).strip())
            return 0
        if cmd == "shell":
            shell(c)
            return 0
        if cmd == "unshell":
            c.send("exit\n")
            c.expect(CLI, 20)
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
