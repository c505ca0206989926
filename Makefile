# Makefile for pg_leadgen (PGXS)
#
# The two commands a new user needs:
#   make run    install what is missing, build, start a throwaway cluster with
#               the extension and its workers, load demo data
#   make test   install what is missing, build, run every test suite
#
# Developers: make && make install; make installcheck (needs a running server
# with the library preloaded) or `make test` for the full, self-contained run.

EXTENSION   = pg_leadgen
EXTVERSION  = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big  = pg_leadgen
OBJS        = src/pg_leadgen.o src/guc.o src/shmem.o src/worker.o src/submit.o src/pipeline.o src/dupscan.o src/agentscan.o src/queue.o src/scheduler.o src/cron.o src/perf.o src/api.o src/listpage.o src/validate.o src/zipstate.o

# SQL sources, concatenated in this order into the versioned install script.
SQL_SRC     = src/sql/00_schema.sql \
              src/sql/10_tables.sql \
              src/sql/20_partitions.sql \
              src/sql/30_functions.sql \
              src/sql/40_pipeline.sql \
              src/sql/50_scheduler.sql \
              src/sql/60_perf_stats.sql \
              src/sql/61_perf_capacity.sql \
              src/sql/62_perf_bottlenecks.sql \
              src/sql/63_perf_advisor.sql \
              src/sql/64_perf_archive.sql \
              src/sql/70_api.sql \
              src/sql/90_roles.sql
DATA_built  = sql/$(EXTENSION)--$(EXTVERSION).sql
# Released install scripts are frozen; each release adds an update script.
DATA        = updates/$(EXTENSION)--0.1.0.sql updates/$(EXTENSION)--0.1.0--0.2.0.sql

# Regression tests, one per feature, in order.
REGRESS     = 00_setup meta schema partitions roles preload submit rules scoring assignment duplicates queue cron perf capacity archive api reinstall 99_cleanup
REGRESS_OUT ?= results_dir
REGRESS_OPTS = --load-extension=plpgsql --outputdir=$(REGRESS_OUT)

EXTRA_CLEAN = $(DATA_built) results results_dir regression.diffs regression.out tmp_check

PG_CONFIG  ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK  =

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(DATA_built): $(SQL_SRC) $(EXTENSION).control
	@mkdir -p sql
	( printf -- '-- pg_leadgen %s install script, generated from src/sql by make; edit those files.\n' '$(EXTVERSION)'; \
	  printf -- '\\echo Use "CREATE EXTENSION pg_leadgen" to load this file. \\quit\n'; \
	  for f in $(SQL_SRC); do printf -- '\n-- ---- %s ----\n' $$f; cat $$f; done ) > $@

.PHONY: run stop test deps gateway

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) -s --no-print-directory all
	@$(MAKE) --no-print-directory install >/dev/null
	@$(MAKE) -s --no-print-directory -C gateway >/dev/null
	@scripts/run.sh start

stop:
	@scripts/run.sh stop

# make test builds the way CI does: every warning is an error.
WERROR_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers

test: deps
	@rm -f $(OBJS) $(MODULE_big).so
	@$(MAKE) -s --no-print-directory all PG_CFLAGS="$(WERROR_CFLAGS)" >/dev/null
	@$(MAKE) --no-print-directory install >/dev/null
	@$(MAKE) -s --no-print-directory -C gateway -B WERROR=1 leadgen-gateway asan >/dev/null
	@test/run-all.sh

gateway:
	$(MAKE) -C gateway

# Used by test/run-all.sh: the ordered list of regression tests.
print-regress:
	@echo $(REGRESS)
