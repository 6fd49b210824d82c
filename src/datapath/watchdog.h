/* The board's hardware watchdog (/dev/watchdog), fed from the verdict
 * loop's one-second tick and from nowhere else: a loop that stops turning
 * (a wedge, a deadlock, a tool that never ends) stops feeding it, and the
 * board resets. A clean stop disarms it (the magic close); a crash does
 * not, so an engine that does not come back resets the board. */
#ifndef SW_ENGINE_WATCHDOG_H
#define SW_ENGINE_WATCHDOG_H

/* Opens and arms dev; timeout_s > 0 also sets the device's timeout. The fd,
 * or -errno. */
int wdog_open(const char *dev, unsigned timeout_s);
void wdog_feed(int fd);
/* Disarms (magic close) and closes; fd < 0 is ignored. */
void wdog_close(int fd);

#endif
