# cgid - build, test and run.  Knobs may go in an optional config.mk.
#   make            build ./cgid
#   make run        build and serve examples/www on http://127.0.0.1:8080/
#   make test       install test dependencies, build, run every test
#   make bench      compare cgid with its peers, write BENCHMARKS.md
#   make CC=clang   the same with clang

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
PREFIX  ?= /usr/local
-include config.mk

SRCS = cgid.c http.c cgi.c conn.c file.c log.c
HDRS = cgid.h http.h cgi.h conn.h file.h
FUZZ = $(patsubst %.c,%,$(wildcard fuzz/*.c))

all: cgid

cgid: $(SRCS) $(HDRS)
	$(CC) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $(SRCS)

cgid-asan: $(SRCS) $(HDRS)
	$(CC) $(WARN) -O1 -g $(SAN) -o $@ $(SRCS)

tests/unit: tests/unit.c http.c http.h cgid.h
	$(CC) $(WARN) -g $(SAN) -I. -o $@ tests/unit.c http.c

fuzz/%: fuzz/%.c http.c http.h cgid.h
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -o $@ $< http.c

# As root (a container, a fresh VM), scripts run only with --allow-root.
run: cgid
	./cgid -l 127.0.0.1:8080 --log stderr \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root) examples/www

test:
	@sh tests/deps.sh
	@$(MAKE) -s cgid cgid-asan tests/unit
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
	rm -f cgid cgid-asan tests/unit $(FUZZ)

.PHONY: all run test bench fuzz clean
