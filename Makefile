# cgid - build, test and run.  Knobs may go in an optional config.mk.
#   make            build ./cgid
#   make run        build and serve examples/www on http://127.0.0.1:8080/
#   make test       install test dependencies, build, run every test
#   make bench      compare cgid with its peers, write BENCHMARKS.md
#   make CC=clang   the same with clang

CC      ?= cc
# Small by default (see README, Size): link-time optimization (gcc's
# spelling runs its jobs in parallel), calls through the read-only GOT
# rather than a PLT, no unwind tables (and no index of them: nothing in
# cgid unwinds), unused sections dropped, relative relocations packed
# (DT_RELR: glibc 2.36 and binutils 2.38 or later; an older linker
# ignores the option with a warning).
LTO      = $(if $(findstring clang,$(shell $(CC) --version 2>/dev/null)),-flto,-flto=auto)
CFLAGS  ?= $(OPT) -g $(LTO) -fno-plt -fno-asynchronous-unwind-tables \
           -ffunction-sections -fdata-sections
LDFLAGS ?= -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,relro,-z,now \
           -Wl,-z,pack-relative-relocs -Wl,--no-eh-frame-hdr
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
PREFIX  ?= /usr/local
-include config.mk

# FRONTS=no leaves out the SCGI and FastCGI front ends, directory
# listings (--list-dirs) and virtual hosts (--vhosts), and puts size
# before speed (-Oz, gcc 12 or clang; the listener checks its kept
# documents with a stat per request, not with inotify; request bodies
# are copied to the program, not spliced): a router build, under 64 KiB.
FRONTS ?= yes
SRCS = cgid.c http.c cgi.c conn.c file.c log.c
ROUTER_SRCS := $(SRCS)
ROUTER_DEFS = -DCGID_NO_FRONTS -DCGID_NO_WATCH -DCGID_NO_SPLICE \
              -DCGID_NO_LISTING -DCGID_NO_VHOSTS
