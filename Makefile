# rpcscope -- the one build: the library, its tests, and (as they arrive) rpcidl, the simulator,
# the window and the lessons. Read top to bottom.
#
#   make            build everything under build/
#   make test       build and run every test (installs missing system packages first)
#   make run        build and start rpcscope on the first lesson
#   make asan       the tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#   make stubs      run rpcidl on every IDL the build knows and compile what it writes
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS (60) under ASan + UBSan
#   make lint       cppcheck and clang-tidy on the project's own code
#   make valgrind   the servers, clients and rpcscope under valgrind's memcheck
#   make golden     rewrite rpcidl's golden test files after a deliberate change to its output
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
# Hardening for every program and the library: stack canaries, checked libc calls (the -U first,
# since some compilers define _FORTIFY_SOURCE already) and position-independent executables for
# ASLR. The sanitizer build below replaces them: ASan and FORTIFY check the same calls.
HARDEN   := -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fPIE
OPT      += $(HARDEN)
LDFLAGS  += -pie

ifeq ($(SAN),1)
BUILD    := build/asan
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

# `make NOTRACE=1 TARGET` builds TARGET in build/notrace with the trace hook compiled out
# (RS_TRACE_COMPILED_OUT, trace.h): `make bench` measures the hook compiled in but off against it.
ifeq ($(NOTRACE),1)
BUILD    := build/notrace
DEFS     += -DRS_TRACE_COMPILED_OUT
endif

CFLAGS   += $(CSTD) $(WARN) $(OPT) $(DEFS) -MMD -MP -Irpc
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
               SDL2_image:libsdl2-image-dev libtirpc:libtirpc-dev
# command : Debian package, for the programs tests run (tshark judges our bytes as Wireshark does).
# rpcgen, taskset and valgrind are for `make bench` (ONC RPC's stubs, pinning, counting allocations).
COMMANDS    := tshark:tshark clang:clang rpcgen:rpcsvc-proto taskset:util-linux valgrind:valgrind
# python module : Debian package, imported by Debian's own python3 (/usr/bin/python3):
# impacket is the independent DCE/RPC client whose ept_lookup lists what our mapper holds
# (tests/integration/epm_check.sh).
PY_MODULES  := impacket:python3-impacket
# clang runtime library : Debian package. libFuzzer (make fuzz, the fuzz smoke test) is a runtime
# library of clang's that Debian packages apart from the compiler; found by clang itself.
CLANG_RT    := fuzzer:libclang-rt-dev

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
	for p in $(PY_MODULES); do \
	    /usr/bin/python3 -c "import $${p%%:*}" >/dev/null 2>&1 || missing="$$missing $${p#*:}"; \
	done; \
	for r in $(CLANG_RT); do \
	    f=$$(clang -print-file-name=libclang_rt.$${r%%:*}-$$(uname -m).a 2>/dev/null); \
	    [ -f "$$f" ] || missing="$$missing $${r#*:}"; \
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

LIB_SRC := $(wildcard rpc/*.c) $(wildcard rpc/compat/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB     := $(BUILD)/librpcscope.a

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) -c $< -o $@

# Microsoft's RPC API (rpc/compat/rpc.h) includes the library's headers as <rpcscope/...>, as a
# program against an installed copy does.
$(BUILD)/obj/rpc/compat/%.o: rpc/compat/%.c | deps $(BUILD)/include/rpcscope
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) -I$(BUILD)/include -c $< -o $@

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

# ---- rpcscope-epmd, the endpoint mapper as a program (rpc/epm.h) ----------------------------------

EPMD := $(BUILD)/rpcscope-epmd

$(EPMD): $(BUILD)/obj/rpc/epmd/main.o $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- generated stubs ----------------------------------------------------------------------------
# rpcidl makes NAME.h, NAME_c.c and NAME_s.c from DIR/NAME.idl (and DIR/NAME.acf) in
# $(BUILD)/gen/DIR/ -- the IDL's own path, so two interfaces of one name cannot meet -- and again
# whenever the IDL, the ACF or rpcidl changes; they are never committed. Generated code includes
# <rpcscope/stub.h>: in the tree $(BUILD)/include/rpcscope is a symlink to rpc/, so the same line
# works here and against an installed library. It is compiled with plain -std=c11 (no feature
# macros) and every warning an error: a test in itself. A program built from stubs links
# $(call gen_objs,DIR/NAME.idl) and compiles with -I$(GEN_INC) -I$(call gen_dir,DIR/NAME.idl).

GEN_INC    := $(BUILD)/include
GEN_CFLAGS  = -std=c11 $(WARN) $(OPT) $(DEFS) -MMD -MP -I$(GEN_INC)

# The IDL files whose stubs the build makes: the conformance interface, the lessons' interfaces,
# the interfaces unit tests call through generated stubs, and the inputs of rpcidl's golden tests.
IDL_FILES := tests/interop/conform.idl $(wildcard lessons/*/*.idl) $(wildcard tests/unit/*.idl) \
             $(wildcard tests/unit/golden/*/*.idl)

