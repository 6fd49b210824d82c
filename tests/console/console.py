#!/usr/bin/python3
"""Drives build/scanwall through a pseudo-terminal as a technician would.

    console.py SCANWALL WORKDIR [CTL_SOCK GOOD_BUNDLE BAD_BUNDLE POLICY_SHA]

Each check prints "PASS name" or "FAIL name (why)"; run.sh turns them into
ok/fail. Without a control socket only the checks that need no scanwalld
run. Every wait has a timeout; every child is killed at the end.

A commit takes effect on the machine running the console (host name, the
mgmt port's address), so run.sh runs this driver, and every console it
starts, in a network and a UTS namespace of their own (SW_APPLY_NS names
the network namespace, which has a port named mgmt); the checks of what a
commit applies run only there. Every scanwall started here gets the apply
paths of its state directory (STATE/mgmt, STATE/run), never the firmware's.
"""
import filecmp
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time

SCANWALL, WORK = sys.argv[1], sys.argv[2]
CTL = sys.argv[3] if len(sys.argv) > 3 else None
NS = os.environ.get("SW_APPLY_NS")          # the network namespace we run in
USB = os.environ.get("SW_USB", WORK + "/usb")   # the CA files (run.sh makes them)
WRAPPERS = os.environ.get("SW_WRAPPERS")    # firmware/rootfs/usr/libexec/scanwall
HOSTNAME_FILE = WORK + "/hostname"          # the "image's" host name
PASSWORD = "correct-horse-42"
children = []


def sw_args(state, control=None):
    """The options of every scanwall run here: its state, and where its
    commits take effect (inside its state directory, never the firmware's
    /state/mgmt and /run/scanwall)."""
    return ["--state", state, "--control", control or CTL or WORK + "/none.sock",
            "--mgmt-dir", state + "/mgmt", "--run-dir", state + "/run", "--mgmt-if", "mgmt",
            "--hostname-file", HOSTNAME_FILE]


def sw(state, *args, control=None, **kw):
    """scanwall ARGS... from a shell; the CompletedProcess."""
    return subprocess.run([SCANWALL] + sw_args(state, control) + list(args), capture_output=True,
                          text=True, timeout=kw.pop("timeout", 15), **kw)


def report(ok, name, why=""):
    print("PASS %s" % name if ok else "FAIL %s (%s)" % (name, why[-300:].replace("\n", "|")), flush=True)
    return ok


