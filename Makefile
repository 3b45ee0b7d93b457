# openser_py top-level Makefile (OpenSER style: `make`, `make install`,
# `make modules-readme`, ...).  Knobs live in Makefile.defs.
include Makefile.defs

VPY := $(VENV)/bin/python
# the interpreter that runs build steps: the venv's once it exists
BPY = $(if $(wildcard $(VPY)),$(VPY),$(PYTHON))
CFG ?= etc/openser/openser.cfg
PYTEST_ARGS ?=

.PHONY: all build-config tables speedups venv run test test-prereqs bench-parser bench-script bench-options bench-calls bench-calls-ir bench-register bench-cluster bench \
	install modules-readme modules-docbook dbschema-docbook clean help

all: build-config tables speedups

help:
	@echo "make            build config + parser tables + C speedups"
	@echo "make run        venv, install, run openser in the foreground on 127.0.0.1:5060"
	@echo "make test       install test prerequisites (sipp when root) and run pytest"
	@echo "make bench-parser  SIP parser benchmark"
	@echo "make bench-script  compiled routing script benchmark"
	@echo "make bench-options stateless OPTIONS over UDP with sipp (children=2)"
	@echo "make bench-calls   sipp uac -> openser_py (tm) -> sipp uas calls/s and CPU/call"
	@echo "make bench-calls-ir instructions per proxied call in-process (valgrind)"
	@echo "make bench-register REGISTER/s and CPU/REGISTER (no auth; digest auth on MySQL)"
	@echo "make bench-cluster calls/s via a dispatcher front to 1, 2, 3 nodes (usrloc on MySQL)"
	@echo "make bench         bench-calls + bench-register (Kamailio alongside when installed)"
	@echo "make install PREFIX=/usr/local"

# -- generated build configuration (Makefile.defs -> Python) ------------------
build-config:
	@$(BPY) -m openser_py.tools.gen_build_config --defs="$(DEFS)" \
		--include "$(include_modules)" --exclude "$(exclude_modules)" \
		-o openser_py/_build_config.py

tables:
	@if [ -f openser_py/cfg/build_tables.py ]; then \
		$(BPY) -B -m openser_py.cfg.build_tables --outputdir openser_py/cfg; fi

# optional: without a compiler the parser runs its Python twin (index.py)
speedups:
	@if [ "$(SPEEDUPS)" = yes ]; then \
		$(BPY) setup.py -q build_ext --inplace >speedups.log 2>&1; \
		if ls openser_py/parser/_speedups*.so >/dev/null 2>&1; \
		then rm -f speedups.log; \
		else echo "C speedups not built (see speedups.log): the parser runs in pure Python"; fi; \
	else rm -f openser_py/parser/_speedups*.so; fi

# -- virtual environment ------------------------------------------------------
$(VPY):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && apt-get install -y -qq python3-venv && \
			$(PYTHON) -m venv $(VENV); \
		else echo "python3 -m venv failed: install python3-venv" >&2; exit 1; fi; }
	$(VPY) -m pip install -q --upgrade pip

$(VENV)/.installed: $(VPY) setup.py setup.cfg
	$(VPY) -m pip install -q -e '.[test]'
	@touch $@

venv: $(VENV)/.installed

# -- the two README commands --------------------------------------------------
# `make run` keeps its state in var/ of the checkout (STATE_DIR): the SQLite database
# (made by openserdbctl, idempotent), the MI FIFO, a copy of $(CFG) pointing
# at both, and an openserctlrc for the tools:
#   OPENSERCTLRC=var/openserctlrc sbin/openserctl add alice secret
STATE_DIR ?= $(CURDIR)/var
run: venv all
	@mkdir -p $(STATE_DIR)
	@printf 'SIP_DOMAIN=127.0.0.1\nDBENGINE=SQLITE\nDB_PATH=%s\nOSER_FIFO=%s\n' \
		"$(STATE_DIR)/openser.db" "$(STATE_DIR)/openser_fifo" > $(STATE_DIR)/openserctlrc
	OPENSERCTLRC=$(STATE_DIR)/openserctlrc $(VENV)/bin/openserdbctl -y create
	@sed -e 's|sqlite:///var/lib/openser/openser.db|sqlite://$(STATE_DIR)/openser.db|' \
		-e 's|/tmp/openser_fifo|$(STATE_DIR)/openser_fifo|' $(CFG) > $(STATE_DIR)/openser.cfg
	$(VENV)/bin/openser -DD -E -f $(STATE_DIR)/openser.cfg

test-prereqs: venv all
	@if ! command -v sipp >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing sip-tester (sipp)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq sip-tester; \
		else echo "note: sipp is missing and we are not root: sipp tests will skip (fail under CI=true)"; fi; fi

test: test-prereqs
	$(VPY) -m pytest $(PYTEST_ARGS)

# -- benchmarks (never timed unit tests) --------------------------------------
bench-parser: venv all
	$(VPY) benchmarks/bench_parser.py
	OPENSER_PY_PURE=1 $(VPY) benchmarks/bench_parser.py

bench-script: venv all
	$(VPY) benchmarks/bench_script.py

bench-options: test-prereqs
	$(VPY) benchmarks/bench_options.py

bench-calls: test-prereqs
	$(VPY) benchmarks/bench_calls.py

bench-calls-ir: venv all
	$(VPY) benchmarks/bench_calls_inproc.py --instructions

bench-register: test-prereqs
	$(VPY) benchmarks/bench_register.py

bench-cluster: test-prereqs
	$(VPY) benchmarks/bench_cluster.py

bench: bench-calls bench-register

# -- install ------------------------------------------------------------------
# PIP_FLAGS e.g. "--prefix $(PREFIX)" or "--user"; launchers are bound to $(PYTHON)
PIP_FLAGS ?=
install: all
	$(PYTHON) -m pip install -q $(PIP_FLAGS) .
	$(PYTHON) -m openser_py.tools.install --sbin "$(SBIN_DIR)" --cfg "$(CFG_DIR)"

# -- documentation generated from the code ------------------------------------
modules-readme modules-docbook dbschema-docbook: build-config
	@$(BPY) -m openser_py.tools.docgen $@

clean:
	find . -name __pycache__ -prune -exec rm -rf {} +
	rm -f openser_py/_build_config.py openser_py/cfg/_parsetab.py openser_py/parser/_speedups*.so
	rm -rf build
