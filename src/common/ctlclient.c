#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "scanwall/ctlclient.h"
#include "scanwall/jsonw.h"

#define CC_UPLOAD "bundle install "

static long cc_ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* Waits for events on fd until the deadline: 0, or -ETIMEDOUT. */
static int cc_wait(int fd, short events, const struct timespec *end)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long left = cc_ms_left(end);
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* A full backlog answers a non-blocking UNIX connect() with EAGAIN at once
 * (a blocking one would wait for as long as the server does not accept):
 * try again until the deadline. */
static int cc_connect(const char *path, const struct timespec *end)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* AF_UNIX never answers EINPROGRESS: it connects or says EAGAIN */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (!err && cc_ms_left(end) <= 0)
			err = -ETIMEDOUT;
		if (err) {
			close(fd);
			return err;
		}
		poll(NULL, 0, 10);
	}
	return fd;
}

/* `bundle install PATH ...`: the caller opens PATH with its own rights and
 * the descriptor travels with the line (SCM_RIGHTS), so the root engine
 * never opens a path a client names. Only a regular file, never through a
 * symlink, and never waiting on a FIFO or a device. Returns the fd, -1
 * for other commands, or -errno with the reason written to out as
 * scanwalld's own refusals are. */
static int cc_open_upload(const char *cmd, FILE *out)
{
	char path[1024], msg[128];
	size_t n;
	struct stat st;
	int fd, err;

	if (strncmp(cmd, CC_UPLOAD, strlen(CC_UPLOAD)) != 0)
		return -1;
	cmd += strlen(CC_UPLOAD);
	n = strcspn(cmd, " \t");
	if (n == 0 || n >= sizeof(path))
		return -1;	/* the engine answers the usage */
	memcpy(path, cmd, n);
	path[n] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		goto out_refuse;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		close(fd);
		goto out_refuse;
	}
	return fd;

out_refuse:
	snprintf(msg, sizeof(msg), "bundle install: %s",
		 err == -ELOOP ? "a symbolic link is not taken" :
		 err == -EINVAL ? "not a regular file" : strerror(-err));
	jw_kstr(SB_STREAM(out), "{", "error", msg);
	fputs("}\n", out);
	return err;
}

/* The command and its newline in one send, so the server reads one line;
 * an upload's fd rides on its first byte. */
static int cc_send(int fd, const char *cmd, int upload, const struct timespec *end)
{
	char line[1024], cbuf[CMSG_SPACE(sizeof(int))];
	size_t len = strlen(cmd), off = 0;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (len + 1 > sizeof(line))
		return -E2BIG;
	memcpy(line, cmd, len);
	line[len++] = '\n';
	if (upload >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &upload, sizeof(int));
	}
	while (off < len) {
		ssize_t w;
		int err;

		iov = (struct iovec){ line + off, len - off };
		w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			off += (size_t)w;
			mh.msg_control = NULL;	/* sent with the first byte */
			mh.msg_controllen = 0;
			continue;
		}
		if (w < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		err = cc_wait(fd, POLLOUT, end);
		if (err)
			return err;
	}
	return 0;
}

/* scanwalld says no in two ways: an {"error":...} object, or an answer
 * with "ok":false (reload, bundle). Both start the object. */
static bool cc_refused(const char *head, size_t n)
{
	static const char *const prefixes[] = { "{\"error\":", "{\"ok\":false" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (n >= strlen(prefixes[i]) && memcmp(head, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Copies the answer up to and including its newline. */
static int cc_recv(int fd, FILE *out, const struct timespec *end)
{
	char buf[8192], head[16];
	size_t total = 0, nhead = 0;

	for (;;) {
		ssize_t n;
		int err = cc_wait(fd, POLLIN, end);

		if (err)
			return err;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		total += (size_t)n;
		if (total > CTL_REQUEST_MAX)
			return -EFBIG;
		for (ssize_t i = 0; i < n && nhead < sizeof(head); i++)
			head[nhead++] = buf[i];
		fwrite(buf, 1, (size_t)n, out);
		if (buf[n - 1] == '\n')
			return cc_refused(head, nhead) ? -EPROTO : 0;
	}
}

/* The commands that run helper tools on scanwalld's side wait for them
 * (deadlines.h): the client waits as long. */
static long cc_timeout_ms(const char *cmd)
{
	static const char *const slow[] = { "reload", "bundle", "counters" };

	for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
		size_t n = strlen(slow[i]);

		if (strncmp(cmd, slow[i], n) == 0 && (cmd[n] == ' ' || cmd[n] == '\0'))
			return CTL_TOOLS_TIMEOUT_MS;
	}
	return CTL_REQUEST_TIMEOUT_MS;
}

int ctl_request(const char *sock, const char *cmd, FILE *out)
{
	long ms = cc_timeout_ms(cmd);
	struct timespec end;
	int fd, upload, err;

	if (strchr(cmd, '\n'))
		return -EINVAL;
	/* one deadline for the whole call: connect, send and answer */
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	upload = cc_open_upload(cmd, out);
	if (upload < -1) {
		fflush(out);
		return -EPROTO;
	}
	fd = cc_connect(sock, &end);
	err = fd < 0 ? fd : cc_send(fd, cmd, upload, &end);
	if (!err)
		err = cc_recv(fd, out, &end);
	if (fd >= 0)
		close(fd);
	if (upload >= 0)
		close(upload);
	fflush(out);
	return err;
}
