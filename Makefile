# scanwall: one Makefile, out-of-tree builds.
#
#   make                  host binaries into build/ (build/scanwalld first)
#   make check            every test (unit under ASan+UBSan, policy goldens,
#                         pcap replays, netns tests against the real kernel)
#   make demo             the box in a namespace topology with real DICOM peers
#   make fuzz             libFuzzer targets (FUZZ_SECONDS each, default 60)
#   make menuconfig       edit build/.config; make <board>_defconfig to reset
#
# CC, CFLAGS, LDFLAGS, CROSS_COMPILE and V=1 are honoured from outside;
# what the code needs to build at all is kept in SW_CFLAGS.

BUILD ?= build
BOARD ?= host
PYTHON ?= /usr/bin/python3
CROSS_COMPILE ?=
CC := $(CROSS_COMPILE)$(if $(filter default,$(origin CC)),gcc,$(CC))
AR := $(CROSS_COMPILE)ar
PKG_CONFIG ?= pkg-config

CFLAGS ?= -O2 -g
WERROR ?= $(if $(CI),-Werror)
SAN ?=
SW_CFLAGS := -std=gnu11 -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -Wno-missing-field-initializers -Wformat=2 -fno-strict-aliasing \
	-D_GNU_SOURCE -MMD -MP -Iinclude -I$(BUILD)/include -Isrc $(WERROR) \
	$(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all)
SW_LDFLAGS := $(if $(SAN),-fsanitize=$(SAN))

LIBS_NFQ := -lnetfilter_queue -lmnl
LIBS_PCAP := -lpcap
LIBS_TLS := -lmbedtls -lmbedx509 -lmbedcrypto
LIBS_TEST := -lcmocka

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

KCONFIG_ENV := KCONFIG_CONFIG=$(BUILD)/.config srctree=$(CURDIR)
AUTOCONF := $(BUILD)/include/generated/autoconf.h

# The firmware's version, set here and nowhere else: every binary's
# --version, scanwalld's `status` and the SBOM. `make SW_VERSION=1.2` or
# from the environment. The header changes only when the version does, so
# a rebuild with another version recompiles what prints it.
SW_VERSION ?= 0.1.0
export SW_VERSION
SW_VERSION_H := $(BUILD)/include/generated/sw_version.h

# --- sources -------------------------------------------------------------
# Every .c under src/ except the programs' mains goes into one archive that
# the daemons, the host tools, the unit tests and the fuzzers link against.
MAINS := src/scanwalld/main.c src/bundle/tool.c src/mgmt/main.c src/console/main.c
LIB_SRC := $(filter-out $(MAINS),$(sort $(wildcard src/*/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libscanwall.a

PROGS := $(BUILD)/scanwalld
PROGS += $(if $(wildcard src/bundle/tool.c),$(BUILD)/scanwall-bundle)
PROGS += $(if $(wildcard src/mgmt/main.c),$(BUILD)/scanwall-mgmtd)
PROGS += $(if $(wildcard src/console/main.c),$(BUILD)/scanwall)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all deps check unit policy-test replay-test learn-test bundle-test console-test mgmt-test netns-test attack-test stacks-test fuzz-smoke version-test tsan-test demo fuzz bench FORCE \
	menuconfig defconfig savedefconfig clean
.DEFAULT_GOAL := all

all: deps $(PROGS)

deps:
	$(Q)scripts/deps.sh build

# --- configuration -------------------------------------------------------
# A new Kconfig symbol reaches an existing .config through olddefconfig
# (its default), so a tree configured before it never builds without it.
$(BUILD)/.config: Kconfig
	$(Q)mkdir -p $(BUILD)
	$(Q)if [ -f $@ ]; then $(KCONFIG_ENV) $(PYTHON) -m olddefconfig Kconfig >/dev/null; \
	else $(KCONFIG_ENV) $(PYTHON) -m defconfig --kconfig Kconfig board/$(BOARD)/defconfig >/dev/null; fi
	$(Q)touch $@

%_defconfig:
	$(Q)mkdir -p $(BUILD)
	$(Q)test -f board/$*/defconfig || { echo "no board $*" >&2; exit 1; }
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m defconfig --kconfig Kconfig board/$*/defconfig

menuconfig: $(BUILD)/.config
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m menuconfig Kconfig

savedefconfig: $(BUILD)/.config
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m savedefconfig --kconfig Kconfig --out $(BUILD)/defconfig

$(AUTOCONF): $(BUILD)/.config Kconfig
	$(Q)mkdir -p $(dir $@)
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m genconfig --header-path $@ Kconfig

$(SW_VERSION_H): FORCE
	$(Q)mkdir -p $(dir $@)
	$(Q)printf '#define SW_VERSION "%s"\n' '$(SW_VERSION)' >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

FORCE:

# --- compile -------------------------------------------------------------
$(BUILD)/%.o: %.c $(AUTOCONF) | $(SW_VERSION_H)
	$(quiet) CC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(SW_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(quiet) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/scanwalld: $(BUILD)/src/scanwalld/main.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_NFQ) $(LIBS_PCAP) $(LIBS_TLS)

$(BUILD)/scanwall-bundle: $(BUILD)/src/bundle/tool.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_TLS)

$(BUILD)/scanwall-mgmtd: $(BUILD)/src/mgmt/main.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_TLS)

$(BUILD)/scanwall: $(BUILD)/src/console/main.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^ -ledit $(LIBS_TLS) -lcrypt

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_TEST) $(LIBS_NFQ) $(LIBS_PCAP) $(LIBS_TLS)

