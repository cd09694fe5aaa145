# The README's commands. Each sets up .venv (Python 3.12+) first; re-running is cheap.
# Every target installs the same extras, so switching between them never reinstalls.
EXTRAS := dev,viz

.PHONY: run test lint explore setup lock
run:
	@scripts/bootstrap.sh $(EXTRAS)
	.venv/bin/python -m sim.compare

test:
	@scripts/bootstrap.sh $(EXTRAS)
	.venv/bin/python -m pytest -n 2 --dist loadgroup --durations=15

# ruff: lint (pyflakes, pycodestyle, import order) and formatting, configured in pyproject.toml
lint:
	@scripts/bootstrap.sh $(EXTRAS)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

explore:
	@scripts/bootstrap.sh $(EXTRAS)
	.venv/bin/feedsim-explore

# installs, then compiles the kernels into the cache so that the first run starts at once
setup:
	@scripts/bootstrap.sh $(EXTRAS)
	.venv/bin/python -m sim.warmup

# after a change of dependencies: upgrade .venv within pyproject.toml's ranges, pin what it then holds into
# constraints.txt (which the setup installs), then run make test before committing both
lock:
	@scripts/bootstrap.sh $(EXTRAS) || true
	.venv/bin/python -m pip install --upgrade -e ".[$(EXTRAS)]" >/dev/null
	@{ sed '/^[^#]/,$$d' constraints.txt; .venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@echo "constraints.txt: $$(grep -c '==' constraints.txt) packages pinned"
