/* The hardware watchdog (watchdog.h), as Linux's watchdog API has it:
 * every write feeds it, a 'V' written just before close disarms it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "datapath/watchdog.h"

int wdog_open(const char *dev, unsigned timeout_s)
{
	int fd = open(dev, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), t = (int)timeout_s;

	if (fd < 0)
		return -errno;
	/* A device that cannot set it keeps its own (a FIFO in the tests). */
	if (timeout_s)
		ioctl(fd, WDIOC_SETTIMEOUT, &t);
	wdog_feed(fd);
	return fd;
}

void wdog_feed(int fd)
{
	/* not 'V': that would arm the magic close */
	if (write(fd, "\0", 1) < 0) {
		/* nothing to do: the next tick tries again, and a watchdog
		 * that is not fed resets the board, which is its point */
	}
}

void wdog_close(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "V", 1) < 0) {
		/* disarming failed: the board resets unless we come back */
	}
	close(fd);
}