# the netns suite's helper that reorders a test host's packets on purpose
$(BUILD)/tests/netns-reorder: $(BUILD)/tests/netns/reorder.o
	$(quiet) LD $@
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_NFQ)

# the policy suite's renderer of every kernel document a policy loads
$(BUILD)/tests/rsrender: $(BUILD)/tests/policy/rsrender.o $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_NFQ) $(LIBS_PCAP) $(LIBS_TLS)

# the bench's and the attack tests' cheap spoofed SYN flooder
$(BUILD)/tests/synflood: $(BUILD)/tests/attack/synflood.o
	$(quiet) LD $@
	$(Q)$(CC) $(SW_LDFLAGS) $(LDFLAGS) -o $@ $^

# --- tests ---------------------------------------------------------------
# Unit tests run under ASan and UBSan in their own build tree, so a memory
# error anywhere in the library fails `make check`.
check:
	$(Q)scripts/deps.sh test
	$(Q)rm -f build/test-results.txt
	$(Q)$(MAKE) --no-print-directory BUILD=build/san SAN=address,undefined unit
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory policy-test replay-test learn-test bundle-test console-test mgmt-test netns-test attack-test stacks-test fuzz-smoke version-test
	$(Q)$(MAKE) --no-print-directory qemu-test || \
		echo "FAIL qemu-test: the image did not build or boot" >>build/test-results.txt
	$(Q)scripts/summary.sh

unit: $(UNIT_BIN)
	$(Q)tests/unit/run.sh $(UNIT_BIN)

policy-test: $(BUILD)/scanwalld $(BUILD)/tests/rsrender
	$(Q)tests/policy/run.sh $(BUILD)/scanwalld
	$(Q)tests/policy/modules.sh $(BUILD)

replay-test: $(BUILD)/scanwalld
	$(Q)tests/replay/run.sh $(BUILD)/scanwalld

# commissioning offline: learn from the captures, propose, what-if (issue #19)
learn-test: $(BUILD)/scanwalld
	$(Q)tests/learn/run.sh $(BUILD)/scanwalld

bundle-test: $(PROGS)
	$(Q)tests/bundle/run.sh $(BUILD)

console-test: $(PROGS)
	$(Q)tests/console/run.sh $(BUILD)

mgmt-test: $(PROGS)
	$(Q)tests/mgmt/run.sh $(BUILD)

# Every fuzz target builds and runs a little on each check, so none rots;
# `make fuzz` is the real run.
fuzz-smoke:
	$(Q)scripts/deps.sh fuzz
	$(Q)FUZZ_SECONDS=$${FUZZ_SMOKE_SECONDS:-10} FUZZ_RECORD=1 scripts/fuzz.sh $(FUZZ_SRC)

