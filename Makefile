# tiktrack: TikTok creator and campaign analytics inside PostgreSQL.
#
#   make demo    set up everything and run the local demo cluster
#   make test    set up everything and run every test (regress, isolation, TAP, fuzz)
#
# The PGXS targets (all, install, installcheck) work as usual underneath.

EXTENSION = tiktrack
MODULE_big = tiktrack
EXTVERSION = 0.2.0

# Every C file in src/ is part of the module, except the standalone tools.
SRCS = $(sort $(wildcard src/*.c))
OBJS = $(SRCS:.c=.o)

# The install script of the current version is assembled from the fragments
# in sql/install/, one per concern, in file-name order (as pgvector builds
# its script from sql/vector.sql); edit the fragments.  Released versions
# are frozen: sql/tiktrack--0.1.0.sql is 0.1.0's script exactly as released
# (never edit it), and every later change also goes into the upgrade
# script, assembled the same way from sql/upgrade/0.1.0--0.2.0/, one
# fragment per concern.  test/t/002_upgrade.pl proves that an upgraded
# database equals a fresh install and keeps its rows.
INSTALL_FRAGMENTS = $(sort $(wildcard sql/install/*.sql))
UPGRADE_FRAGMENTS = $(sort $(wildcard sql/upgrade/0.1.0--$(EXTVERSION)/*.sql))
DATA = sql/$(EXTENSION)--0.1.0.sql
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql sql/$(EXTENSION)--0.1.0--$(EXTVERSION).sql

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src -DTIKTRACK_VERSION=\"$(EXTVERSION)\"
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK = -lcurl -lssl -lcrypto

# Regression tests: every sql/*.sql except the install script, in name order.
REGRESS = $(sort $(filter-out $(EXTENSION)--%,$(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --temp-instance=tmp_check_regress --temp-config=test/regress.conf --load-extension=plpgsql

# Isolation specs: test/isolation/specs/*.spec, outputs in test/isolation/expected/.
ISOLATION = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=output_iso --temp-instance=tmp_check_iso --temp-config=test/regress.conf

# TAP tests live in test/t/.
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

EXTRA_CLEAN = tmp_check_regress tmp_check_iso output_iso test/fuzz/build

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_FRAGMENTS)
	cat $^ > $@

sql/$(EXTENSION)--0.1.0--$(EXTVERSION).sql: $(UPGRADE_FRAGMENTS)
	cat $^ > $@

$(OBJS): $(wildcard src/*.h)

.PHONY: test demo demo-stop fuzz bench deps

deps:
	test/tools/install-deps.sh

test:
	test/tools/run-tests.sh

demo:
	test/demo/demo.sh start

demo-stop:
	test/demo/demo.sh stop

fuzz:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} test/fuzz/run.sh

bench:
	test/bench/run.sh

# The suites one at a time (run-tests.sh calls them as an unprivileged user).
.PHONY: installcheck-regress installcheck-isolation installcheck-tap
installcheck-regress:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

installcheck-isolation:
	$(if $(ISOLATION),$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION),@echo "no isolation specs")

installcheck-tap:
	$(if $(PROVE_TESTS),$(prove_installcheck),@echo "no TAP tests")
