/* --version for every program (scanwall/version.h). */
#include <stdio.h>
#include <string.h>

#include "scanwall/version.h"

bool sw_version_arg(int argc, char **argv, const char *prog)
{
	if (argc != 2 || strcmp(argv[1], "--version"))
		return false;
	printf("%s %s\n", prog, SW_VERSION);
	return true;
}
