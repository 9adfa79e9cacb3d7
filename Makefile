# ikerun: an IKEv2 keying system for Linux (ikecc, ikerund, ikectl).
# GNU make.  "make" builds everything into $(B)/; see README.md.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
DESTDIR	?=

CC	?= cc
B	?= build
OPT	?= -O2 -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes
CFLAGS	?=
CFLAGS	+= $(OPT) $(WARN) -std=gnu11 -D_GNU_SOURCE
O	 = $(B)/obj
CPPFLAGS += -Icommon -Igrammar -I$(O)/grammar
LDFLAGS	?=
SAN	?=
YACC	 = byacc
LEX	 = flex
LFLAGS	?= -Cf

CRYPTO_LIBS	= -lcrypto

COMMON_SRCS	= common/policy.c common/policy_names.c common/policy_print.c \
		  common/util.c common/blob.c
GRAMMAR_SRCS	= grammar/diag.c
GRAMMAR_GEN	= $(O)/grammar/parse.c $(O)/grammar/lex.c
IKECC_SRCS	= ikecc/check.c ikecc/host.c

COMMON_OBJS	= $(COMMON_SRCS:%.c=$(O)/%.o)
GRAMMAR_OBJS	= $(GRAMMAR_SRCS:%.c=$(O)/%.o) $(GRAMMAR_GEN:.c=.o)
IKECC_OBJS	= $(IKECC_SRCS:%.c=$(O)/%.o)

PROGS		= $(B)/ikecc $(B)/ikerund $(B)/ikectl

all: $(PROGS)

$(O)/grammar/parse.c $(O)/grammar/parse.h: grammar/parse.y
	@mkdir -p $(@D)
	$(YACC) -d -o $(O)/grammar/parse.c grammar/parse.y

$(O)/grammar/lex.c: grammar/lex.l $(O)/grammar/parse.h
	@mkdir -p $(@D)
	$(LEX) $(LFLAGS) -o $@ grammar/lex.l

# generated code: flex and byacc output is not ours to restyle
$(O)/grammar/%.o: $(O)/grammar/%.c grammar/ast.h grammar/lexer.h
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(SAN) -Wno-unused-function -Wno-sign-compare \
	    -Wno-missing-prototypes -Wno-shadow -Wno-unused-parameter \
	    $(CPPFLAGS) -c -o $@ $<

