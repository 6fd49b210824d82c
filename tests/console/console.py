#!/usr/bin/python3
"""Drives build/scanwall through a pseudo-terminal as a technician would.

    console.py SCANWALL WORKDIR [CTL_SOCK GOOD_BUNDLE BAD_BUNDLE POLICY_SHA]

Each check prints "PASS name" or "FAIL name (why)"; run.sh turns them into
ok/fail. Without a control socket only the checks that need no scanwalld
run. Every wait has a timeout; every child is killed at the end.
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

SCANWALL, WORK = sys.argv[1], sys.argv[2]
CTL = sys.argv[3] if len(sys.argv) > 3 else None
PASSWORD = "correct-horse-42"
children = []


def report(ok, name, why=""):
    print("PASS %s" % name if ok else "FAIL %s (%s)" % (name, why[-300:].replace("\n", "|")), flush=True)
    return ok


class Console:
    """One scanwall process on a pty, with expect()."""

    def __init__(self, state, *args, term="vt100"):
        argv = [SCANWALL, "--state", state, "--control", CTL or WORK + "/none.sock"]
        argv += list(args)
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

    # commit confirmed, then confirmed: stays
    c.line("set hostname kept", r"# $")
    c.line("commit confirmed 1", r"# $")
    out = c.line("commit", r"# $")
    report("stays" in out, "console: a second commit confirms", out)
    time.sleep(2.5)
    out = c.line("run show configuration", r"# $")
    report("hostname kept" in out and "back in force" not in c.since(), "console: a confirmed commit stays", out)

    # a commit confirmed survives a restart of the console as a deadline
    c.line("set hostname reboot", r"# $")
    c.line("commit confirmed 1", r"# $")
    c.close()
    time.sleep(1.5)
    out = subprocess.run([SCANWALL, "--state", st, "show", "configuration"], capture_output=True, text=True, timeout=10).stdout
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


def t_plain_stdin():
    """Not a terminal: a pipe. The same commands, line by line."""
    st = new_state("pipe")
    first_boot(st).close()
    p = subprocess.run([SCANWALL, "--state", st, "--control", WORK + "/none.sock"],
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
    p = subprocess.run([SCANWALL, "--state", st, "--control", WORK + "/none.sock", "start", "shell"],
                       capture_output=True, text=True, timeout=15)
    report(p.returncode != 0 and "interactive" in p.stdout and "hi-from" not in p.stdout,
           "console: start shell is refused from a shell's command line", p.stdout)
    p = subprocess.run([SCANWALL, "--state", st, "--control", WORK + "/none.sock"],
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


# --- checks against a running scanwalld -------------------------------------

def shell(*args):
    return subprocess.run([SCANWALL, "--state", new_state("shell"), "--control", CTL] + list(args),
                          capture_output=True, text=True, timeout=15)


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
    p = subprocess.run([SCANWALL, "--state", new_state("shell"), "--control", WORK + "/none.sock", "show", "status"],
                       capture_output=True, text=True, timeout=15)
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
        for t in (t_first_boot, t_lockout, t_configure, t_garbage, t_plain_stdin, t_idle, t_start_shell,
                  t_factory_reset):
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