ifeq ($(FRONTS),no)
DEFS = $(ROUTER_DEFS)
OPT ?= -Oz
else
SRCS += front.c scgi.c fastcgi.c wire.c
endif
OPT ?= -Os
HDRS = cgid.h http.h cgi.h conn.h file.h front.h wire.h
FUZZ = $(patsubst %.c,%,$(wildcard fuzz/*.c))

all: cgid

cgid: $(SRCS) $(HDRS)
	$(CC) $(WARN) $(DEFS) $(CFLAGS) $(LDFLAGS) -o $@ $(SRCS)

cgid-asan: $(SRCS) $(HDRS)
	$(CC) $(WARN) $(DEFS) -O1 -g $(SAN) -o $@ $(SRCS)

# The router build beside ./cgid, for make test: its own code paths
# (request bodies copied, kept documents checked by stat) are tested too.
cgid-router: $(ROUTER_SRCS) $(HDRS)
	$(CC) $(WARN) $(ROUTER_DEFS) $(CFLAGS) -Oz $(LDFLAGS) -o $@ $(ROUTER_SRCS)

tests/unit: tests/unit.c http.c http.h cgid.h
	$(CC) $(WARN) -g $(SAN) -I. -o $@ tests/unit.c http.c

FUZZ_CC = clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
          -fno-sanitize-recover=undefined -I.

fuzz/%: fuzz/%.c http.c http.h cgid.h
	$(FUZZ_CC) -o $@ $< http.c

# the CGI header block parser lives beside the engine it serves
fuzz/cgihead: fuzz/cgihead.c $(SRCS) $(HDRS)
	$(FUZZ_CC) -o $@ $< cgi.c http.c conn.c file.c log.c

# The front servers' parsers are pure and link alone.
fuzz/scgi fuzz/fastcgi: fuzz/%: fuzz/%.c wire.c wire.h cgid.h
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -o $@ $< wire.c

# As root (a container, a fresh VM), scripts run only with --allow-root.
# The demo's scripts lose group and world write permission first: a
# checkout made under umask 002 has them group-writable, and cgid
# refuses to run such programs (403).
DEMO_ADDR ?= 127.0.0.1:8080
run: cgid
	chmod -R go-w examples/www
	./cgid -l $(DEMO_ADDR) --log stderr \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root) examples/www

test:
	@sh tests/deps.sh
	@$(MAKE) -s cgid cgid-asan cgid-router tests/unit
	@sh tests/run.sh

bench: cgid
	@sh bench/run.sh

fuzz: $(FUZZ)
	@for f in $(FUZZ); do \
		mkdir -p fuzz/out/$${f#fuzz/}; \
		dict=; [ -f $$f.dict ] && dict=-dict=$$f.dict; \
		$$f $$dict -max_total_time=$${FUZZ_SECONDS:-300} \
			fuzz/out/$${f#fuzz/} fuzz/corpus/$${f#fuzz/} || exit 1; \
	done

clean:
	rm -f cgid cgid-asan cgid-router cgid-static tests/unit $(FUZZ)

.PHONY: all run test bench fuzz clean

# --- install, uninstall, static ---------------------------------------------
#   make install [PREFIX=/usr/local] [DESTDIR=]   (and make uninstall)
#     $(PREFIX)/bin/cgid                      the program
#     $(PREFIX)/share/man/man8/cgid.8         the man page
#     $(PREFIX)/lib/systemd/system/           cgid.socket, cgid@.service,
#                                             cgid-daemon.socket, cgid.service
#     $(PREFIX)/share/doc/cgid/               README.md, inetd.conf,
#                                             xinetd.d-cgid, tcpserver.run
#     $(PREFIX)/share/doc/cgid/examples/www/  the demo site
#   The installed units and examples name $(PREFIX)/bin/cgid.
#   make static: ./cgid-static, linked statically with musl-gcc (musl-tools).
#   make install STATIC=yes installs ./cgid-static as the program: it
#   starts in about a quarter of the time, which every connection pays for
#   when a super-server starts cgid per connection.

BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DOCDIR   ?= $(PREFIX)/share/doc/cgid
MUSL_CC  ?= musl-gcc
STATIC_CFLAGS ?= -Os -fno-asynchronous-unwind-tables -ffunction-sections \
                 -fdata-sections -Wl,--gc-sections
# Linux headers (linux/openat2.h and what it includes) for musl-gcc,
# which leaves out the C library's include directory.
KERNEL_INCLUDE ?= /usr/include
UNITS     = cgid.socket cgid@.service cgid-daemon.socket cgid.service \
            cgid-fcgi.socket cgid-fcgi@.service
UNIT_DOCS = inetd.conf xinetd.d-cgid tcpserver.run

PROGRAM = $(if $(filter yes,$(STATIC)),cgid-static,cgid)

install: $(PROGRAM)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(PROGRAM) $(DESTDIR)$(BINDIR)/cgid
	install -m 644 cgid.8 $(DESTDIR)$(MANDIR)/man8/cgid.8
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	for f in $(UNITS); do \
		sed 's|/usr/local/bin/cgid|$(BINDIR)/cgid|g' units/$$f \
			>$(DESTDIR)$(UNITDIR)/$$f && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$f || exit 1; \
	done
	for f in $(UNIT_DOCS); do \
		m=644; [ -x units/$$f ] && m=755; \
		sed 's|/usr/local/bin/cgid|$(BINDIR)/cgid|g' units/$$f \
			>$(DESTDIR)$(DOCDIR)/$$f && \
		chmod $$m $(DESTDIR)$(DOCDIR)/$$f || exit 1; \
	done
	cd examples && find www -type d | while read -r d; do \
		install -d "$(DESTDIR)$(DOCDIR)/examples/$$d" || exit 1; \
	done
	cd examples && find www -type f | while read -r f; do \
		m=644; [ -x "$$f" ] && m=755; \
		install -m $$m "$$f" "$(DESTDIR)$(DOCDIR)/examples/$$f" || exit 1; \
	done

# Only the files install wrote, and the directories of the documentation
# once they are empty.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/cgid $(DESTDIR)$(MANDIR)/man8/cgid.8
	for f in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$f; done
	for f in README.md $(UNIT_DOCS); do rm -f $(DESTDIR)$(DOCDIR)/$$f; done
	cd examples && find www -type f | while read -r f; do \
		rm -f "$(DESTDIR)$(DOCDIR)/examples/$$f"; \
	done
	cd examples && find www -depth -type d | while read -r d; do \
		rmdir "$(DESTDIR)$(DOCDIR)/examples/$$d" 2>/dev/null; \
	done; true
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

static: cgid-static

cgid-static: $(SRCS) $(HDRS)
	@inc=$$(mktemp -d) && \
	arch=$$($(MUSL_CC) -dumpmachine | sed 's/-musl$$/-gnu/') && \
	ln -s $(KERNEL_INCLUDE)/linux $(KERNEL_INCLUDE)/asm-generic "$$inc/" && \
	if [ -d $(KERNEL_INCLUDE)/$$arch/asm ]; then \
		ln -s $(KERNEL_INCLUDE)/$$arch/asm "$$inc/asm"; \
	else ln -s $(KERNEL_INCLUDE)/asm "$$inc/asm"; fi && \
	echo "$(MUSL_CC) $(WARN) $(DEFS) $(STATIC_CFLAGS) -static -o $@ $(SRCS)" && \
	$(MUSL_CC) $(WARN) $(DEFS) $(STATIC_CFLAGS) -static -idirafter "$$inc" -o $@ $(SRCS); \
	rc=$$?; rm -rf "$$inc"; exit $$rc

.PHONY: install uninstall static