# test_shutdown_held stops an ASan+UBSan scanwalld (build/san, as `unit`)
netns-test: $(PROGS) $(BUILD)/tests/netns-reorder
	$(Q)$(MAKE) --no-print-directory BUILD=build/san SAN=address,undefined build/san/scanwalld
	$(Q)tests/netns/run.sh $(BUILD)

# the box under loss and attack (issue #15): floods, stalls, crafted segments
attack-test: $(PROGS) $(BUILD)/tests/netns-reorder $(BUILD)/tests/synflood
	$(Q)tests/attack/run.sh $(BUILD)

# the box between DICOM stacks other than dcmtk (Orthanc, GDCM, dcmjs-dimse, nmap)
stacks-test: $(PROGS)
	$(Q)tests/stacks/run.sh $(BUILD)

# The control thread under ThreadSanitizer: the netns tests that drive it,
# against a TSan build (a test fails on any report in the daemon's log).
# Not in `check` (a build of its own); run it after touching ctlthread.c.
tsan-test:
	$(Q)$(MAKE) --no-print-directory BUILD=build/tsan SAN=thread build/tsan/scanwalld build/tsan/scanwall-bundle
	$(Q)for t in control_load bundle reload apply_refused learn; do \
		SW_NETNS_ONLY=$$t tests/netns/run.sh build/tsan || exit 1; done

# SW_VERSION=9.9.9 in every binary and the SBOM (a build of its own)
version-test:
	$(Q)tests/version/run.sh $(BUILD)

demo: all
	$(Q)scripts/deps.sh test
	$(Q)scripts/demo.sh $(BUILD)

fuzz:
	$(Q)scripts/deps.sh fuzz
	$(Q)scripts/fuzz.sh $(FUZZ_SRC)

bench: all $(BUILD)/tests/synflood
	$(Q)scripts/bench.sh $(BUILD)
	$(Q)scripts/bench_mgmt.sh $(BUILD)

clean:
	rm -rf build

-include $(shell find $(BUILD)/src $(BUILD)/tests -name '*.d' -type f 2>/dev/null)

# --- firmware (docs/firmware.md) -------------------------------------------
# `make image BOARD=qemu-aarch64` cross-builds the programs into
# build/<board>/ and assembles build/<board>/image/ from Debian arm64
# packages; `make qemu-test` boots that image between two namespaces;
# `make sbom` writes its SPDX document. A host BOARD means the QEMU board.
IMAGE_BOARD := $(if $(filter host,$(BOARD)),qemu-aarch64,$(BOARD))
IMAGE_BUILD := $(if $(filter build,$(BUILD)),build/$(IMAGE_BOARD),$(BUILD))
IMAGE_CROSS := aarch64-linux-gnu-
IMAGE_PROGS := $(PROGS:$(BUILD)/%=$(IMAGE_BUILD)/%)

.PHONY: cross-deps image qemu-test sbom

cross-deps:
	$(Q)scripts/cross-deps.sh all

image: cross-deps
	$(Q)test -f board/$(IMAGE_BOARD)/board.conf || { echo "no image for board $(IMAGE_BOARD)" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory BOARD=$(IMAGE_BOARD) BUILD=$(IMAGE_BUILD) \
		CROSS_COMPILE=$(IMAGE_CROSS) PKG_CONFIG=$(IMAGE_CROSS)pkg-config $(IMAGE_PROGS)
	$(quiet) IMAGE $(IMAGE_BUILD)/image
	$(Q)firmware/mkimage.sh $(IMAGE_BOARD) $(IMAGE_BUILD)

qemu-test:
	$(Q)$(MAKE) --no-print-directory BOARD=qemu-aarch64 BUILD=build/qemu-aarch64 image
	$(Q)scripts/deps.sh test
	$(Q)tests/qemu/run.sh build/qemu-aarch64/image

sbom: image
	$(Q)SW_VERSION=$(SW_VERSION) $(PYTHON) scripts/sbom.py $(IMAGE_BOARD) $(IMAGE_BUILD)/image >$(IMAGE_BUILD)/image/sbom.spdx.json
	$(quiet) SBOM $(IMAGE_BUILD)/image/sbom.spdx.json