# For an IDL file: its NAME, the directory its stubs go to, the three files, their two objects.
idl_name  = $(basename $(notdir $(1)))
gen_dir   = $(BUILD)/gen/$(patsubst %/,%,$(dir $(1)))
gen_files = $(addprefix $(call gen_dir,$(1))/$(call idl_name,$(1)),.h _c.c _s.c)
gen_objs  = $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(filter %.c,$(call gen_files,$(1))))

# $(call stubs_rule,IDL): the three files come from one run of rpcidl (a grouped target).
define stubs_rule
$(call gen_files,$(1)) &: $(1) $(wildcard $(basename $(1)).acf) $(BUILD)/rpcidl
	@mkdir -p $$(@D)
	$(call SAY,IDL,$(1))$(BUILD)/rpcidl $(1) -o $$(@D)
endef
$(foreach f,$(IDL_FILES),$(eval $(call stubs_rule,$(f))))

GEN_OBJ := $(foreach f,$(IDL_FILES),$(call gen_objs,$(f)))

$(GEN_INC)/rpcscope:
	@mkdir -p $(@D)
	$(Q)ln -sfn $(CURDIR)/rpc $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c | $(GEN_INC)/rpcscope
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(GEN_CFLAGS) -c $< -o $@

.PHONY: stubs
stubs: $(GEN_OBJ)

# ---- the conformance server and client -----------------------------------------------------------
# build/conform_server serves tests/interop/conform.idl; build/conform_client calls every operation
# of it. Tests, benchmarks and interop checks run them as real processes. Both also carry the
# hello lesson's interface, so one server offers two interfaces and one client calls both over one
# connection (a bind, then an alter_context).

CONFORM_IDL  := tests/interop/conform.idl
CONFORM_DIR   = $(call gen_dir,$(CONFORM_IDL))
HELLO_IDL    := lessons/hello/hello.idl
CONFORM_PROGS := $(BUILD)/conform_server $(BUILD)/conform_client

$(BUILD)/obj/tests/interop/conform_%.o: tests/interop/conform_%.c $(CONFORM_DIR)/conform.h \
                                        $(call gen_dir,$(HELLO_IDL))/hello.h | $(GEN_INC)/rpcscope
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(GEN_CFLAGS) -D_POSIX_C_SOURCE=200809L -I$(CONFORM_DIR) \
	    -I$(call gen_dir,$(HELLO_IDL)) -c $< -o $@

$(BUILD)/conform_server: $(BUILD)/obj/tests/interop/conform_server.o \
                         $(filter %_s.o,$(call gen_objs,$(CONFORM_IDL)) $(call gen_objs,$(HELLO_IDL))) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/conform_client: $(BUILD)/obj/tests/interop/conform_client.o \
                         $(filter %_c.o,$(call gen_objs,$(CONFORM_IDL)) $(call gen_objs,$(HELLO_IDL))) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- rpcscope, the simulator (sim/) ---------------------------------------------------------------
# sim/main.c is the command; the other sim/ files are shared with the simulator's unit tests.
# The command opens the window, so it compiles with SDL's flags and is linked with ui/ in the
# window's section below.

