/* The interactive console on a terminal: login, then the command loop.
 *
 * libedit (its readline interface) edits the line, keeps the history and
 * completes words; it is driven through its callback interface from a
 * poll() loop so that the loop wakes once a second for the idle logout
 * and the commit-confirmed deadline even while nobody types. Passwords
 * and confirmations are read by a small reader of our own, without echo
 * and with a hard length limit, never through libedit (no history).
 * On something that is not a terminal (a pipe in a test, a script) the
 * same reader takes every line. */
#include <editline/readline.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "scanwall/bootclock.h"
#include "console/cons.h"

#define TTY_HISTORY 100

static struct cons *tty_c;		/* for libedit's callbacks, which take no context */
static char *tty_line;
static bool tty_have_line, tty_hangup;
static bool tty_overflow;		/* this line lost characters to the cap */
static char *tty_matches[64];
static int tty_nmatches;
static struct termios tty_orig;	/* the terminal as init or getty left it */

static unsigned tty_timeout(const struct cons *c)
{
	return conf_timeout(&c->running, c->o.timeout);
}

/* --- a bounded line reader --------------------------------------------- */

struct rd {
	char *buf;
	size_t size, len;
	bool echo, too_long, bad;
};

/* 1: the line is complete, 0: more to come, -errno: stop. */
static int rd_byte(struct rd *r, unsigned char ch)
{
	static bool last_cr;
	bool was_cr = last_cr;

	last_cr = ch == '\r';
	if (ch == '\n' && was_cr)
		return 0;
	if (ch == '\r' || ch == '\n')
		return 1;
	if (ch == 4 && r->len == 0)
		return -ENODATA;
	if ((ch == 0x7f || ch == 8) && r->len) {
		r->len--;
		if (r->echo)
			fputs("\b \b", stdout);
		return 0;
	}
	if (ch < 0x20 || ch >= 0x7f)
		r->bad = true;
	else if (r->len + 1 >= r->size)
		r->too_long = true;
	else {
		r->buf[r->len++] = (char)ch;
		if (r->echo)
			fputc(ch, stdout);
	}
	return 0;
}

/* Wakes once a second: a commit confirmed that runs out while the console
 * waits here (at the password prompt, say) is reverted then, not when the
 * idle timeout ends the wait. */
static int tty_getline(struct cons *c, char *buf, size_t size, bool echo)
{
	struct rd r = { .buf = buf, .size = size, .echo = echo };
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	time_t last = (time_t)sw_boot_now();
	int ret = 0;
	unsigned char ch;

	fflush(stdout);
	while (!ret) {
		int p = poll(&pfd, 1, 1000);

		if (p < 0 && errno == EINTR)
			continue;
		if (p == 0) {
			cons_tick(c);
			if ((time_t)sw_boot_now() - last >= (time_t)tty_timeout(c))
				return -ETIMEDOUT;
			continue;
		}
		if (p < 0 || read(STDIN_FILENO, &ch, 1) != 1)
			return -ENODATA;
		last = (time_t)sw_boot_now();
		ret = rd_byte(&r, ch);
		fflush(stdout);
	}
	buf[r.len] = 0;
	if (ret < 0)
		return ret;
	return r.too_long ? -E2BIG : r.bad ? -EILSEQ : 0;
}

/* A prompt read byte by byte in non-canonical mode, the terminal's own echo
 * off: echo says whether we echo what was typed ourselves (never for a
 * password). */
static int tty_prompt_raw(void *ctx, const char *prompt, char *buf, size_t size, bool echo)
{
	struct termios old, raw;
	bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
	int err;

	fputs(prompt, stdout);
	if (tty) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	err = tty_getline(ctx, buf, size, echo && tty);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputs("\n", stdout);
	return err;
}

static int tty_secret(void *ctx, const char *prompt, char *buf, size_t size)
{
	int err = tty_prompt_raw(ctx, prompt, buf, size, false);

	/* a too long or garbled password is simply a wrong one */
	if (err == -E2BIG || err == -EILSEQ) {
		buf[0] = 0;
		err = 0;
	}
	return err;
}

static int tty_ask(struct cons *c, const char *prompt, char *buf, size_t size)
{
	return tty_prompt_raw(c, prompt, buf, size, true);
}

static void tty_say(void *ctx, const char *msg)
{
	printf("%s\n", msg);
	fflush(stdout);
}

/* Sleeps, then drops whatever was typed meanwhile: a burst of guesses
 * typed ahead must not be queued up behind the delay. */
static void tty_pause(void *ctx, unsigned seconds)
{
	sleep(seconds);
	tcflush(STDIN_FILENO, TCIFLUSH);
}

/* --- libedit ------------------------------------------------------------ */

/* A byte that would make the line longer: printable, UTF-8, Tab (a
 * completion) or ^V (quoted insert: the next byte goes in as it is). */
static bool tty_grows(unsigned char ch)
{
	return (ch >= 0x20 && ch != 0x7f) || ch == '\t' || ch == 0x16;
}

