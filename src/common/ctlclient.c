#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "scanwall/ctlclient.h"

static int cc_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The command and its newline in one send, so the server reads one line. */
static int cc_send(int fd, const char *cmd)
{
	char line[1024];
	size_t len = strlen(cmd), off = 0;

	if (len + 1 > sizeof(line))
		return -E2BIG;
	memcpy(line, cmd, len);
	line[len++] = '\n';
	while (off < len) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno != EINTR)
			return -errno;
		if (w > 0)
			off += (size_t)w;
	}
	return 0;
}

static long cc_ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
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
static int cc_recv(int fd, FILE *out)
{
	char buf[8192], head[16];
	size_t total = 0, nhead = 0;
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += CTL_REQUEST_TIMEOUT_MS / 1000;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = cc_ms_left(&end);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -ETIMEDOUT;
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

int ctl_request(const char *sock, const char *cmd, FILE *out)
{
	int fd, err;

	if (strchr(cmd, '\n'))
		return -EINVAL;
	fd = cc_connect(sock);
	if (fd < 0)
		return fd;
	err = cc_send(fd, cmd);
	if (!err)
		err = cc_recv(fd, out);
	close(fd);
	fflush(out);
	return err;
}