SIM_SRC  := $(filter-out sim/main.c,$(wildcard sim/*.c))
SIM_OBJ  := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)
RPCSCOPE := $(if $(wildcard sim/main.c),$(BUILD)/rpcscope)

$(BUILD)/obj/sim/%.o: sim/%.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) -Isim -c $< -o $@

$(BUILD)/obj/sim/main.o: CFLAGS += $(SDL_CFLAGS) -Iui


# ---- lessons -------------------------------------------------------------------------------------
# Every folder lessons/NAME/ with a lesson.txt is a lesson: its NAME.idl goes through rpcidl like
# any IDL above, and client.c and server.c become build/lessons/NAME/{client,server}, where
# rpcscope looks for them. A new lesson is a new folder; nothing here changes.

LESSONS         := $(notdir $(patsubst %/,%,$(dir $(wildcard lessons/*/lesson.txt))))
FIRST_LESSON    := hello
lesson_idl       = lessons/$(1)/$(1).idl
LESSON_PROGRAMS := $(foreach l,$(LESSONS),$(BUILD)/lessons/$(l)/client $(BUILD)/lessons/$(l)/server)

define lesson_rules
$(BUILD)/obj/lessons/$(1)/%.o: lessons/$(1)/%.c $(call gen_dir,$(call lesson_idl,$(1)))/$(1).h | $(GEN_INC)/rpcscope
	@mkdir -p $$(@D)
	$$(call SAY,CC,$$<)$$(CC) $$(GEN_CFLAGS) -D_POSIX_C_SOURCE=200809L \
	    -I$(call gen_dir,$(call lesson_idl,$(1))) -c $$< -o $$@

$(BUILD)/lessons/$(1)/client: $(BUILD)/obj/lessons/$(1)/client.o \
                              $(filter %_c.o,$(call gen_objs,$(call lesson_idl,$(1)))) $(LIB)
	@mkdir -p $$(@D)
	$$(call SAY,LD,$$@)$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@

$(BUILD)/lessons/$(1)/server: $(BUILD)/obj/lessons/$(1)/server.o \
                              $(filter %_s.o,$(call gen_objs,$(call lesson_idl,$(1)))) $(LIB)
	@mkdir -p $$(@D)
	$$(call SAY,LD,$$@)$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach l,$(LESSONS),$(eval $(call lesson_rules,$(l))))

# A lesson folder may also hold ms_client.c and ms_server.c: the same programs written against
# Microsoft's RPC API (rpc/compat/rpc.h). Their stubs come from `rpcidl --ms` into
# $(BUILD)/gen/ms/lessons/NAME/ (beside the native ones, never mixed), they compile with the
# compat headers on the include path, and they become build/lessons/NAME/ms_{client,server},
# which `rpcscope NAME --server ms_server --client ms_client` runs in place of the native pair.

