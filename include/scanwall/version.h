/* The firmware's version, set in one place: the Makefile's SW_VERSION
 * (`make SW_VERSION=1.2`, default there), written to the generated header
 * below. Every binary's --version, scanwalld's `status` and the image's
 * SBOM (scripts/sbom.py) carry it. */
#ifndef SW_VERSION_H
#define SW_VERSION_H

#include <stdbool.h>

#include "generated/sw_version.h"

/* `PROG --version` as the only argument: prints "PROG VERSION" and
 * returns true (the caller exits 0). */
bool sw_version_arg(int argc, char **argv, const char *prog);

#endif
