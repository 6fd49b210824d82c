/* mgmtd's client of scanwalld's control socket (docs/control.md): one
 * command, one JSON line back.
 *
 * Its own rather than control_client() so that mgmtd links none of the
 * engine, and so that an answer is bounded in size and in time: the loop
 * that serves every HTTPS client waits here, so a stuck engine costs it
 * at most MGMT_CTL_TIMEOUT_MS, never forever. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/mgmt.h"

#define MGMT_CTL_TIMEOUT_MS 3000
#define MGMT_CTL_ANSWER_MAX (16u << 20)

static int ctl_connect(const char *path)
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

static int ctl_send(int fd, const char *cmd)
{
	char line[1024];
	size_t len = strlen(cmd), off = 0;

	if (len + 1 >= sizeof(line) || strchr(cmd, '\n'))
		return -EINVAL;
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

static int64_t ctl_ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* Copies the answer up to and including its newline. */
static int ctl_recv(int fd, FILE *out, size_t *total)
{
	struct timespec end;
	char buf[8192];

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += MGMT_CTL_TIMEOUT_MS / 1000;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = ctl_ms_left(&end);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		*total += (size_t)n;
		if (*total > MGMT_CTL_ANSWER_MAX)
			return -EFBIG;
		fwrite(buf, 1, (size_t)n, out);
		if (buf[n - 1] == '\n')
			return 0;
	}
}

/* scanwalld says no in two ways: an {"error":...} object, or an answer
 * with "ok":false (reload, bundle). Both start the object. */
static bool ctl_refused(const char *ans, size_t len)
{
	static const char *const prefixes[] = { "{\"error\":", "{\"ok\":false" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (len >= n && memcmp(ans, prefixes[i], n) == 0)
			return true;
	}
	return false;
}

int mgmt_ctl(struct mgmt *m, const char *cmd, char **ans, size_t *len)
{
	FILE *out;
	size_t total = 0;
	int fd, err;

	*ans = NULL;
	out = open_memstream(ans, len);
	if (!out)
		return -ENOMEM;
	fd = ctl_connect(m->cfg->control);
	err = fd < 0 ? fd : ctl_send(fd, cmd);
	if (!err)
		err = ctl_recv(fd, out, &total);
	if (fd >= 0)
		close(fd);
	if (fclose(out))
		err = -ENOMEM;
	if (!err && ctl_refused(*ans, *len))
		err = -EPROTO;
	return err;
}