MS_LESSONS   := $(notdir $(patsubst %/,%,$(dir $(wildcard lessons/*/ms_client.c))))
ms_gen_dir    = $(BUILD)/gen/ms/lessons/$(1)
COMPAT_INC    = -I$(GEN_INC)/rpcscope/compat
LESSON_PROGRAMS += $(foreach l,$(MS_LESSONS),$(BUILD)/lessons/$(l)/ms_client $(BUILD)/lessons/$(l)/ms_server)

$(BUILD)/obj/gen/ms/%.o: GEN_CFLAGS += $(COMPAT_INC)

define ms_lesson_rules
$(addprefix $(call ms_gen_dir,$(1))/$(1),.h _c.c _s.c) &: $(call lesson_idl,$(1)) \
        $(wildcard lessons/$(1)/$(1).acf) $(BUILD)/rpcidl
	@mkdir -p $$(@D)
	$$(call SAY,IDL-MS,$(call lesson_idl,$(1)))$(BUILD)/rpcidl --ms $(call lesson_idl,$(1)) -o $$(@D)

$(BUILD)/obj/lessons/$(1)/ms_%.o: lessons/$(1)/ms_%.c $(call ms_gen_dir,$(1))/$(1).h | $(GEN_INC)/rpcscope
	@mkdir -p $$(@D)
	$$(call SAY,CC,$$<)$$(CC) $$(GEN_CFLAGS) $$(COMPAT_INC) -I$(call ms_gen_dir,$(1)) -c $$< -o $$@

$(BUILD)/lessons/$(1)/ms_client: $(BUILD)/obj/lessons/$(1)/ms_client.o \
                                 $(BUILD)/obj/gen/ms/lessons/$(1)/$(1)_c.o $(LIB)
	@mkdir -p $$(@D)
	$$(call SAY,LD,$$@)$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@

$(BUILD)/lessons/$(1)/ms_server: $(BUILD)/obj/lessons/$(1)/ms_server.o \
                                 $(BUILD)/obj/gen/ms/lessons/$(1)/$(1)_s.o $(LIB)
	@mkdir -p $$(@D)
	$$(call SAY,LD,$$@)$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach l,$(MS_LESSONS),$(eval $(call ms_lesson_rules,$(l))))

.PHONY: lessons
lessons: $(LESSON_PROGRAMS)

# ---- the window (ui/) -----------------------------------------------------------------------------
# The view builds a draw list from the simulator's state; render.c is the only file that draws
# with SDL. Its tests render headless (SDL's offscreen driver) with the bundled fonts.

# window.c is the window's main loop over the simulator's objects (it includes sim/ headers and
# calls the stepper): only rpcscope links it. The ui tests and tools link the rest.
UI_SRC      := $(wildcard ui/*.c)
UI_APP_OBJ  := $(UI_SRC:%.c=$(BUILD)/obj/%.o)
UI_OBJ      := $(filter-out $(BUILD)/obj/ui/window.o,$(UI_APP_OBJ))
SDL_CFLAGS   = $(shell pkg-config --cflags sdl2 SDL2_ttf SDL2_image)
SDL_LIBS     = $(shell pkg-config --libs sdl2 SDL2_ttf SDL2_image) -lm
HEADLESS    := SDL_VIDEODRIVER=offscreen RPCSCOPE_ASSETS=$(CURDIR)/assets

$(BUILD)/obj/ui/%.o: ui/%.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) $(SDL_CFLAGS) -Iui -c $< -o $@

$(BUILD)/obj/ui/window.o: CFLAGS += -Isim

# rpcscope: the simulator's command with the whole window.
$(BUILD)/rpcscope: $(BUILD)/obj/sim/main.o $(SIM_OBJ) $(UI_APP_OBJ) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(SDL_LIBS) $(LDLIBS) -o $@

UI_TEST_SRC := $(wildcard tests/ui/test_*.c)
UI_TEST_BIN := $(UI_TEST_SRC:tests/ui/%.c=$(BUILD)/tests/%)

$(BUILD)/obj/tests/ui/%.o: tests/ui/%.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CFLAGS) $(SDL_CFLAGS) $(CMOCKA_CFLAGS) -Iui -c $< -o $@

$(BUILD)/tests/test_ui_%: $(BUILD)/obj/tests/ui/test_ui_%.o $(UI_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(SDL_LIBS) $(CMOCKA_LIBS) $(LDLIBS) -o $@

# Tools for looking at the design: one frame of a demo call to a PNG, and a frame-time harness.
$(BUILD)/ui_shot: $(BUILD)/obj/tests/ui/shot.o $(UI_OBJ) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(SDL_LIBS) $(LDLIBS) -o $@

$(BUILD)/ui_bench: $(BUILD)/obj/tests/ui/bench_view.o $(UI_OBJ) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(SDL_LIBS) $(LDLIBS) -o $@

# ---- fuzzing -------------------------------------------------------------------------------------
# Each tests/fuzz/fuzz_NAME.c is a libFuzzer target, built with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer as build/fuzz/fuzz_NAME, linked with a copy of the library (rpc/,
# rpc/idl/, sim/ and conform's server stubs) built the same way in build/fuzz/obj/. `make fuzz`
# runs each for FUZZ_SECONDS on a copy of its seed corpus tests/fuzz/corpus/NAME/: what it finds
# new goes to build/fuzz/corpus/NAME/, never into the tree; a crash, leak or timeout stops it with
# a non-zero exit and the reproducer in build/fuzz/artifacts/NAME/ (rerun: build/fuzz/fuzz_NAME
# FILE; keep it in tests/fuzz/regressions/NAME/ once fixed). `make test` runs each target for a
# few seconds and every file under tests/fuzz/regressions/ once (tests/fuzz/smoke.sh).

FUZZ_CC      := clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD_ROOT)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := $(CSTD) $(WARN) -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -MMD -MP
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC) $(IDL_SRC) $(SIM_SRC))
FUZZ_STUBS_O := $(FUZZ_DIR)/obj/gen/conform_s.o

# The library's objects are instrumented for coverage (fuzzer-no-link); only targets get main().
$(FUZZ_DIR)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(call SAY,FUZZCC,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Irpc -Irpc/idl -Isim \
	    -I$(GEN_INC) -I$(CONFORM_DIR) -c $< -o $@

$(FUZZ_STUBS_O): $(CONFORM_DIR)/conform_s.c | $(GEN_INC)/rpcscope deps
	@mkdir -p $(@D)
	$(call SAY,FUZZCC,$<)$(FUZZ_CC) -std=c11 $(WARN) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	    -I$(GEN_INC) -c $< -o $@

$(FUZZ_DIR)/obj/tests/fuzz/fuzz_stubs.o: $(CONFORM_DIR)/conform.h | $(GEN_INC)/rpcscope

$(FUZZ_DIR)/librpcscope-fuzz.a: $(FUZZ_LIB_OBJ)
	$(call SAY,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_stubs: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_stubs.o $(FUZZ_STUBS_O) \
                        $(FUZZ_DIR)/librpcscope-fuzz.a
	$(call SAY,LD,$@)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ -lpthread -lm -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/librpcscope-fuzz.a
	$(call SAY,LD,$@)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ -lpthread -lm -o $@

.PHONY: fuzz
fuzz: $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) -1

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)

# ---- benchmarks -----------------------------------------------------------------------------------
# `make bench` (never part of `make test`) measures calls to build/conform_server beside the limit
# and beside ONC RPC, in one run: tests/bench/run.sh says what and how. rpcbench calls through
# conform's generated client stubs; rawping is a bare socket ping-pong of the same bytes; oncbench
# is libtirpc with rpcgen's stubs for tests/bench/oncbench.x (made in $(BUILD)/gen/tests/bench/,
# compiled without our warnings: rpcgen's code is not ours); ndrbench times NDR against memcpy.
# `make test` runs rpcbench once on a few calls (tests/integration/bench_smoke.sh).

BENCH_PROGS  := $(BUILD)/rpcbench $(BUILD)/rawping $(BUILD)/oncbench $(BUILD)/ndrbench
ONC_GEN      := $(BUILD)/gen/tests/bench
ONC_FILES    := $(ONC_GEN)/oncbench.h $(ONC_GEN)/oncbench_xdr.c $(ONC_GEN)/oncbench_clnt.c \
                $(ONC_GEN)/oncbench_svc.c
TIRPC_CFLAGS  = $(shell pkg-config --cflags libtirpc)
TIRPC_LIBS    = $(shell pkg-config --libs libtirpc)

$(BUILD)/obj/tests/bench/rpcbench.o $(BUILD)/obj/tests/bench/ndrbench.o: \
$(BUILD)/obj/tests/bench/%.o: tests/bench/%.c $(CONFORM_DIR)/conform.h | $(GEN_INC)/rpcscope
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(GEN_CFLAGS) -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$(CONFORM_DIR) \
	    -c $< -o $@

$(BUILD)/rpcbench: $(BUILD)/obj/tests/bench/rpcbench.o $(filter %_c.o,$(call gen_objs,$(CONFORM_IDL))) $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/ndrbench: $(BUILD)/obj/tests/bench/ndrbench.o $(LIB)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/obj/tests/bench/rawping.o: tests/bench/rawping.c | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CSTD) $(WARN) $(OPT) -MMD -MP -c $< -o $@

$(BUILD)/rawping: $(BUILD)/obj/tests/bench/rawping.o
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ -o $@

# rpcgen: -h the header, -c the XDR routines, -l the client stub, -m the server's dispatcher.
$(ONC_FILES) &: tests/bench/oncbench.x | deps
	@mkdir -p $(ONC_GEN)
	$(call SAY,RPCGEN,$<)cd $(ONC_GEN) && cp $(CURDIR)/$< . && rpcgen -h oncbench.x -o oncbench.h && \
	    rpcgen -c oncbench.x -o oncbench_xdr.c && rpcgen -l oncbench.x -o oncbench_clnt.c && \
	    rpcgen -m oncbench.x -o oncbench_svc.c

$(BUILD)/obj/gen/tests/bench/%.o: $(ONC_GEN)/%.c $(ONC_GEN)/oncbench.h
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) -std=gnu11 $(OPT) -w $(TIRPC_CFLAGS) -c $< -o $@

# libtirpc's API casts xdr_void, declared (void), to xdrproc_t: that one warning is off.
$(BUILD)/obj/tests/bench/oncbench.o: tests/bench/oncbench.c $(ONC_GEN)/oncbench.h | deps
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(CSTD) $(WARN) -Wno-cast-function-type $(OPT) -MMD -MP $(TIRPC_CFLAGS) -I$(ONC_GEN) -c $< -o $@

$(BUILD)/oncbench: $(BUILD)/obj/tests/bench/oncbench.o \
                   $(patsubst $(ONC_GEN)/%.c,$(BUILD)/obj/gen/tests/bench/%.o,$(filter %.c,$(ONC_FILES)))
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(TIRPC_LIBS) -o $@

# The hook compiled out: the same server and rpcbench, built again in build/notrace.
NOTRACE_BUILD := $(BUILD_ROOT)/notrace

.PHONY: bench
bench: $(BENCH_PROGS) $(CONFORM_PROGS) $(RPCSCOPE)
	$(Q)$(MAKE) --no-print-directory NOTRACE=1 $(NOTRACE_BUILD)/conform_server $(NOTRACE_BUILD)/rpcbench
	$(Q)sh tests/bench/run.sh $(BUILD) $(NOTRACE_BUILD)

# ---- reliability: hostile input, load and faults --------------------------------------------------
# Programs that tests/integration/reliability.sh runs against a real build/conform_server (and
# build/tests/counter_server): hostile sends malformed input, load makes many clients' mixed
# calls at once, faultcall is a client the script kills, stops and restarts servers around. Each
# calls through conform's generated client stubs.

REL_PROGS := $(BUILD)/tests/hostile $(BUILD)/tests/load $(BUILD)/tests/faultcall
REL_OBJS  := $(REL_PROGS:$(BUILD)/tests/%=$(BUILD)/obj/tests/integration/%.o)

$(REL_OBJS): $(BUILD)/obj/tests/integration/%.o: tests/integration/%.c $(CONFORM_DIR)/conform.h \
             | $(GEN_INC)/rpcscope
	@mkdir -p $(@D)
	$(call SAY,CC,$<)$(CC) $(GEN_CFLAGS) -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$(CONFORM_DIR) \
	    -c $< -o $@

$(REL_PROGS): $(BUILD)/tests/%: $(BUILD)/obj/tests/integration/%.o \
              $(filter %_c.o,$(call gen_objs,$(CONFORM_IDL))) $(LIB)
	@mkdir -p $(@D)
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

# test_stubs links conform's generated server stubs, test_stubs_client its client stubs: one
# program cannot hold both, since a client stub has the name of the procedure the server calls.
STUB_TESTS := $(BUILD)/obj/tests/unit/test_stubs.o $(BUILD)/obj/tests/unit/test_stubs_client.o
$(STUB_TESTS): $(call gen_dir,$(CONFORM_IDL))/conform.h | $(GEN_INC)/rpcscope
$(STUB_TESTS): CFLAGS += -I$(GEN_INC) -I$(call gen_dir,$(CONFORM_IDL))

$(BUILD)/tests/test_stubs: $(BUILD)/obj/tests/unit/test_stubs.o \
                           $(filter %_s.o,$(call gen_objs,$(CONFORM_IDL))) $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

$(BUILD)/tests/test_stubs_client: $(BUILD)/obj/tests/unit/test_stubs_client.o \
                                  $(filter %_c.o,$(call gen_objs,$(CONFORM_IDL))) $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

# test_context_handle calls the client stubs of tests/unit/counter.idl; their server side is
# build/tests/counter_server, a program of its own (for the same reason), which the test starts.
COUNTER_IDL  := tests/unit/counter.idl
COUNTER_OBJS := $(BUILD)/obj/tests/unit/test_context_handle.o $(BUILD)/obj/tests/unit/counter_server.o
$(COUNTER_OBJS): $(call gen_dir,$(COUNTER_IDL))/counter.h | $(GEN_INC)/rpcscope
$(COUNTER_OBJS): CFLAGS += -I$(GEN_INC) -I$(call gen_dir,$(COUNTER_IDL))

$(BUILD)/tests/counter_server: $(BUILD)/obj/tests/unit/counter_server.o \
                               $(filter %_s.o,$(call gen_objs,$(COUNTER_IDL))) $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/test_context_handle: $(BUILD)/obj/tests/unit/test_context_handle.o \
                                    $(filter %_c.o,$(call gen_objs,$(COUNTER_IDL))) $(LIB) \
                                    | $(BUILD)/tests/counter_server
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

# test_msrpc includes Microsoft's RPC API as a program does: rpc.h from rpc/compat/, which
# includes the library's headers as <rpcscope/...>.
$(BUILD)/obj/tests/unit/test_msrpc.o: | $(GEN_INC)/rpcscope
$(BUILD)/obj/tests/unit/test_msrpc.o: CFLAGS += -I$(GEN_INC) -Irpc/compat

# The IDL compiler's tests link its stages too (the more specific pattern wins).
$(BUILD)/tests/test_idl_%: $(BUILD)/obj/tests/unit/test_idl_%.o $(IDL_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(call SAY,LD,$@)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) $(LDLIBS) -o $@

.PHONY: all
all: $(LIB) $(RPCIDL) $(RPCSCOPE) $(EPMD) $(CONFORM_PROGS) lessons stubs tests $(UI_TEST_BIN) $(BUILD)/ui_shot

.PHONY: test
test: $(UNIT_BIN) $(UI_TEST_BIN) $(LIB) $(RPCIDL) $(RPCSCOPE) $(EPMD) $(CONFORM_PROGS) lessons stubs \
      $(FUZZ_BINS) $(BUILD)/rpcbench $(REL_PROGS)
	$(Q)sh tests/run $(UNIT_BIN) $(addprefix "$(HEADLESS) ,$(addsuffix ",$(UI_TEST_BIN))) \
	    "sh tests/integration/install_check.sh $(BUILD) '$(LDFLAGS)'" \
	    "sh tests/integration/rpcidl_cli.sh $(BUILD)" \
	    "sh tests/integration/readme_rpc_check.sh $(BUILD) '$(LDFLAGS)'" \
	    "sh tests/integration/conform_check.sh $(BUILD)" \
	    "sh tests/integration/bench_smoke.sh $(BUILD)" \
	    "sh tests/integration/reliability.sh $(BUILD)" \
	    "sh tests/interop/tshark_check.sh $(BUILD)" \
	    "sh tests/integration/sim_cli.sh $(BUILD)" \
	    "sh tests/integration/lessons_check.sh $(BUILD)" \
	    "sh tests/integration/epm_check.sh $(BUILD)" \
	    "$(HEADLESS) sh tests/integration/window_check.sh $(BUILD)" \
	    "sh tests/fuzz/smoke.sh $(FUZZ_DIR)"

# `make lint` (never part of `make test`): cppcheck and clang-tidy on the project's own code, with
# the checks and the reasoned suppressions in tests/lint.sh. About 3.5 minutes on 2 cores.
.PHONY: lint
lint: stubs
	$(Q)sh tests/lint.sh $(BUILD) "$(SDL_CFLAGS)"

# `make valgrind` (never part of `make test`: valgrind is slow): the integration programs under
# memcheck, tests/integration/valgrind.sh says which. About 15 s.
.PHONY: valgrind
valgrind: $(LIB) $(RPCSCOPE) $(CONFORM_PROGS) lessons $(REL_PROGS)
	$(Q)sh tests/integration/valgrind.sh $(BUILD)

# Rewrites the golden files of test_idl_gen (tests/unit/golden/) from the current rpcidl: after a
# deliberate change to the generated code. Read the diff before committing it.
.PHONY: golden
golden: $(BUILD)/tests/test_idl_gen
	$(Q)RPCIDL_GOLDEN_UPDATE=1 $(BUILD)/tests/test_idl_gen

.PHONY: asan
asan:
	$(Q)$(MAKE) --no-print-directory SAN=1 test

# ---- the main program ---------------------------------------------------------------------------

.PHONY: run
run: all
	$(Q)$(BUILD)/rpcscope $(FIRST_LESSON)

# The README's pictures, from the real lesson mid-call with the inspector open: step 29 is the
# server stub writing its own copy of pszString (at its own address; the client's copy is at
# another), with the timeline; step 33 the response PDU on its way back while that copy is still
# there, in the projector theme, whose large type needs the timeline's width to stay readable.
# Steps are deterministic: the window releases one process at a time.
SHOT_NORMAL_AT    := 29
SHOT_PROJECTOR_AT := 33
# Three more lessons: the server stub reading the NULL that ends a linked list, with the referent
# ids in the inspector; three request fragments joined into one stub by the server runtime; and a
# killed server, with the late response its client never read crossed out.
SHOT_POINTERS_AT  := 34
SHOT_FRAGMENTS_AT := 29
SHOT_FAILURES_AT  := 174

.PHONY: screenshots
screenshots: $(RPCSCOPE) lessons
	$(Q)mkdir -p assets/screenshots
	$(Q)$(HEADLESS) $(BUILD)/rpcscope $(FIRST_LESSON) --screenshot assets/screenshots/hello-normal.png \
	    --at $(SHOT_NORMAL_AT) --inspector --timeline
	$(Q)$(HEADLESS) $(BUILD)/rpcscope $(FIRST_LESSON) --screenshot assets/screenshots/hello-projector.png \
	    --at $(SHOT_PROJECTOR_AT) --inspector --theme projector
	$(Q)$(HEADLESS) $(BUILD)/rpcscope pointers --screenshot assets/screenshots/pointers.png \
	    --at $(SHOT_POINTERS_AT) --inspector
	$(Q)$(HEADLESS) $(BUILD)/rpcscope fragments --screenshot assets/screenshots/fragments.png \
	    --at $(SHOT_FRAGMENTS_AT) --timeline --inspector
	$(Q)$(HEADLESS) $(BUILD)/rpcscope failures --screenshot assets/screenshots/failures.png \
	    --at $(SHOT_FAILURES_AT) --timeline
	@echo "wrote assets/screenshots/{hello-normal,hello-projector,pointers,fragments,failures}.png"

# ---- install ------------------------------------------------------------------------------------

LIB_HDR := $(wildcard rpc/*.h)

.PHONY: install
install: $(LIB) $(BUILD)/rpcidl $(EPMD)
	$(Q)install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/rpcscope \
	    $(DESTDIR)$(PREFIX)/bin
	$(Q)install -m 755 $(BUILD)/rpcidl $(DESTDIR)$(PREFIX)/bin/
	$(Q)install -m 755 $(EPMD) $(DESTDIR)$(PREFIX)/bin/
	$(Q)install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	$(Q)install -m 644 $(LIB_HDR) $(DESTDIR)$(PREFIX)/include/rpcscope/
	$(Q)install -d $(DESTDIR)$(PREFIX)/include/rpcscope/compat
	$(Q)install -m 644 $(wildcard rpc/compat/*.h) $(DESTDIR)$(PREFIX)/include/rpcscope/compat/
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
