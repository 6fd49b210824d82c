/* The firmware's version, in one place: scanwalld --version, its status
 * answer, and the image's SBOM (scripts/sbom.py reads it here). A build
 * may set it with -DSW_VERSION=\"...\". */
#ifndef SW_VERSION_H
#define SW_VERSION_H

#ifndef SW_VERSION
#define SW_VERSION "0.1.0"
#endif

#endif
