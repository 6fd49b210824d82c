/* What comes off a serial line: line noise, a laptop's terminal sending
 * escape sequences, half lines after a cable is pulled. A line is either
 * printable ASCII of a sane length or refused with a message; nothing
 * else reaches the command parser. */
#include <errno.h>
#include <string.h>

#include "console/cons.h"

const char *cons_input_check(const char *line)
{
	size_t n = strnlen(line, CONS_LINE_MAX + 1);

	if (n > CONS_LINE_MAX)
		return CONS_TOO_LONG;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == '\t')
			continue;
		if (ch < 0x20 || ch >= 0x7f)
			return CONS_NONPRINT;
	}
	return NULL;
}

int cons_split(char *line, char **argv)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			return argc;
		if (argc == CONS_WORDS_MAX)
			return -E2BIG;
		if (*p == '"') {
			char *close = strchr(p + 1, '"');

			if (!close || (close[1] && !strchr(" \t", close[1])))
				return -EINVAL;
			argv[argc++] = p + 1;
			*close = 0;
			p = close + 1 + (close[1] != 0);
			continue;
		}
		argv[argc++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = 0;
	}
}
