#!/usr/bin/python3
"""SPDX 2.3 JSON of a firmware image, on stdout.

  scripts/sbom.py BOARD IMAGE_DIR

Packages: every Debian package the image was made of (IMAGE_DIR/manifest,
written by firmware/mkimage.sh from the downloaded .debs: name, version,
architecture, the .deb's SHA-256), and scanwall itself, whose files (our
sources, the board's files, the firmware tree) are listed with their
SHA-256 and SHA-1, as are the built programs in the image.
"""
import datetime
import hashlib
import json
import os
import re
import sys
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIRS = ("src", "include", "firmware", "scripts")
SOURCE_FILES = ("Makefile", "Kconfig")


def own_version():
    """SW_VERSION as the binaries have it: from the environment (the
    Makefile exports it: `make SW_VERSION=1.2 sbom`), else the Makefile's
    default, the one place it is set."""
    if os.environ.get("SW_VERSION"):
        return os.environ["SW_VERSION"]
    with open(os.path.join(TOP, "Makefile")) as f:
        m = re.search(r"^SW_VERSION \?= (\S+)$", f.read(), re.M)
    return m.group(1) if m else "unknown"


def digest(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def spdx_id(text):
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]", "-", text)


def read_manifest(image):
    debs, ours, kernel = [], [], None
    with open(os.path.join(image, "manifest")) as f:
        for line in f:
            w = line.split()
            if line.startswith("# board"):
                kernel = w[-1]
            elif w and w[0] == "deb":
                debs.append(dict(name=w[1], version=w[2], arch=w[3], file=w[4]))
            elif w and w[0] == "ours":
                ours.append(dict(path=w[1], sha256=w[2]))
    return debs, ours, kernel


def source_files(board):
    paths = [os.path.join(TOP, p) for p in SOURCE_FILES]
    for d in SOURCE_DIRS + (os.path.join("board", board),):
        for root, dirs, files in os.walk(os.path.join(TOP, d)):
            dirs.sort()
            paths += [os.path.join(root, f) for f in sorted(files)
                      if not f.endswith((".pyc", ".o", ".d"))]
    return [p for p in paths if os.path.isfile(p)]


def deb_package(d, cache):
    pkg = {
        "SPDXID": spdx_id("deb-%s-%s" % (d["name"], d["arch"])),
        "name": d["name"],
        "versionInfo": d["version"],
        "supplier": "Organization: Debian",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": "pkg:deb/debian/%s@%s?arch=%s&distro=debian-12" % (
                d["name"], d["version"].replace(":", "%3A"), d["arch"]),
        }],
        "packageFileName": d["file"],
    }
    path = os.path.join(cache, d["file"])
    if os.path.isfile(path):
        pkg["checksums"] = [{"algorithm": "SHA256", "checksumValue": digest(path, "sha256")}]
    return pkg


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    board, image = argv[1], argv[2]
    cache = os.environ.get("SW_DEBS", os.path.join(TOP, "build", "debs", "arm64"))
    debs, ours, kernel = read_manifest(image)
    if not debs:
        print("sbom: no Debian packages in %s/manifest" % image, file=sys.stderr)
        return 1

    files, rels = [], []
    own = "SPDXRef-Package-scanwall"
    for p in source_files(board):
        rel = os.path.relpath(p, TOP)
        fid = spdx_id("File-src-" + rel)
        files.append({
            "SPDXID": fid, "fileName": "./" + rel,
            "checksums": [{"algorithm": "SHA1", "checksumValue": digest(p, "sha1")},
                          {"algorithm": "SHA256", "checksumValue": digest(p, "sha256")}],
            "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION",
        })
        rels.append({"spdxElementId": own, "relationshipType": "CONTAINS",
                     "relatedSpdxElement": fid})
    for o in ours:
        fid = spdx_id("File-image-" + o["path"])
        files.append({
            "SPDXID": fid, "fileName": "/" + o["path"], "fileTypes": ["BINARY"],
            "checksums": [{"algorithm": "SHA256", "checksumValue": o["sha256"]}],
            "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION",
        })
        rels.append({"spdxElementId": own, "relationshipType": "GENERATES",
                     "relatedSpdxElement": fid})

    # the package verification code of SPDX 2.3 (7.9): SHA-1 over the
    # sorted SHA-1s of the package's files
    sha1s = sorted(c["checksumValue"] for f in files for c in f["checksums"]
                   if c["algorithm"] == "SHA1")
    vcode = hashlib.sha1("".join(sha1s).encode()).hexdigest()
    packages = [{
        "SPDXID": own, "name": "scanwall", "versionInfo": own_version(),
        "supplier": "Organization: scanwall project", "downloadLocation": "NOASSERTION",
        "filesAnalyzed": True, "packageVerificationCode": {"packageVerificationCodeValue": vcode},
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "comment": "firmware image for board %s, kernel %s" % (board, kernel),
    }]
    packages += [deb_package(d, cache) for d in debs]
    rels.insert(0, {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                    "relatedSpdxElement": own})
    rels += [{"spdxElementId": own, "relationshipType": "DEPENDS_ON",
              "relatedSpdxElement": p["SPDXID"]} for p in packages[1:]]

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "scanwall-firmware-%s" % board,
        "documentNamespace": "https://scanwall.invalid/spdx/%s-%s" % (board, uuid.uuid4()),
        "creationInfo": {"created": now, "creators": ["Tool: scanwall-sbom.py"]},
        "packages": packages,
        "files": files,
        "relationships": rels,
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