$(O)/%.o: %.c $(wildcard common/*.h grammar/*.h ikecc/*.h) $(O)/grammar/parse.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(SAN) $(CPPFLAGS) -c -o $@ $<

$(B)/libcommon.a: $(COMMON_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/libgrammar.a: $(GRAMMAR_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/ikecc: $(O)/ikecc/ikecc.o $(IKECC_OBJS) $(B)/libgrammar.a $(B)/libcommon.a
	$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# --- ikerund and ikectl -----------------------------------------------------
EVENT_LIBS	= -levent
DAEMON_COMMON	= common/log.c common/msg.c common/msgconn.c
IKERUND_SRCS	= ikerund/ikerund.c ikerund/proc.c ikerund/control.c \
		  ikerund/ca.c ikerund/ikev2.c ikerund/sa.c ikerund/show.c \
		  ikerund/gen.c ikerund/ikev2_exch.c ikerund/pld.c \
		  ikerund/kernel.c ikerund/kernel_msg.c ikerund/cookie.c \
		  ikerund/ikev2_frag.c
IKECTL_SRCS	= ikectl/ikectl.c
DAEMON_OBJS	= $(DAEMON_COMMON:%.c=$(O)/%.o)

# explicit targets: a pattern rule without a recipe would add nothing
$(IKERUND_SRCS:%.c=$(O)/%.o) $(IKECTL_SRCS:%.c=$(O)/%.o): $(wildcard ikerund/*.h)

$(B)/ikerund: $(IKERUND_SRCS:%.c=$(O)/%.o) $(DAEMON_OBJS) $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(CRYPTO_LIBS) -lmnl

$(B)/ikectl: $(IKECTL_SRCS:%.c=$(O)/%.o) $(DAEMON_OBJS) $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(CRYPTO_LIBS)

# unit test of SA bookkeeping, run by regress/daemon/test.sh
TESTPROGS	+= $(B)/satest
$(O)/regress/daemon/satest.o: CPPFLAGS += -Iikerund
$(B)/satest: $(O)/regress/daemon/satest.o $(O)/ikerund/sa.o $(DAEMON_OBJS) \
    $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(CRYPTO_LIBS)

# --- IKEv2 cryptography (ikerund/crypto.c): unit test, benchmark ---------
# cryptotest drives regress/crypto/test.sh, and regress/bench/crypto-bench.sh
# with "cryptotest bench".  crypto.o is linked into ikerund by the extra
# prerequisite line below ($^ lists it once, should IKERUND_SRCS name it).
TESTPROGS	+= $(B)/cryptotest
bench: $(B)/cryptotest
$(B)/ikerund: $(O)/ikerund/crypto.o
$(O)/regress/crypto/cryptotest.o: CPPFLAGS += -Iikerund
$(O)/regress/crypto/cryptotest.o: ikerund/crypto.h
$(B)/cryptotest: $(O)/regress/crypto/cryptotest.o $(O)/ikerund/crypto.o \
    $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(CRYPTO_LIBS)

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all clean

# --- tests ---------------------------------------------------------------
# "make check": install what is missing, build, run every suite, then the
#   pure-code suites again under ASan+UBSan (scripts/check.sh).
# "make asan": the same suites against an ASan+UBSan build.
check: deps all tests
	B=$(B) sh scripts/check.sh


asan:
	$(MAKE) B=build-asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all tests
	ASAN_OPTIONS=detect_leaks=1 regress/run.sh -b build-asan

deps:
	@sh scripts/deps.sh

# "make regress-update": rewrite the parser's golden files from what ikecc
#   prints now; review "git diff regress/parser" before committing it.
regress-update: $(B)/ikecc
	BUILD=$(abspath $(B)) regress/parser/test.sh -u

.PHONY: check asan deps tests regress-update

# --- demo, install, benchmarks --------------------------------------------
# "make demo": install what is missing, build, run scripts/demo.sh.
# "make install": programs into $(DESTDIR)$(SBINDIR), man pages into
#   $(DESTDIR)$(MANDIR)/man5 and man8.  Programs and man pages that the
#   daemon and control tool bring are added to these lists, e.g.
#   "INSTALL_PROGS += $(B)/ikerund" and "MAN8 += ikerund/ikerund.8".
# "make bench": every regress/bench/*.sh in turn, with BUILD and TOP set;
#   benchmarks print figures and never fail on time.
INSTALL_PROGS	 = $(B)/ikecc $(B)/ikerund $(B)/ikectl
MAN5		 = ikecc/iked.conf.5
MAN8		 = ikecc/ikecc.8 ikerund/ikerund.8 ikectl/ikectl.8

demo: deps all
	sh scripts/demo.sh -b $(B)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(INSTALL_PROGS) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' ikerund/ikerund.service.in \
	    >$(DESTDIR)$(UNITDIR)/ikerund.service
	@[ -n "$(DESTDIR)" ] || sh scripts/setup-user.sh

bench: deps all
	@set -e; for s in regress/bench/*.sh; do \
		[ -e "$$s" ] || continue; \
		echo "== $$s"; \
		BUILD=$(abspath $(B)) TOP=$(CURDIR) sh "$$s"; \
	done

.PHONY: demo install bench

# --- policy blob: test driver, fuzzers, benchmark ---------------------------
# blobcheck drives the decoder for regress/blob/test.sh; it is built with
# everything else so that "make && regress/run.sh blob" works.
# "make fuzz": every regress/fuzz/fuzz_NAME.c is built with clang and
#   libFuzzer into $(FUZZ_B)/fuzz_NAME, linked with the real objects
#   (archives of ikecc's, the grammar's, the daemon's shared and the
#   common objects, built there with the same sanitizers), and run for
#   FUZZTIME seconds on a copy of its corpus, regress/fuzz/corpus/NAME/
#   (new inputs go to $(FUZZ_B)/corpus/NAME/).
# "make bench" also builds blobbench for regress/bench/blob-bench.sh.
TESTPROGS	+= $(B)/blobcheck
all: $(B)/blobcheck
bench: $(B)/blobbench

$(B)/blobcheck: $(O)/regress/blob/blobcheck.o $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

$(B)/blobbench: $(O)/regress/bench/blobbench.o $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

$(B)/libikecc.a: $(IKECC_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/libdaemon.a: $(DAEMON_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

FUZZTIME	?= 60
FUZZ_CC		?= clang
FUZZ_B		 = build-fuzz
FUZZ_SAN	 = -fsanitize=fuzzer-no-link,address,undefined \
		   -fno-sanitize-recover=all -fno-omit-frame-pointer \
		   -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
FUZZERS		 = $(patsubst regress/fuzz/%.c,$(FUZZ_B)/%, \
		   $(wildcard regress/fuzz/fuzz_*.c))

.PRECIOUS: $(FUZZ_B)/obj/regress/fuzz/%.o
$(FUZZ_B)/fuzz_%: $(FUZZ_B)/obj/regress/fuzz/fuzz_%.o $(FUZZ_B)/libikecc.a \
    $(FUZZ_B)/libgrammar.a $(FUZZ_B)/libdaemon.a $(FUZZ_B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) -fsanitize=fuzzer,address,undefined $(LDFLAGS) -o $@ $^ \
	    $(EVENT_LIBS) $(CRYPTO_LIBS)

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) OPT="-O1 -g" SAN="$(FUZZ_SAN)" \
	    $(FUZZERS)

fuzz: fuzz-build
	@set -e; for f in $(FUZZERS); do \
		n=$${f##*/fuzz_}; seeds=regress/fuzz/corpus/$$n; \
		[ -d $$seeds ] || seeds=; \
		mkdir -p $(FUZZ_B)/corpus/$$n; \
		echo "== $$f: $(FUZZTIME) s"; \
		$$f -max_total_time=$(FUZZTIME) -timeout=10 -rss_limit_mb=2048 \
		    -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/$$n- \
		    $(FUZZ_B)/corpus/$$n $$seeds; \
	done

