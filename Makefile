# esctl - Makefile (GNU make).
#
#   make            build ./esctl (runs scripts/install-deps and ./configure
#                   first when needed)
#   make check      install what the tests need, build and run every test
#                   (bats suites + C unit tests)
#   make demo       install what the demo needs, build and run the
#                   end-to-end demo on embedded defaults
#   make deps       install everything the build, demo and tests need
#   make bench      run the benchmarks in scripts/bench
#   make mutate     plant the bugs of scripts/mutate.d one at a time and
#                   check the suites catch each (slow; not part of check)
#   make install    install binary, man pages and completions (DESTDIR-aware)
#   make SANITIZE=1 ...   the same under ASan+UBSan, built in build-san/

VERSION = 0.1.0

-include config.mk

SANITIZE ?= $(SANITIZE_DEFAULT)
ifeq ($(SANITIZE),1)
BUILD = build-san
# float-cast-overflow is not part of GCC's -fsanitize=undefined
SANFLAGS = -fsanitize=address,undefined,float-cast-overflow \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
ESCTL = $(BUILD)/esctl
else
BUILD = build
SANFLAGS =
ESCTL = esctl
endif

WARN = -Wall -Wextra -Wpedantic -Wmissing-prototypes -Wstrict-prototypes \
	-Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 \
	-Wno-format-nonliteral -Wundef -Wold-style-definition \
	-Wmissing-declarations -Wvla
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DESCTL_VERSION=\"$(VERSION)\" \
	$(WARN) $(CFLAGS) $(SANFLAGS) $(DEP_CFLAGS) -Ilib -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

LIB_SRC = $(sort $(wildcard lib/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ = $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT = $(BUILD)/esctl-unit

# Vector kernels built for wider instruction sets; picked at run time.
$(BUILD)/lib/%_avx2.o: ALL_CFLAGS += -mavx2 -mfma
$(BUILD)/lib/%_avx512.o: ALL_CFLAGS += -mavx512f -mavx512bw -mavx512dq \
	-mavx512vl -mfma

PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
BINDIR = $(PREFIX)/bin
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d

.PHONY: all deps deps-demo deps-test check unit demo bench install uninstall clean distclean \
	checksrc completions fuzz mutate

all: $(ESCTL)

# A fresh clone has no config.mk: install what is missing, then configure.
config.mk: configure
	@scripts/install-deps --build
	./configure

deps:
	@scripts/install-deps --demo --test

deps-demo:
	@scripts/install-deps --demo

deps-test:
	@scripts/install-deps --test

$(BUILD)/libesctl.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(ESCTL): $(CMD_OBJ) $(BUILD)/libesctl.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libesctl.a $(DEP_LIBS)

$(UNIT): $(UNIT_OBJ) $(BUILD)/libesctl.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJ) $(BUILD)/libesctl.a $(DEP_LIBS)

$(BUILD)/%.o: %.c config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tests/unit/%.o: ALL_CFLAGS += -Itests/unit

check: deps-test $(ESCTL) $(UNIT)
	@ESCTL_BIN=$(CURDIR)/$(ESCTL) ESCTL_UNIT=$(CURDIR)/$(UNIT) \
	    ESCTL_SANITIZE=$(SANITIZE) tests/run $(TESTS)

unit: $(UNIT)
	$(UNIT)

demo: deps-demo $(ESCTL)
	@ESCTL_BIN=$(CURDIR)/$(ESCTL) scripts/demo

bench: $(ESCTL)
	@scripts/install-deps --bench
	@ESCTL_BIN=$(CURDIR)/$(ESCTL) scripts/bench/run
	@ESCTL_BIN=$(CURDIR)/$(ESCTL) scripts/bench/strategy-check

fuzz:
	@scripts/fuzz

mutate: $(ESCTL) $(UNIT)
	@scripts/mutate $(MUTANTS)

checksrc:
	@scripts/checksrc

completions: $(ESCTL)
	./$(ESCTL) completion bash > completions/esctl.bash
	./$(ESCTL) completion zsh > completions/_esctl
	./$(ESCTL) completion fish > completions/esctl.fish

install: $(ESCTL)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR) \
	    $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(ESCTL) $(DESTDIR)$(BINDIR)/esctl
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 completions/esctl.bash $(DESTDIR)$(BASHCOMPDIR)/esctl
	install -m 644 completions/_esctl $(DESTDIR)$(ZSHCOMPDIR)/_esctl
	install -m 644 completions/esctl.fish \
	    $(DESTDIR)$(FISHCOMPDIR)/esctl.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/esctl
	for f in man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$${f#man/}; done
	for f in man/*.5; do rm -f $(DESTDIR)$(MANDIR)/man5/$${f#man/}; done
	rm -f $(DESTDIR)$(BASHCOMPDIR)/esctl $(DESTDIR)$(ZSHCOMPDIR)/_esctl \
	    $(DESTDIR)$(FISHCOMPDIR)/esctl.fish

clean:
	rm -rf build build-san esctl

distclean: clean
	rm -f config.mk

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
