# rpcscope -- the one build: the library, its tests, and (as they arrive) rpcidl, the simulator,
# the window and the lessons. Read top to bottom.
#
#   make            build everything under build/
#   make test       build and run every test (installs missing system packages first)
#   make run        build and start rpcscope on the first lesson
#   make asan       the tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#   make install    PREFIX=/usr/local: library, headers in include/rpcscope/, rpcscope.pc
#   make clean
#
# Quiet unless V=1. Variants re-invoke make: `make asan` is `make SAN=1 test` in build/asan.

# ---- toolchain and flags ------------------------------------------------------------------------

.DEFAULT_GOAL := all

CC      ?= cc
AR      ?= ar
PREFIX  ?= /usr/local
VERSION := 0.1.0

CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT      := -O2 -g
BUILD    := build

ifeq ($(SAN),1)
BUILD    := build/asan
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

CFLAGS   += $(CSTD) $(WARN) $(OPT) -MMD -MP -Irpc
LDLIBS   += -lpthread

ifneq ($(V),1)
Q    := @
SAY   = @printf '  %-7s %s\n' $(1) $(2);
else
Q    :=
SAY   =
endif

BUILD_ROOT := build
$(shell mkdir -p $(BUILD_ROOT))

# ---- system packages ----------------------------------------------------------------------------
# pkg-config module : Debian package. Checked with pkg-config first, so a machine that has
# everything installs nothing; otherwise apt-get installs what is missing, non-interactively.

PKG_MODULES := cmocka:libcmocka-dev sdl2:libsdl2-dev SDL2_ttf:libsdl2-ttf-dev \
               SDL2_image:libsdl2-image-dev
# command : Debian package, for the programs tests run (tshark judges our bytes as Wireshark does).
COMMANDS    := tshark:tshark

.PHONY: deps
deps:
	$(Q)missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	for m in $(PKG_MODULES); do \
	    pkg-config --exists "$${m%%:*}" 2>/dev/null || missing="$$missing $${m#*:}"; \
	done; \
	for c in $(COMMANDS); do \
	    command -v "$${c%%:*}" >/dev/null 2>&1 || missing="$$missing $${c#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make: installing missing packages:$$missing"; \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { $$sudo apt-get update -q && $$sudo apt-get install -y -q --no-install-recommends $$missing; } \
	        >$(BUILD_ROOT)/apt.log 2>&1 \
	    || { echo "make: apt-get failed; see $(BUILD_ROOT)/apt.log" >&2; tail -5 $(BUILD_ROOT)/apt.log >&2; exit 1; }; \
	fi
# Evaluated when a recipe runs, after `deps` has installed pkg-config and the modules.
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka)

# ---- librpcscope --------------------------------------------------------------------------------

LIB_SRC := $(wildcard rpc/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB     := $(BUILD)/librpcscope.a

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	$(call SAY,AR,$@)rm -f $@ && $(AR) rcs $@ $^

# ---- rpcidl, the IDL compiler -------------------------------------------------------------------
# Its stages (lex, parse, types, gen_c, diag) are shared by the compiler and its unit tests.

IDL_SRC := $(filter-out rpc/idl/main.c,$(wildcard rpc/idl/*.c))
IDL_OBJ := $(IDL_SRC:%.c=$(BUILD)/obj/%.o)
RPCIDL  := $(if $(wildcard rpc/idl/main.c),$(BUILD)/rpcidl)

$(BUILD)/obj/rpc/idl/%.o: rpc/idl/%.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) -Irpc/idl -c $< -o $@

$(BUILD)/rpcidl: $(BUILD)/obj/rpc/idl/main.o $(IDL_OBJ) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- rpcscope, the simulator (sim/) ---------------------------------------------------------------
# sim/main.c is the command; the other sim/ files are shared with the simulator's unit tests.

SIM_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c))
SIM_OBJ  := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)
RPCSCOPE := $(if $(wildcard sim/main.c),$(BUILD)/rpcscope)

$(BUILD)/obj/sim/%.o: sim/%.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) -Isim -c $< -o $@

$(BUILD)/rpcscope: $(BUILD)/obj/sim/main.o $(SIM_OBJ) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- tests --------------------------------------------------------------------------------------
# Every tests/unit/test_*.c is one cmocka program linked with the library.

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: tests
tests: $(UNIT_BIN)

$(BUILD)/obj/tests/%.o: tests/%.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) -Irpc/idl -Isim $(CMOCKA_CFLAGS) -c $< -o $@

# The simulator's tests link its modules.
$(BUILD)/tests/test_sim_%: $(BUILD)/obj/tests/unit/test_sim_%.o $(SIM_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

# The IDL compiler's tests link its stages too (the more specific pattern wins).
$(BUILD)/tests/test_idl_%: $(BUILD)/obj/tests/unit/test_idl_%.o $(IDL_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

.PHONY: all
all: $(LIB) $(RPCIDL) $(RPCSCOPE) tests

.PHONY: test
test: $(UNIT_BIN) $(LIB)
	$(Q)sh tests/run $(UNIT_BIN) "sh tests/integration/install_check.sh $(BUILD) '$(LDFLAGS)'"

.PHONY: asan
asan:
	$(Q)$(MAKE) --no-print-directory SAN=1 test

# ---- the main program ---------------------------------------------------------------------------

.PHONY: run
run: all
	@echo "rpcscope: the simulator and its window are not built yet; only the library is." >&2
	@echo "rpcscope: run 'make test' to build and test librpcscope." >&2
	@exit 1

# ---- install ------------------------------------------------------------------------------------

LIB_HDR := $(wildcard rpc/*.h)

.PHONY: install
install: $(LIB)
	$(Q)install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/rpcscope
	$(Q)install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	$(Q)install -m 644 $(LIB_HDR) $(DESTDIR)$(PREFIX)/include/rpcscope/
	$(Q)printf '%s\n' \
	    'prefix=$(PREFIX)' \
	    'libdir=$${prefix}/lib' \
	    'includedir=$${prefix}/include' \
	    '' \
	    'Name: rpcscope' \
	    'Description: DCE/RPC (Microsoft RPC) runtime with NDR 2.0 marshalling' \
	    'Version: $(VERSION)' \
	    'Libs: -L$${libdir} -lrpcscope -lpthread' \
	    'Cflags: -I$${includedir}' \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rpcscope.pc
	@echo "installed librpcscope $(VERSION) under $(DESTDIR)$(PREFIX)"

# ---- housekeeping -------------------------------------------------------------------------------

.PHONY: clean
clean:
	rm -rf build

# Keep object files make built on the way to a program: they are what makes rebuilds quick.
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
