# The two commands of the README. Both set up .venv (Python 3.12+) first; re-running is cheap.
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/numba

.PHONY: run test setup
run:
	@scripts/bootstrap.sh dev
	.venv/bin/python -m sim.compare

test:
	@scripts/bootstrap.sh dev
	.venv/bin/python -m pytest -n 2 --dist loadgroup

setup:
	@scripts/bootstrap.sh dev