class Console:
    """One scanwall process on a pty, with expect()."""

    def __init__(self, state, *args, term="vt100"):
        argv = [SCANWALL] + sw_args(state) + list(args)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = term
            os.execv(SCANWALL, argv)
        children.append(self.pid)
        self.buf = b""
        self.mark = 0

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return None
        if not data:
            return None
        self.buf += data
        return True

    def expect(self, pattern, timeout=10):
        """Waits for pattern (regex, bytes) after the last match."""
        rx = re.compile(pattern if isinstance(pattern, bytes) else pattern.encode())
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf, self.mark)
            if m:
                self.mark = m.end()
                return m
            left = end - time.monotonic()
            if left <= 0 or self.read(min(left, 0.2)) is None:
                m = rx.search(self.buf, self.mark)
                if m:
                    self.mark = m.end()
                return m

    def since(self):
        return self.buf[self.mark:].decode("latin1")

    def send(self, data):
        os.write(self.fd, data.encode("latin1") if isinstance(data, str) else data)

    def line(self, text, prompt=r"technician@\S+[>#] $", timeout=10):
        """Types a command, returns its output up to the next prompt."""
        start = len(self.buf)
        self.send(text + "\r")
        m = self.expect(prompt, timeout)
        out = self.buf[start:m.start() if m else len(self.buf)].decode("latin1")
        return out.replace("\r", "")

    def alive(self):
        return os.waitpid(self.pid, os.WNOHANG) == (0, 0)

    def wait_exit(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.read(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                children.remove(self.pid)
                return status
        return None

    def close(self):
        if self.pid in children:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            children.remove(self.pid)
        os.close(self.fd)


def new_state(name):
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    return d


def events(state):
    try:
        with open(os.path.join(state, "console", "events.json")) as f:
            return [json.loads(l) for l in f]
    except FileNotFoundError:
        return []


def reasons(state):
    return [e["reason"] for e in events(state)]


def first_boot(state, *args):
    """A fresh unit: set the password, return the logged-in console."""
    c = Console(state, "--login", *args)
    c.expect("New password: ")
    c.send(PASSWORD + "\r")
    c.expect("Retype new password: ")
    c.send(PASSWORD + "\r")
    c.expect(r"technician@\S+> $")
    return c


def login(state, *args, password=PASSWORD):
    c = Console(state, "--login", *args)
    if not c.expect("Password: "):
        return c, False
    c.send(password + "\r")
    return c, bool(c.expect(r"technician@\S+> $"))


# --- checks without scanwalld ---------------------------------------------

def t_first_boot():
    st = new_state("first")
    c = Console(st, "--login")
    c.expect("New password: ")
    c.send("short\r")
    report(bool(c.expect("Too short")), "console: first boot refuses a short password")
    c.expect("New password: ")
    c.send(PASSWORD + "\r")
    c.expect("Retype new password: ")
    c.send(PASSWORD + "x\r")
    report(bool(c.expect("The passwords differ")), "console: first boot refuses two different passwords")
    c.expect("New password: ")
    c.send(PASSWORD + "\r")
    c.expect("Retype new password: ")
    c.send(PASSWORD + "\r")
    ok = c.expect(r"technician@scanwall> $")
    report(bool(ok), "console: first boot sets the password and logs in", c.since())
    report(PASSWORD.encode() not in c.buf, "console: the password is never echoed")
    c.send("exit\r")
    report(c.wait_exit(5) is not None, "console: exit logs out")
    c.close()
    path = os.path.join(st, "console", "passwd")
    with open(path) as f:
        h = f.read()
    report(h.startswith("$y$") and PASSWORD not in h, "console: the password is stored as a yescrypt hash", h[:8])
    report(oct(os.stat(path).st_mode & 0o777) == "0o600", "console: the password file is mode 0600")
    c, ok = login(st)
    report(ok, "console: the password logs in after a restart", c.since())
    c.close()
    r = reasons(st)
    report("console: password set at first start" in r and r.count("console: login") >= 2 and
           all(e["event"] == "system" and "ts" in e for e in events(st)),
           "console: first boot and logins are system events", str(r))


def t_lockout():
    st = new_state("lock")
    first_boot(st).close()
    c = Console(st, "--login", "--lockout", "4")
    fails = 0
    for i in range(5):
        if not c.expect("Password: "):
            break
        c.send("wrong-password-%d\r" % i)
        fails += bool(c.expect("Login incorrect"))
    report(fails == 5, "console: five wrong passwords are refused", "%d refused" % fails)
    report(bool(c.expect(r"locked after failed logins: \d+ s left")), "console: then the console locks", c.since())
    c.close()
    # a restart (power cycle, respawn) does not reset the lock
    c = Console(st, "--login", "--lockout", "4")
    m = c.expect(r"locked after failed logins: \d+ s left|Password: ", 5)
    report(m is not None and b"locked" in m.group(0), "console: the lock survives a restart",
           c.since())
    c.send(PASSWORD + "\r")     # typed during the lock: dropped, not tried
    ok = c.expect("Password: ", 10)
    report(bool(ok), "console: after the lockout time the password is asked again")
    c.send(PASSWORD + "\r")
    report(bool(c.expect(r"technician@\S+> $")), "console: ...and the right one logs in", c.since())
    c.close()
    r = reasons(st)
    report(sum("login failed" in x for x in r) == 5 and any("locked for 4 s after 5" in x for x in r),
           "console: each failure and the lock are events", str(r))


def t_configure():
    st = new_state("conf")
    c = first_boot(st, "--confirm-unit", "1")
    out = c.line("configure", r"technician@\S+# $")
    c.line("set hostname box1", r"# $")
    out = c.line("set management-address 300.1.1.1/24", r"# $")
    report("error: management-address" in out, "console: a bad value is refused at set", out)
    c.line("set management-address 192.0.2.10/24", r"# $")
    c.line("set ntp-server pool.ntp.org", r"# $")
    out = c.line("show | compare", r"# $")
    report("+ hostname box1" in out and "+ management-address 192.0.2.10/24" in out and "+ ntp-server pool.ntp.org" in out,
           "console: show | compare lists the candidate's changes", out)
    with open(os.path.join(st, "console", "config")) if os.path.exists(os.path.join(st, "console", "config")) else open(os.devnull) as f:
        report("box1" not in f.read(), "console: nothing is in force before commit")
    out = c.line("commit", r"technician@box1# $")
    report("commit complete" in out, "console: commit puts it in force (prompt shows the host name)", out)
    report("no DNS resolver; pool.ntp.org" in out, "console: a server given by name gets a note (no resolver on the box)", out)
    c.line("exit", r"> $")
    c.close()
    with open(os.path.join(st, "console", "config")) as f:
        text = f.read()
    report("hostname box1\n" in text and "ntp-server pool.ntp.org\n" in text, "console: the configuration is on disk", text)
    report(not [n for n in os.listdir(os.path.join(st, "console")) if n.endswith(".tmp")],
           "console: no temporary file is left")
    c, ok = login(st, "--confirm-unit", "1")
    out = c.line("show configuration")
    report("hostname box1" in out and "management-address 192.0.2.10/24" in out,
           "console: the configuration survives a restart", out)

    # commit confirmed, unconfirmed: reverts by itself
    c.line("configure", r"# $")
    c.line("set hostname risky", r"# $")
    c.line("delete ntp-server", r"# $")
    out = c.line("commit confirmed 2", r"technician@risky# $")
    report("reverts in 2 minutes" in out, "console: commit confirmed arms the timer", out)
    reverted = c.expect("previous configuration is back in force", 8)
    report(bool(reverted), "console: unconfirmed, the commit reverts by itself")
    out = c.line("run show configuration", r"# $")
    report("hostname box1" in out and "ntp-server pool.ntp.org" in out, "console: ...back to the previous configuration", out)

    # commit confirmed, then confirmed: stays (3 units: the deadline is in
    # whole seconds, so one unit may be only a few milliseconds away)
    c.line("set hostname kept", r"# $")
    c.line("commit confirmed 3", r"# $")
    out = c.line("commit", r"# $")
    report("stays" in out, "console: a second commit confirms", out)
    time.sleep(4)
    out = c.line("run show configuration", r"# $")
    report("hostname kept" in out and "back in force" not in c.since(), "console: a confirmed commit stays", out)

    # a commit confirmed survives a restart of the console as a deadline
    c.line("set hostname reboot", r"# $")
    c.line("commit confirmed 1", r"# $")
    c.close()
    time.sleep(1.5)
    out = sw(st, "show", "configuration", timeout=10).stdout
    report("hostname kept" in out, "console: a commit unconfirmed across a restart reverts at the next start", out)

    # rollback
    c, ok = login(st)
    c.line("configure", r"# $")
    out = c.line("rollback 3", r"# $")
    out = c.line("show | compare", r"# $")
    report("- hostname kept" in out and "+ hostname box1" in out, "console: rollback 3 loads an earlier configuration", out)
    c.line("commit", r"technician@box1# $")
    out = c.line("rollback 9", r"# $")
    report("no rollback 9" in out, "console: a rollback that does not exist is refused", out)
    c.line("set hostname unsaved", r"# $")
    out = c.line("exit", r"> $")
    report("uncommitted changes discarded" in out, "console: exit warns about uncommitted changes", out)
    out = c.line("show configuration")
    report("hostname box1" in out, "console: rollback then commit is in force", out)
    c.close()
    r = reasons(st)
    report(any(x.startswith("console: commit (") for x in r) and any("reverted" in x for x in r),
           "console: commits and reverts are events", str(r[-6:]))


def t_garbage():
    st = new_state("garbage")
    c = first_boot(st)
    junk = bytes(range(1, 32)).replace(b"\x03", b"").replace(b"\x04", b"").replace(b"\x1a", b"").replace(b"\x1c", b"")
    # ^S (XOFF) alone: must not freeze the console's output
    for chunk in [b"\x13", b"\xff\xfe\x80garbage", b"\x1b[6n\x1b]0;x\x07", b"sh\x00ow", junk, os.urandom(300).replace(b"\x04", b"")]:
        c.send(chunk + b"\r")
        time.sleep(0.2)
    c.send(b"show conf" + b"x" * 3000 + b"\r")
    time.sleep(1)
    c.send(b"half a li")      # a half line, then the cable comes back
    time.sleep(0.3)
    c.send(b"\x15")             # ^U: the technician clears it
    c.read(0.5)
    c.mark = len(c.buf)
    out = c.line("show configuration", timeout=15)
    report(c.alive(), "console: garbage bytes do not kill the console")
    report("line too long" in c.buf.decode("latin1"), "console: a very long line is refused with an error")
    report("error" in out or out.strip().endswith("configuration") or "show configuration" in out,
           "console: after garbage a command still runs", out[-200:])
    out = c.line("help")
    report("configure" in out and "factory-reset" in out, "console: help lists the commands", out)
    c.send("show ?")
    ok = c.expect(b"(?s)Possible completions:.*interfaces", 5)
    report(bool(ok), "console: ? lists what may follow")
    c.send("\x15")
    c.line("")
    c.send("sh\tfl\t")
    time.sleep(0.5)
    out = c.line("")
    # the completed command ran (with no scanwalld: and found none)
    report("does not answer" in out or "Proto Source" in out, "console: tab completes words", out)
    c.close()


def t_long_line():
    """A 100 KB line, as a stuck key or a wrong paste sends it: nothing past
    256 characters reaches libedit (Debian 12's crashes from some thousands
    on), a bell says so, and the line is refused, not run cut short."""
    st = new_state("longline")
    c = first_boot(st)
    start = len(c.buf)
    data = b"show configuration " + b"x" * 100000 + b"\r"
    end = time.monotonic() + 60
    for i in range(0, len(data), 1024):
        # a console that stops reading must fail the test, not hang it
        while not select.select([], [c.fd], [], 0.2)[1] and time.monotonic() < end:
            c.read(0)
        if time.monotonic() >= end:
            break
        c.send(data[i:i + 1024])
        c.read(0.005)
    c.mark = start
    refused = c.expect(r"line too long[^\n]*\n[^\n]*technician@\S+> $", 30)
    report(c.alive(), "console: a 100 KB line does not crash it")
    report(bool(refused), "console: ...the line is refused whole", c.buf[-300:].decode("latin1"))
    report(b"\x07" in c.buf[start:], "console: ...characters past 256 get a bell")
    out = c.line("show configuration", timeout=15)
    report(c.alive() and "line too long" not in out and "error" not in out,
           "console: ...and the next command runs", out[-200:])
    # bytes past ASCII handed to libedit one by one crashed it now and then
    for _ in range(8):
        c.send(os.urandom(3000).replace(b"\x04", b"") + b"\r")
        c.read(0.3)
    c.send(b"\x15")
    c.read(0.5)
    c.mark = len(c.buf)
    out = c.line("show configuration", timeout=15)
    report(c.alive(), "console: 24 KB of random bytes do not crash it either")
    c.close()


def t_plain_stdin():
    """Not a terminal: a pipe. The same commands, line by line."""
    st = new_state("pipe")
    first_boot(st).close()
    p = subprocess.run([SCANWALL] + sw_args(st, WORK + "/none.sock"),
                       input=b"show \x01\xff\nconfigure\nset hostname piped\ncommit\nexit\nexit\n",
                       capture_output=True, timeout=15)
    out = p.stdout.decode("latin1")
    report("non-printable" in out and "commit complete" in out and p.returncode == 0,
           "console: commands from a pipe, garbage refused", out[-300:])


def t_idle():
    st = new_state("idle")
    first_boot(st).close()
    c, ok = login(st, "--timeout", "2")
    gone = c.wait_exit(8)
    report(gone is not None and b"logged out" in c.buf, "console: idle logout after the console timeout", c.since())
    c.close()
    report(any("idle 2 s" in x for x in reasons(st)), "console: the idle logout is an event")


def t_start_shell():
    st = new_state("shell-start")
    c = first_boot(st)
    out = c.line("start ?")
    report("shell" in out and "maintenance shell" in out, "console: start ? lists shell", out)
    # typed with Tab completion; the shell on the same terminal prints a
    # marker computed so that the echo of the typed line cannot match it
    c.send("sta\tsh\t")
    time.sleep(0.5)
    c.send("\r")
    c.send("echo hi-from-$((6*7))-shell\r")
    ok = c.expect(r"hi-from-42-shell", 10)
    report(bool(ok), "console: start shell (Tab-completed) runs a shell on the terminal", c.since())
    c.send("echo pgid=$(ps -o pgid= -p $$ | tr -d ' ') tpgid=$(ps -o tpgid= -p $$ | tr -d ' ')\r")
    m = c.expect(r"pgid=(\d+) tpgid=(\d+)", 10)
    report(m is not None and m.group(1) == m.group(2) and int(m.group(1)) != c.pid,
           "console: the shell is the terminal's foreground process group", c.since())
    c.send("exit\r")
    ok = c.expect(r"technician@\S+> $", 10)
    report(bool(ok) and c.alive(), "console: exit in the shell returns to the CLI", c.since())
    out = c.line("show configuration")
    report("error" not in out, "console: ...and the CLI runs commands again", out)
    c.send("exit\r")
    report(c.wait_exit(5) is not None, "console: ...and logs out as before")
    c.close()
    r = reasons(st)
    report("console: start shell" in r and "console: shell exited (status 0)" in r,
           "console: start shell and its end are system events", str(r))
    p = sw(st, "start", "shell", control=WORK + "/none.sock")
    report(p.returncode != 0 and "interactive" in p.stdout and "hi-from" not in p.stdout,
           "console: start shell is refused from a shell's command line", p.stdout)
    p = subprocess.run([SCANWALL] + sw_args(st, WORK + "/none.sock"),
                       input=b"start shell\necho hi-from-$((6*7))-pipe\nexit\n", capture_output=True, timeout=15)
    out = p.stdout.decode("latin1")
    report("needs a logged-in console on a terminal" in out and "hi-from-42" not in out,
           "console: start shell is refused without a terminal", out[-300:])
    report(reasons(st).count("console: start shell") == 1, "console: a refused start shell starts nothing")


def t_factory_reset():
    st = new_state("reset")
    with open(os.path.join(st, "serial"), "w") as f:
        f.write("SW-0042\n")
    c = first_boot(st)
    c.line("configure", r"# $")
    c.line("set hostname box9", r"# $")
    c.line("commit", r"# $")
    c.line("exit", r"> $")
    c.send("factory-reset\r")
    c.expect("serial number to confirm: ")
    out = c.line("SW-0041")
    report("does not match" in out and os.path.exists(os.path.join(st, "console", "passwd")),
           "console: factory-reset refuses a wrong serial number", out)
    c.send("factory-reset\r")
    c.expect("serial number to confirm: ")
    c.send("SW-0042\r")
    report(c.wait_exit(5) is not None and b"Factory reset done" in c.buf, "console: factory-reset with the serial number")
    c.close()
    report(not os.path.exists(os.path.join(st, "console", "passwd")) and
           not os.path.exists(os.path.join(st, "console", "config")),
           "console: ...password and configuration are gone")
    c = Console(st, "--login")
    report(bool(c.expect("New password: ")), "console: ...and the next start is a first boot")
    c.close()


# --- what a commit puts in force (in the namespaces run.sh made) ------------

def in_own_uts():
    """True when this driver has a host name of its own (never change the
    machine's): run.sh names the UTS namespace it was started in."""
    try:
        return os.readlink("/proc/self/ns/uts") != os.environ.get("SW_HOST_UTS", "")
    except OSError:
        return False


def apply_ready(name):
    if NS and in_own_uts():
        return True
    report(False, "console: %s runs (needs root: run.sh's network and UTS namespaces)" % name)
    return False


def hostname():
    return subprocess.run(["hostname"], capture_output=True, text=True, timeout=5).stdout.strip()


def mgmt_addrs():
    """What the real ip says is on the mgmt port: (flags, addresses)."""
    link = subprocess.run(["ip", "-n", NS, "-o", "link", "show", "dev", "mgmt"], capture_output=True,
                          text=True, timeout=5).stdout
    addr = subprocess.run(["ip", "-n", NS, "-o", "addr", "show", "dev", "mgmt"], capture_output=True,
                          text=True, timeout=5).stdout
    flags = re.search(r"<([^>]*)>", link)
    return (flags.group(1).split(",") if flags else []), re.findall(r"inet6? (\S+)", addr)


def fake_daemon(state, name):
    """A stand-in for a daemon's wrapper: a sleep whose pid is in its pidfile."""
    os.makedirs(state + "/run", exist_ok=True)
    p = subprocess.Popen(["sleep", "600"])
    with open("%s/run/%s.pid" % (state, name), "w") as f:
        f.write("%d\n" % p.pid)
    return p


def terminated(p, timeout=5):
    """True when p ended by SIGTERM within timeout (and reaps it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and p.poll() is None:
        time.sleep(0.05)
    if p.poll() is None:
        p.kill()
        p.wait()
        return False
    return p.returncode == -signal.SIGTERM


def same(a, b):
    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def t_apply():
    if not apply_ready("the checks of what a commit applies"):
        return
    st = new_state("apply")
    ca = st + "/mgmt/client-ca.pem"
    with open(os.path.join(st, "serial"), "w") as f:
        f.write("SW-0077\n")
    subprocess.run(["ip", "-n", NS, "addr", "flush", "dev", "mgmt"], timeout=5)
    subprocess.run(["ip", "-n", NS, "link", "set", "dev", "mgmt", "down"], timeout=5)
    subprocess.run(["hostname", "before-test"], timeout=5)
    mgmtd, ntpd = fake_daemon(st, "mgmtd"), fake_daemon(st, "ntpd")
    c = first_boot(st, "--confirm-unit", "1")
    c.line("configure", r"# $")
    c.line("set hostname ct-room-2", r"# $")
    c.line("set management-address 198.51.100.7/24", r"# $")
    c.line("set client-ca %s/ca1.pem" % USB, r"# $")
    out = c.line("commit", r"technician@\S+# $")
    report("commit complete" in out and c.buf.endswith(b"technician@ct-room-2# "),
           "console: commit, and the prompt shows the new host name", out)
    report(hostname() == "ct-room-2", "console: ...the box's host name (hostname) is the new one", hostname())
    flags, addrs = mgmt_addrs()
    report(addrs == ["198.51.100.7/24"] and "UP" in flags,
           "console: ...the address is on mgmt and the port is up (ip addr show)", str((flags, addrs)))
    report(same("%s/ca1.pem" % USB, ca), "console: ...client-ca.pem is a byte-identical copy of the CA file")
    report(terminated(mgmtd) and ntpd.poll() is None,
           "console: ...SIGTERM to the pid in mgmtd.pid (a restart), none to ntpd's")
    ntpd.kill()
    ntpd.wait()
    report("hostname: ct-room-2" in out and "management-address: 198.51.100.7/24 on mgmt" in out,
           "console: ...and the console says what it applied", out)
    c.line("exit", r"> $")
    c.send("start shell\r")
    c.send("echo HOST=$(hostname)=$((6*7))\r")
    m = c.expect(r"HOST=(\S+)=42", 10)
    report(m is not None and m.group(1) == b"ct-room-2", "console: start shell: hostname in the shell is the new one",
           c.since())
    c.send("exit\r")
    c.expect(r"technician@\S+> $", 10)

    # commit confirmed, not confirmed: it goes back, without the first CA's file
    mgmtd, ntpd = fake_daemon(st, "mgmtd"), fake_daemon(st, "ntpd")
    c.line("configure", r"# $")
    c.line("set management-address 198.51.100.9/24", r"# $")
    c.line("set client-ca %s/ca2.pem" % USB, r"# $")
    c.line("set ntp-server 192.0.2.123", r"# $")
    out = c.line("commit confirmed 3", r"# $")
    flags, addrs = mgmt_addrs()
    report(addrs == ["198.51.100.9/24"] and same("%s/ca2.pem" % USB, ca) and terminated(mgmtd) and terminated(ntpd),
           "console: commit confirmed applies at once (new address only, new CA, both daemons restarted)",
           out + str(addrs))
    report("ntp-server: 192.0.2.123" in out and "DNS" not in out,
           "console: a server given by address gets no resolver note", out)
    os.rename("%s/ca1.pem" % USB, "%s/ca1.gone" % USB)     # the stick is gone
    mgmtd, ntpd = fake_daemon(st, "mgmtd"), fake_daemon(st, "ntpd")
    reverted = c.expect(r"previous configuration is back in force", 12)
    end = time.monotonic() + 5      # the event comes once the revert is applied
    while time.monotonic() < end and not any(r.startswith("console: applied after revert (") for r in reasons(st)):
        time.sleep(0.1)
    flags, addrs = mgmt_addrs()
    report(bool(reverted) and addrs == ["198.51.100.7/24"],
           "console: unconfirmed, the revert removes the new address and puts the old one back", str(addrs))
    report(same("%s/ca1.gone" % USB, ca), "console: ...and the first CA's copy, with its file gone")
    report(terminated(mgmtd) and terminated(ntpd), "console: ...and restarts both daemons again")
    report(any(r.startswith("console: applied after revert (") for r in reasons(st)),
           "console: ...an event says the revert was applied", str(reasons(st)[-3:]))

    # a CA file that is missing, or is not one: the commit is refused whole
    with open(st + "/console/config") as f:
        before = f.read()
    c.line("set hostname other-name", r"# $")
    c.line("set client-ca %s/missing.pem" % USB, r"# $")
    out = c.line("commit", r"technician@\S+# $")
    report("error: client-ca %s/missing.pem: No such file or directory" % USB in out and
           "error: commit failed: nothing changed" in out, "console: a commit with a missing CA file fails", out)
    c.line("set client-ca %s/notes.txt" % USB, r"# $")
    out = c.line("commit", r"technician@\S+# $")
    report("no PEM certificate" in out and "commit failed" in out, "console: ...and one with a file that is no CA", out)
    with open(st + "/console/config") as f:
        after = f.read()
    report(after == before and hostname() == "ct-room-2" and c.buf.endswith(b"technician@ct-room-2# ") and
           same("%s/ca1.gone" % USB, ca) and not os.path.exists(ca + ".new"),
           "console: ...and changes nothing (configuration, host name, prompt, CA copy)", after)
    c.line("exit", r"> $")

    # boot: `scanwall apply` puts it all back, without the CA's file
    subprocess.run(["ip", "-n", NS, "addr", "flush", "dev", "mgmt"], timeout=5)
    subprocess.run(["hostname", "booted"], timeout=5)
    p = sw(st, "apply")
    flags, addrs = mgmt_addrs()
    report(p.returncode == 0 and addrs == ["198.51.100.7/24"] and hostname() == "ct-room-2" and same("%s/ca1.gone" % USB, ca),
           "console: scanwall apply (boot) puts host name and address in force again", p.stdout + p.stderr)
    g1, g2, g3 = sw(st, "config", "get", "hostname"), sw(st, "config", "get", "ntp-server"), sw(st, "config", "get", "colour")
    report((g1.returncode, g1.stdout, g2.returncode, g2.stdout, g3.returncode) == (0, "ct-room-2\n", 1, "", 2),
           "console: scanwall config get: the value, exit 1 unset, 2 unknown", str((g1, g2, g3)))

    # factory-reset: the empty configuration in force
    mgmtd = fake_daemon(st, "mgmtd")
    c.send("factory-reset\r")
    c.expect("serial number to confirm: ")
    c.send("SW-0077\r")
    gone = c.wait_exit(10)
    c.close()
    flags, addrs = mgmt_addrs()
    with open(HOSTNAME_FILE) as f:
        default = f.read().strip()
    report(gone is not None and addrs == [] and hostname() == default and not os.path.exists(ca) and terminated(mgmtd),
           "console: factory-reset clears the address, the host name (the image's), the CA copy",
           str((addrs, hostname(), default)))


def t_timeout_apply():
    """console-timeout: the session in which it is committed uses it."""
    st = new_state("timeout")
    c = first_boot(st)
    c.line("configure", r"# $")
    c.line("set console-timeout 5", r"# $")
    out = c.line("commit", r"# $")
    c.line("exit", r"> $")
    t0 = time.monotonic()
    gone = c.wait_exit(15)
    took = time.monotonic() - t0
    report("console-timeout: 5" in out and gone is not None and b"Idle for 5 s" in c.buf and took < 9,
           "console: a committed console-timeout is the session's at once", "%.1f s %s" % (took, c.since()))
    c.close()


def t_revert_at_prompt():
    """A commit confirmed that runs out while the console waits for a
    password is reverted (and applied) then, not at the idle timeout."""
    st = new_state("prompt-revert")
    c = first_boot(st, "--confirm-unit", "1")
    c.line("configure", r"# $")
    c.line("set console-timeout 60", r"# $")
    c.line("commit", r"# $")
    c.line("set hostname waiting", r"# $")
    c.line("commit confirmed 3", r"# $")
    c.line("exit", r"> $")
    c.send("exit\r")
    c.wait_exit(5)
    c.close()
    c = Console(st, "--login", "--confirm-unit", "1")
    c.expect("Password: ")
    ok = c.expect("previous configuration is back in force", 10)
    with open(st + "/console/config") as f:
        conf = f.read()
    report(bool(ok) and "waiting" not in conf and c.alive(),
           "console: a commit confirmed that runs out at the password prompt is reverted then", c.since() + conf)
    c.close()


class Respawn:
    """busybox init's respawn for one wrapper, in a thread."""

    def __init__(self, path, env):
        self.path, self.env, self.stop, self.p = path, env, False, None
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            self.p = subprocess.Popen([self.path], env=self.env, stdin=subprocess.DEVNULL)
            self.p.wait()
            time.sleep(0.2)

    def end(self):
        self.stop = True
        for _ in range(5):
            if self.p and self.p.poll() is None:
                self.p.kill()
            self.t.join(1)
            if not self.t.is_alive():
                break


def wait_file(path, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            time.sleep(0.2)     # written whole
            with open(path) as f:
                return f.read().split("\n")[:-1]
        time.sleep(0.1)
    return None


def t_wrappers():
    """firmware's run-mgmtd and run-ntpd, on this host against a tree of
    their own (SW_ROOT), with stand-ins for the daemons that record their
    arguments: they wait until configured, start as the console's
    configuration says, and a commit restarts them."""
    if not apply_ready("the checks of run-mgmtd and run-ntpd") or not WRAPPERS:
        return
    root = new_state("root")
    st, run = root + "/state/scanwall", root + "/run/scanwall"
    for d in ("state/scanwall", "state/mgmt", "run/scanwall", "run/var/log", "usr/sbin", "usr/bin"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.symlink(SCANWALL, root + "/usr/bin/scanwall")
    for name in ("scanwall-mgmtd", "ntpd"):
        with open("%s/usr/sbin/%s" % (root, name), "w") as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$@" >"$SW_ROOT/%s.args"\nexec sleep 600\n' % name)
        os.chmod("%s/usr/sbin/%s" % (root, name), 0o755)
    env = dict(os.environ, SW_ROOT=root)
    inits = [Respawn(WRAPPERS + "/run-mgmtd", env), Respawn(WRAPPERS + "/run-ntpd", env)]
    m = root + "/state/mgmt"

    def pid(name):
        try:
            with open("%s/%s.pid" % (run, name)) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def comm(p):
        try:
            with open("/proc/%d/comm" % p) as f:
                return f.read().strip()
        except (OSError, TypeError):
            return None

    def commit(*lines):
        for f in ("scanwall-mgmtd.args", "ntpd.args"):
            if os.path.exists(os.path.join(root, f)):
                os.unlink(os.path.join(root, f))
        text = "configure\n" + "".join(l + "\n" for l in lines) + "commit\nexit\nexit\n"
        return subprocess.run([SCANWALL, "--state", st, "--mgmt-dir", m, "--run-dir", run, "--mgmt-if", "mgmt",
                               "--hostname-file", HOSTNAME_FILE, "--control", WORK + "/none.sock"],
                              input=text, capture_output=True, text=True, timeout=15).stdout

    try:
        time.sleep(1.5)
        report(comm(pid("mgmtd")) == "sleep" and comm(pid("ntpd")) == "sleep" and
               not os.path.exists(root + "/scanwall-mgmtd.args") and not os.path.exists(root + "/ntpd.args"),
               "console: run-mgmtd and run-ntpd wait (exec sleep, pid in the pidfile) until configured",
               str((pid("mgmtd"), comm(pid("mgmtd")), pid("ntpd"))))
        out = commit("set management-address 2001:db8::10/64", "set client-ca %s/ca2.pem" % USB,
                     "set syslog-collector 192.0.2.50", "set ntp-server 192.0.2.123")
        args = wait_file(root + "/scanwall-mgmtd.args")
        want = ["--listen", "[2001:db8::10]:443", "--cert", m + "/cert.pem", "--key", m + "/key.pem", "--make-cert",
                "--client-ca", m + "/client-ca.pem", "--control", run + "/ctl.sock", "--user", "scanwall",
                "--log", root + "/run/var/log/mgmtd.log", "--log-max", "1048576",
                "--crl", run + "/bundle-crl.crl", "--crl", m + "/client-crl.crl",
                "--syslog", "192.0.2.50:6514", "--syslog-ca", m + "/client-ca.pem"]
        report(args == want, "console: the commit starts scanwall-mgmtd on [ADDR]:443 with the CA copy, "
               "--make-cert, both CRL paths (neither exists yet), syslog on port 6514", "%s | %s" % (args, out))
        report(pid("mgmtd") == inits[0].p.pid and comm(pid("mgmtd")) == "sleep",
               "console: ...its pid is the wrapper's (mgmtd.pid), kept through exec", str(pid("mgmtd")))
        args = wait_file(root + "/ntpd.args")
        conf = run + "/ntpd.conf"
        try:
            with open(conf) as f:
                text = f.read()
            mode = os.stat(conf).st_mode & 0o777
            chroot = os.stat(root + "/run/openntpd").st_mode & 0o777
        except OSError as e:
            text, mode, chroot = str(e), None, None
        report(args == ["-d", "-s", "-f", conf] and pid("ntpd") == inits[1].p.pid,
               "console: ...and openntpd's ntpd -d -s -f /run/scanwall/ntpd.conf", str(args))
        report(text == "servers 192.0.2.123\n" and mode == 0o644 and chroot == 0o755 and
               os.path.isdir(root + "/var/lib/openntpd/run") and os.path.isdir(root + "/var/lib/openntpd/db"),
               "console: ...its configuration (mode 644) names the server; chroot and state directories made",
               "%r %s %s" % (text, oct(mode or 0), oct(chroot or 0)))

        with open(m + "/syslog-ca.pem", "w") as f:
            f.write(open("%s/ca2.pem" % USB).read())
        first = pid("mgmtd")
        commit("set syslog-collector [2001:db8::1]:1514")
        args = wait_file(root + "/scanwall-mgmtd.args") or []
        report(args[-4:] == ["--syslog", "[2001:db8::1]:1514", "--syslog-ca", m + "/syslog-ca.pem"] and
               pid("mgmtd") != first and not os.path.exists(root + "/ntpd.args"),
               "console: a new syslog-collector restarts mgmtd only; syslog-ca.pem when present", str(args))
        commit("set management-address 198.51.100.20/24", "set syslog-collector fd00::5")
        args = wait_file(root + "/scanwall-mgmtd.args") or []
        report(args[:2] == ["--listen", "198.51.100.20:443"] and args[-3:-1] == ["[fd00::5]:6514", "--syslog-ca"],
               "console: an IPv4 address listens on ADDR:443; a bare IPv6 collector gets [ ] and 6514", str(args))
        # roles: the management lines become mgmtd's --roles file
        first = pid("mgmtd")
        out = commit('set management operator "O=St Elsewhere, CN=pacs-admin"', "set management reader any",
                     "set management reader " + "AB:" * 31 + "CD")
        args = wait_file(root + "/scanwall-mgmtd.args") or []
        try:
            with open(run + "/mgmtd-roles") as f:
                roles = f.read()
        except OSError as e:
            roles = str(e)
        report("--roles" in args and args[args.index("--roles") + 1] == run + "/mgmtd-roles" and
               pid("mgmtd") != first and not os.path.exists(root + "/ntpd.args"),
               "console: management lines restart mgmtd with --roles", "%s | %s" % (args, out))
        report(roles == "operator subject O=St Elsewhere, CN=pacs-admin\n"
                        "reader spki-sha256 " + "ab" * 31 + "cd\nreader any\n",
               "console: ...the roles file: the operator by subject, a reader by SPKI hash, `any` last", roles)
        commit("delete management")
        args = wait_file(root + "/scanwall-mgmtd.args") or []
        report("--roles" not in args and not os.path.exists(run + "/mgmtd-roles"),
               "console: delete management: no --roles, every client a reader again", str(args))
        # client-crl: checked, copied where mgmtd's second --crl looks; mgmtd
        # reads it when it appears and when a new one takes its place, no restart
        first = pid("mgmtd")
        out = commit("set client-crl %s/notes.txt" % USB)
        report("error: client-crl %s/notes.txt: not a CRL" % USB in out and pid("mgmtd") == first and
               not os.path.exists(m + "/client-crl.crl"), "console: a client-crl that is no CRL is refused", out)
        out = commit("set client-crl %s/crl.der" % USB)
        time.sleep(1)
        report(same("%s/crl.der" % USB, m + "/client-crl.crl") and pid("mgmtd") == first and
               not os.path.exists(root + "/scanwall-mgmtd.args") and
               os.stat(m + "/client-crl.crl").st_mode & 0o777 == 0o644,
               "console: client-crl (DER) is copied (mode 644: mgmtd reads it as its own user), mgmtd not restarted", out)
        out = commit("set client-crl %s/crl.pem" % USB)
        time.sleep(1)
        report(same("%s/crl.pem" % USB, m + "/client-crl.crl") and pid("mgmtd") == first and
               not os.path.exists(root + "/scanwall-mgmtd.args"),
               "console: ...a new CRL (PEM) in its place, mgmtd not restarted (it reads it again)", out)
        # deleted: mgmtd keeps a list that goes away (fail safe), so it restarts
        out = commit("delete client-crl")
        args = wait_file(root + "/scanwall-mgmtd.args") or []
        report(not os.path.exists(m + "/client-crl.crl") and pid("mgmtd") != first and
               args.count("--crl") == 2, "console: delete client-crl removes the copy and restarts mgmtd",
               "%s | %s" % (args, out))
        # a signed bundle's CRL (scanwalld --bundle-crl): the first --crl, always passed
        os.unlink(root + "/scanwall-mgmtd.args")
        os.kill(pid("mgmtd"), signal.SIGTERM)
        args = wait_file(root + "/scanwall-mgmtd.args") or []
        crls = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--crl"]
        report(crls == [run + "/bundle-crl.crl", m + "/client-crl.crl"],
               "console: run-mgmtd passes the signed bundle's CRL and client-crl's, existing or not", str(args))
        first = pid("ntpd")
        commit("set ntp-server 2001:db8::123")
        args = wait_file(root + "/ntpd.args") or []
        with open(conf) as f:
            text = f.read()
        report(args == ["-d", "-s", "-f", conf] and text == "servers 2001:db8::123\n" and
               pid("ntpd") not in (None, first) and pid("ntpd") == inits[1].p.pid,
               "console: a new ntp-server restarts ntpd with a configuration that names it",
               "%s %r %s %s" % (args, text, first, pid("ntpd")))
    finally:
        for i in inits:
            i.end()


# --- checks against a running scanwalld -------------------------------------

def shell(*args):
    return sw(new_state("shell"), *args)


def t_show(sha):
    p = shell("show", "status", "--json")
    try:
        j = json.loads(p.stdout)
        ok = j["policy"]["sha256"] == sha and p.stdout.count("\n") == 1
    except (ValueError, KeyError):
        ok = False
    report(ok, "console: scanwall show status --json prints the control socket's JSON", p.stdout[:200])
    p = shell("show", "flows", "--json")
    try:
        ok = isinstance(json.loads(p.stdout)["flows"], list) and p.returncode == 0
    except (ValueError, KeyError):
        ok = False
    report(ok, "console: scanwall show flows --json", p.stdout[:200])
    p = shell("show", "status")
    report(sha in p.stdout and "Default action" in p.stdout and
           all(len(l) < 80 for l in p.stdout.splitlines()), "console: show status, pretty, 80 columns", p.stdout)
    p = shell("show", "counters")
    report("Rules:" in p.stdout and "CVE-2015-1635" in p.stdout and
           all(len(l) < 80 for l in p.stdout.splitlines()), "console: show counters", p.stdout[-400:])
    p = shell("show", "policy")
    report("default reject" in p.stdout, "console: show policy", p.stdout[-300:])
    p = shell("show", "keys")
    report(re.search(r"Keyring keys\s+3", p.stdout) is not None, "console: show keys", p.stdout)
    p = shell("configure")
    report(p.returncode != 0 and "interactive" in p.stdout, "console: configure is refused from a shell", p.stdout)
    p = sw(new_state("shell"), "show", "status", control=WORK + "/none.sock")
    report(p.returncode == 1 and "does not answer" in p.stdout, "console: no scanwalld is an error, not a hang", p.stdout)


def t_bundle(good, bad):
    st = new_state("bundle")
    c = first_boot(st)
    out = c.line("bundle install " + bad, timeout=30)
    report("refused" in out, "console: bundle install refuses a badly signed bundle", out)
    out = c.line("show bundle", timeout=15)
    report(re.search(r"installed_version\s+0", out) is not None, "console: ...nothing installed", out)
    out = c.line("bundle install " + good, timeout=30)
    report("ok: bundle-installed" in out, "console: bundle install installs a good bundle", out)
    out = c.line("show bundle", timeout=15)
    report(re.search(r"installed_version\s+2", out) is not None, "console: show bundle names the version", out)
    out = c.line("show events", timeout=15)
    report("bundle" in out and all(len(l) < 80 for l in out.splitlines()), "console: show events", out[-400:])
    report("console: login" in out, "console: the console's login is in the engine's events", out[-600:])
    c.close()


def main():
    try:
        for t in (t_first_boot, t_lockout, t_configure, t_garbage, t_long_line, t_plain_stdin, t_idle, t_start_shell,
                  t_factory_reset, t_apply, t_timeout_apply, t_revert_at_prompt, t_wrappers):
            try:
                t()
            except Exception as e:   # a crash of the driver is a failure, never a pass
                report(False, "console: %s ran through" % t.__name__, repr(e))
        if CTL:
            for t, args in ((t_show, (sys.argv[6],)), (t_bundle, (sys.argv[4], sys.argv[5]))):
                try:
                    t(*args)
                except Exception as e:
                    report(False, "console: %s ran through" % t.__name__, repr(e))
    finally:
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass


main()