/* libedit's input, a byte at a time, read by tty_step first: at the line
 * cap nothing that would lengthen the line reaches libedit (Debian 12's
 * libedit corrupts its heap when its callback interface is fed a line of
 * some thousands of characters). The byte is dropped with a bell (at the
 * first and then when no more input waits: one per keystroke, not one per
 * pasted byte), and the line, when it ends, is refused whole rather than
 * run cut short. Bytes past ASCII never reach libedit either: through
 * rl_getc_function each byte would become a character of its own (U+0080
 * to U+00FF, C1 controls among them), which libedit's display mishandles
 * to the point of a crash; a line that had one is refused as non-printable,
 * as the line check would. */
static int tty_stash;
static bool tty_stashed;
static bool tty_fed;		/* libedit has a byte of this line: rl_end is its */
static bool tty_nonascii;	/* this line lost a byte past ASCII */

static bool tty_refuse(unsigned char ch)
{
	bool first = !tty_overflow && !tty_nonascii;
	int n;

	if (ch >= 0x80)
		tty_nonascii = true;
	else if (!tty_fed || rl_end < CONS_LINE_MAX || !tty_grows(ch))
		return false;
	else
		tty_overflow = true;
	if (first || (ioctl(STDIN_FILENO, FIONREAD, &n) == 0 && n == 0)) {
		fputc('\a', stdout);
		fflush(stdout);
	}
	return true;
}

static int tty_read_byte(void)
{
	unsigned char ch;
	ssize_t n;

	do
		n = read(STDIN_FILENO, &ch, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? ch : EOF;
}

/* rl_getc_function: the byte tty_step let through, or (inside an escape
 * sequence libedit reads on) the next one, ^G for one past the cap. */
static int tty_getc(FILE *in)
{
	int ch;

	if (tty_stashed) {
		tty_stashed = false;
		return tty_stash;
	}
	ch = tty_read_byte();
	return ch != EOF && tty_refuse((unsigned char)ch) ? 0x07 : ch;
}

static void tty_on_line(char *line)
{
	tty_have_line = true;
	tty_line = line;
	if (!line)
		tty_hangup = true;
}

static void tty_add_match(void *ctx, const char *word)
{
	if (tty_nmatches < (int)(sizeof(tty_matches) / sizeof(tty_matches[0])))
		tty_matches[tty_nmatches++] = strdup(word);
}

static char *tty_generator(const char *text, int state)
{
	static int next;

	if (state == 0) {
		next = 0;
		for (int i = 0; i < tty_nmatches; i++)
			free(tty_matches[i]);
		tty_nmatches = 0;
		cons_complete(tty_c, rl_line_buffer, strlen(rl_line_buffer), tty_add_match, NULL);
	}
	if (next < tty_nmatches)
		return strdup(tty_matches[next++]);
	return NULL;
}

static char **tty_complete(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1;
	return rl_completion_matches(text, tty_generator);
}

/* The `?` key: help for what is typed so far, then the line again. */
static int tty_help_key(int count, int key)
{
	fputs("?\n", stdout);
	cons_help(tty_c, rl_line_buffer ? rl_line_buffer : "");
	fflush(stdout);
	rl_forced_update_display();
	return 0;
}

static void tty_prompt(const struct cons *c, char *buf, size_t size)
{
	const char *host = c->running.val[CONF_HOSTNAME][0] ? c->running.val[CONF_HOSTNAME]
							     : "scanwall";

	if (c->configuring)
		fputs("[edit]\n", stdout);
	snprintf(buf, size, "technician@%s%c ", host, c->configuring ? '#' : '>');
	fflush(stdout);
}

static void tty_run_line(struct cons *c, char *line)
{
	if (line[0] && !cons_input_check(line))
		add_history(line);
	cons_exec(c, line);
	fflush(stdout);
}

/* One more byte for libedit, or the idle and confirm timers. */
static int tty_step(struct cons *c, time_t *last)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	int p = poll(&pfd, 1, 1000);

	if (p < 0 && errno != EINTR)
		return -EIO;
	if (p > 0 && !(pfd.revents & POLLIN))
		return -ENODATA;	/* hang-up */
	if (p > 0) {
		*last = (time_t)sw_boot_now();
		tty_stash = tty_read_byte();
		if (tty_stash != EOF && tty_refuse((unsigned char)tty_stash))
			return 0;
		tty_stashed = tty_fed = true;
		rl_callback_read_char();
		return 0;
	}
	cons_tick(c);
	if ((time_t)sw_boot_now() - *last >= (time_t)tty_timeout(c))
		return -ETIMEDOUT;
	return 0;
}

