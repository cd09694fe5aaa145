# The README's commands. Each sets up .venv (Python 3.12+) first with what it needs, no more: the base install
# runs simulations, sweeps, reports and experiments; the explorer adds 'viz'; the tests and lint need 'dev'
# (every extra). An environment that already holds more extras is reused as it is (scripts/bootstrap.sh).
DEV := dev

.PHONY: run test lint explore setup lock
run:
	@scripts/bootstrap.sh
	.venv/bin/python -m sim.compare

test:
	@scripts/bootstrap.sh $(DEV)
	.venv/bin/python -m pytest -n 2 --dist loadgroup --durations=40

# ruff: lint (pyflakes, pycodestyle, import order) and formatting, configured in pyproject.toml
lint:
	@scripts/bootstrap.sh $(DEV)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

explore:
	@scripts/bootstrap.sh viz
	.venv/bin/feedsim-explore

# installs, then compiles the kernels into the cache so that the first run starts at once
setup:
	@scripts/bootstrap.sh
	.venv/bin/python -m sim.warmup

# after a change of dependencies: upgrade .venv within pyproject.toml's ranges, pin what it then holds into
# constraints.txt (which the setup installs), then run make test before committing both
lock:
	@scripts/bootstrap.sh $(DEV) || true
	.venv/bin/python -m pip install --upgrade -e ".[$(DEV)]" >/dev/null
	@{ sed '/^[^#]/,$$d' constraints.txt; .venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@echo "constraints.txt: $$(grep -c '==' constraints.txt) packages pinned"
