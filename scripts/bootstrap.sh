#!/usr/bin/env bash
# Creates .venv with a Python 3.12 or 3.13 interpreter and installs the project into it, with the extras
# named in the first argument (comma-separated; none: the base install). Usage: scripts/bootstrap.sh [dev|viz|...]
# Mesa 3.5 needs Python >= 3.12; this machine's default python3 may be older, so we search.
# Re-running is cheap: the install is skipped while pyproject.toml and constraints.txt are unchanged and the
# environment already holds the extras asked for (dev holds them all), so switching between make targets
# never reinstalls. constraints.txt pins every package to the version the tests passed with (make lock).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

# The extras an extra brings with it (pyproject.toml's optional-dependencies).
brings() {
    case "$1" in
        dev) echo "dev cluster ray slurm pdf viz" ;;
        cluster) echo "cluster ray slurm" ;;
        *) echo "$1" ;;
    esac
}

supported() { "$1" -c 'import sys; sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) else 1)' 2>/dev/null; }

find_python() {
    local c
    if [ -n "${FEEDSIM_PYTHON:-}" ]; then
        supported "$FEEDSIM_PYTHON" && { echo "$FEEDSIM_PYTHON"; return 0; }
        echo "error: FEEDSIM_PYTHON=$FEEDSIM_PYTHON is not a Python 3.12 or 3.13 interpreter" >&2
        return 1
    fi
    for c in python3.12 python3.13 python3; do
        command -v "$c" >/dev/null 2>&1 && supported "$(command -v "$c")" && { command -v "$c"; return 0; }
    done
    local roots=("${PYENV_ROOT:-$HOME/.pyenv}/versions" /usr/local/bin /opt/python)
    for r in "${roots[@]}"; do
        for c in "$r"/3.12*/bin/python3 "$r"/3.13*/bin/python3 "$r"/python3.12 "$r"/python3.13; do
            [ -x "$c" ] && supported "$c" && { echo "$c"; return 0; }
        done
    done
    echo "error: no Python 3.12 or 3.13 interpreter found (looked on PATH and under ~/.pyenv/versions)." >&2
    echo "       Install one (e.g. 'pyenv install 3.12') or set FEEDSIM_PYTHON=/path/to/python3.12." >&2
    return 1
}

stamp=".venv/.installed"
want="$(cat pyproject.toml constraints.txt | sha1sum | cut -c1-16)"
stamp_hash="" stamp_extras=""
[ -f "$stamp" ] && read -r stamp_hash stamp_extras < "$stamp" || true
held=" "
for e in ${stamp_extras//,/ }; do held+="$(brings "$e") "; done
missing=""
for e in ${extras//,/ }; do
    case "$held" in *" $e "*) ;; *) missing+="$e " ;; esac
done
if [ -x .venv/bin/python ] && supported .venv/bin/python && [ "$stamp_hash" = "$want" ] && [ -z "$missing" ]; then
    exit 0
fi
# keep what the environment held: a later 'make run' must not drop the test tools 'make test' installed
union="$(echo "$stamp_extras,$extras" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
py="$(find_python)"
echo "setting up .venv with $("$py" --version 2>&1) ($py)${union:+, extras: $union}" >&2
if ! { [ -x .venv/bin/python ] && supported .venv/bin/python; }; then
    rm -rf .venv
    "$py" -m venv .venv
    union="$(echo "$extras" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
fi
log=.venv/install.log
target="."
[ -n "$union" ] && target=".[$union]"
if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -c constraints.txt -e "$target"; } >"$log" 2>&1; then
    grep -v '^WARNING: Location' "$log" | tail -30 >&2
    echo "error: installing the project failed; full log in $log" >&2
    exit 1
fi
rm -f .venv/.installed-*
echo "$want $union" > "$stamp"