.PHONY: fuzz fuzz-build

# --- IKEv2 message layer (ikerund/pld.c): unit test and fuzzer --------------
# pldtest drives regress/ike/test.sh; pld.c links only common/util.c (the
# test also links libcommon for the policy's algorithm names).  fuzz_ike
# has its own link line for the same reason: pld.o and util.o, nothing else.
PLD_TEST_OBJS	= $(O)/regress/ike/pldtest.o $(O)/regress/ike/rebuild.o \
		  $(O)/ikerund/pld.o
TESTPROGS	+= $(B)/pldtest
$(O)/regress/ike/%.o: CPPFLAGS += -Iikerund
$(O)/regress/ike/%.o: $(wildcard ikerund/pld.h regress/ike/*.h)
$(B)/pldtest: $(PLD_TEST_OBJS) $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^

# fragtest: RFC 7383 fragments and RFC 7296 2.6 cookies (ikev2_frag.c,
# cookie.c) with the real parser and SK code, also run by regress/ike.
# fuzz_frag feeds reassembly untrusted fragment sequences.
TESTPROGS	+= $(B)/fragtest
FRAG_OBJS	= ikerund/ikev2_frag.o ikerund/cookie.o ikerund/crypto.o \
		  ikerund/pld.o
$(B)/fragtest: $(O)/regress/ike/fragtest.o $(FRAG_OBJS:%=$(O)/%) \
    $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# ikeflood: IKE_SA_INIT requests from many addresses (regress/interop flood)
TESTPROGS	+= $(B)/ikeflood
$(O)/regress/interop/ikeflood.o: CPPFLAGS += -Iikerund
$(B)/ikeflood: $(O)/regress/interop/ikeflood.o $(O)/ikerund/pld.o \
    $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^

$(FUZZ_B)/obj/regress/fuzz/fuzz_frag.o: CPPFLAGS += -Iikerund
$(FUZZ_B)/fuzz_frag: $(FUZZ_B)/obj/regress/fuzz/fuzz_frag.o \
    $(FRAG_OBJS:%=$(FUZZ_B)/obj/%) $(FUZZ_B)/obj/common/util.o
	@echo "  LD      $@"
	@$(CC) -fsanitize=fuzzer,address,undefined $(LDFLAGS) -o $@ $^ \
	    $(CRYPTO_LIBS)

$(FUZZ_B)/obj/regress/fuzz/fuzz_ike.o: CPPFLAGS += -Iikerund -Iregress/ike
$(FUZZ_B)/fuzz_ike: $(FUZZ_B)/obj/regress/fuzz/fuzz_ike.o \
    $(FUZZ_B)/obj/regress/ike/rebuild.o $(FUZZ_B)/obj/ikerund/pld.o \
    $(FUZZ_B)/obj/common/util.o
	@echo "  LD      $@"
	@$(CC) -fsanitize=fuzzer,address,undefined $(LDFLAGS) -o $@ $^

# --- kernel interface (ikerund/kernel.c, kernel_msg.c): XFRM netlink -------
# xfrmtest drives regress/kernel/test.sh (private namespaces on the host,
# then the UML guest for ESP).  kernel.c needs libmnl; kernel_msg.c (the
# request codecs and checks) is pure.  fuzz_kernel links just the two;
# "build/xfrmtest seeds build-fuzz/corpus/kernel" gives it valid requests.
MNL_LIBS	= -lmnl
TESTPROGS	+= $(B)/xfrmtest
$(O)/regress/kernel/xfrmtest.o: CPPFLAGS += -Iikerund
$(O)/regress/kernel/xfrmtest.o: ikerund/kernel.h
$(B)/xfrmtest: $(O)/regress/kernel/xfrmtest.o $(O)/ikerund/kernel.o \
    $(O)/ikerund/kernel_msg.o
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(MNL_LIBS)

$(FUZZ_B)/obj/regress/fuzz/fuzz_kernel.o: CPPFLAGS += -Iikerund
$(FUZZ_B)/fuzz_kernel: $(FUZZ_B)/obj/regress/fuzz/fuzz_kernel.o \
    $(FUZZ_B)/obj/ikerund/kernel.o $(FUZZ_B)/obj/ikerund/kernel_msg.o
	@echo "  LD      $@"
	@$(CC) -fsanitize=fuzzer,address,undefined $(LDFLAGS) -o $@ $^ \
	    $(MNL_LIBS)

# --- IKE handshake load generator (regress/bench/ikeload.c) -----------------
# An IKEv2 initiator on the daemon's own message layer and crypto, for
# regress/bench/handshake-bench.sh and the host part of regress/interop.
TESTPROGS	+= $(B)/ikeload
bench: $(B)/ikeload
$(O)/regress/bench/ikeload.o: CPPFLAGS += -Iikerund
$(O)/regress/bench/ikeload.o: ikerund/pld.h ikerund/crypto.h
$(B)/ikeload: $(O)/regress/bench/ikeload.o $(O)/ikerund/pld.o \
    $(O)/ikerund/crypto.o $(B)/libcommon.a
	@echo "  LD      $@"
	@$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# last, so that every section's TESTPROGS is known
tests: $(TESTPROGS)