static int tty_loop_edit(struct cons *c)
{
	char prompt[CONS_VALUE_MAX + 32];
	time_t last = (time_t)sw_boot_now();
	int err = 0;

	rl_readline_name = "scanwall";
	rl_getc_function = tty_getc;
	rl_attempted_completion_function = tty_complete;
	rl_completion_append_character = ' ';
	stifle_history(TTY_HISTORY);
	while (!c->quit && !err) {
		tty_prompt(c, prompt, sizeof(prompt));
		tty_have_line = tty_overflow = tty_fed = tty_nonascii = false;
		rl_callback_handler_install(prompt, tty_on_line);
		rl_add_defun("scanwall-help", tty_help_key, '?');
		while (!tty_have_line && !err)
			err = tty_step(c, &last);
		rl_callback_handler_remove();
		if (tty_have_line && tty_line && (tty_overflow || tty_nonascii))
			puts(tty_overflow ? CONS_TOO_LONG : CONS_NONPRINT);
		else if (tty_have_line && tty_line)
			tty_run_line(c, tty_line);
		/* a long command (a shell, a bundle install) is not idle time */
		last = (time_t)sw_boot_now();
		free(tty_line);
		tty_line = NULL;
		if (tty_hangup)
			err = -ENODATA;
	}
	return err;
}

/* Not a terminal: the same commands, a line at a time, no editing. */
static int tty_loop_plain(struct cons *c)
{
	char line[CONS_LINE_MAX + 1], prompt[CONS_VALUE_MAX + 32];
	int err = 0;

	while (!c->quit && !err) {
		tty_prompt(c, prompt, sizeof(prompt));
		fputs(prompt, stdout);
		err = tty_getline(c, line, sizeof(line), false);
		if (err == -E2BIG || err == -EILSEQ) {
			printf("%s\n", err == -E2BIG ? CONS_TOO_LONG
					      : CONS_NONPRINT);
			err = 0;
			continue;
		}
		if (!err)
			tty_run_line(c, line);
	}
	return err;
}

/* --- start shell ---------------------------------------------------------- */

/* The child: its own process group in the foreground of the terminal (so
 * that ^C reaches the shell's commands and never the console), default
 * signals, the console's idle timeout as TMOUT for a shell that honours it
 * (Debian's busybox ash is built without), and a login shell for
 * /etc/profile. */
static void tty_shell_child(const struct cons *c)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU };
	char tmout[16];

	setpgid(0, 0);
	tcsetpgrp(STDIN_FILENO, getpgrp());	/* SIGTTOU is still ignored here */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	snprintf(tmout, sizeof(tmout), "%u", tty_timeout(c));
	setenv("TMOUT", tmout, 1);
	execl("/bin/sh", "-sh", (char *)NULL);
	perror("scanwall: /bin/sh");
	_exit(127);
}

/* Runs the shell and waits for it; never exec-replaces the console, so
 * that `exit` in the shell comes back to the CLI. Returns the shell's exit
 * status, or -errno. Whatever the shell did to the terminal (modes,
 * foreground group) is undone before the CLI reads again. */
static int tty_shell(struct cons *c)
{
	struct termios cli;
	int status = 0, err = 0;
	pid_t pid;

	if (tcgetattr(STDIN_FILENO, &cli))
		return -errno;
	tcsetattr(STDIN_FILENO, TCSADRAIN, &tty_orig);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		tty_shell_child(c);
	if (pid < 0)
		err = -errno;
	while (pid > 0 && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			break;
		}
	}
	tcsetpgrp(STDIN_FILENO, getpgrp());
	tcsetattr(STDIN_FILENO, TCSADRAIN, &cli);
	if (err)
		return err;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Line noise holds ^S now and then: with XON/XOFF on, one would freeze
 * the console's output until a ^Q that never comes. A USB serial adapter
 * at 115200 needs no software flow control. */
static void tty_no_flow_control(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &t))
		return;
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

int cons_tty_run(struct cons *c)
{
	struct cons_io io = { .secret = tty_secret, .say = tty_say, .pause = tty_pause, .ctx = c };
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &tty_orig) == 0;
	int err = 0;

	tty_c = c;
	c->interactive = true;
	c->ask = tty_ask;
	/* a login shell on a console: ^C and ^Z must not end the session */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	/* taking the terminal back from a shell's process group */
	signal(SIGTTOU, SIG_IGN);
	if (tty)
		tty_no_flow_control();
	cons_tick(c);
	if (c->o.login)
		err = cons_login(c, &io);
	if (err) {
		printf("\n%s\n", err == -ETIMEDOUT ? "Timed out." : "Login failed.");
		return 1;
	}
	/* logged in (or by the system, without --login), on a terminal */
	if (tty)
		c->shell = tty_shell;
	printf("scanwall console. '?' or 'help' lists the commands.\n");
	err = tty ? tty_loop_edit(c) : tty_loop_plain(c);
	if (err == -ETIMEDOUT) {
		printf("\nIdle for %u s: logged out.\n", tty_timeout(c));
		cons_event(&c->store, "console: logout (idle %u s)", tty_timeout(c));
	} else {
		printf("\nLogged out.\n");
		cons_event(&c->store, "console: logout");
	}
	fflush(stdout);
	return 0;
}
