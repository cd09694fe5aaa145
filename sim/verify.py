"""``python -m sim.verify <run-dir>``: rerun a run from its manifest and say whether it reproduces.

The manifest holds the resolved configuration, including the seed. The run is simulated again from it
and the content hash of each new table (``sim.results.table_hash``) is compared with the hash the manifest
records. The stored tables are checked against the manifest as well (a table edited after the run does
not pass).

Exit code 0: every table reproduced and the stored tables are intact; 1: a table differs; 2: the run
cannot be verified (no manifest, not complete, a ranking rule passed to ``sim.run`` as a Python function,
a rule file changed since, or a configuration this version cannot read), with one line saying why.

From Python: ``sim.verify.verify(run_dir)`` returns a ``Verification``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from sim import results
from sim.config import ConfigError, SimConfig, compose_unchecked, validate
from sim.runner import execute, git_commit, versions


class VerifyError(ValueError):
    """A run cannot be verified. The message is one line, fit for a user."""


@dataclass
class TableCheck:
    name: str
    recorded_rows: int
    recorded_sha256: str
    rerun_rows: int
    rerun_sha256: str

    @property
    def reproduced(self) -> bool:
        return self.recorded_sha256 == self.rerun_sha256 and self.recorded_rows == self.rerun_rows


@dataclass
class Verification:
    run_dir: Path
    tables: list[TableCheck]
    stored_intact: bool
    stored_problem: str = ""
    notes: list[str] = field(default_factory=list)
    rerun_dir: Path | None = None

    @property
    def reproduced(self) -> bool:
        return all(t.reproduced for t in self.tables) and self.stored_intact


def recorded_config(manifest: dict, run_dir: Path) -> tuple[DictConfig, list[str]]:
    """The run's configuration from its manifest, checked by ``validate``. Settings that this version has
    and the manifest lacks (added since the run) take today's defaults; they are returned as notes. A
    plug-in rule is taken from the file the run recorded (``_plugin``)."""
    from omegaconf.errors import ConfigKeyError, ValidationError

    recorded = manifest.get("config")
    if not isinstance(recorded, dict) or not recorded:
        raise VerifyError(f"{run_dir} cannot be verified: its {results.MANIFEST} records no configuration")
    try:
        cfg = OmegaConf.merge(OmegaConf.structured(SimConfig), recorded)
    except (ConfigKeyError, ValidationError) as e:
        key = getattr(e, "full_key", "") or str(e).splitlines()[0]
        raise VerifyError(
            f"{run_dir} cannot be verified: its configuration has a setting this version does not "
            f"accept ({key}); rerun it with the version that made it (git commit "
            f"{manifest.get('git_commit')})"
        ) from None
    notes = []
    missing = sorted(k for k in OmegaConf.missing_keys(cfg))
    if missing:
        defaults = compose_unchecked([])
        for key in missing:
            value = OmegaConf.select(defaults, key, throw_on_missing=False)
            OmegaConf.update(cfg, key, value, merge=False)
            notes.append(
                f"{key} is not in the manifest (a setting added since the run): today's default {value!r} is used"
            )
    _plugin(cfg, manifest, run_dir)
    try:
        validate(cfg)
    except ConfigError as e:
        raise VerifyError(
            f"{run_dir} cannot be verified: its configuration is not valid for this version ({e})"
        ) from None
    return cfg, notes


def _plugin(cfg: DictConfig, manifest: dict, run_dir: Path) -> None:
    """A plug-in rule is rerun from exactly the file the run used, and only if that file is unchanged."""
    import hashlib

    if not cfg.policy.get("score"):
        return
    info = manifest.get("plugin")
    if not info or not info.get("file") or not info.get("sha256"):
        raise VerifyError(
            f"{run_dir} cannot be verified: it ranked with policy.score={cfg.policy.score!r}, but its "
            f"{results.MANIFEST} does not record which file that was"
        )
    path = Path(info["file"])
    if not path.is_file():
        raise VerifyError(f"{run_dir} cannot be verified: its ranking rule's file {path} no longer exists")
    if hashlib.sha256(path.read_bytes()).hexdigest() != info["sha256"]:
        raise VerifyError(
            f"{run_dir} cannot be verified: its ranking rule's file {path} changed since the run "
            "(its SHA-256 differs from the one recorded)"
        )
    if info.get("local_file"):
        OmegaConf.update(cfg, "policy.score", f"{path}:{info['function']}", merge=False)


def check_manifest(run_dir: Path) -> dict:
    if not (Path(run_dir) / results.MANIFEST).is_file():
        raise VerifyError(
            f"{run_dir} cannot be verified: {results.MANIFEST} is missing (not a run directory, or "
            "the run never started)"
        )
    try:
        manifest = results.read_manifest(run_dir)
    except results.ResultsError as e:
        raise VerifyError(f"{run_dir} cannot be verified: {e}") from None
    status = manifest.get("status")
    if status != "complete":
        why = manifest.get("error") or ("killed or still running" if status == "running" else "no reason recorded")
        raise VerifyError(
            f"{run_dir} cannot be verified: its status is {status!r} ({why}); only a complete run can be reproduced"
        )
    if manifest.get("score_fn"):
        raise VerifyError(
            f"{run_dir} cannot be verified: it ranked with a Python function passed to sim.run "
            f"({manifest['score_fn']}), whose code the manifest does not hold; name the rule in the "
            "config instead (policy.score=path/to/rules.py:function) to make runs verifiable"
        )
    if not isinstance(manifest.get("tables"), dict) or not all(
        isinstance(manifest["tables"].get(t), dict) for t in results.TABLES
    ):
        raise VerifyError(f"{run_dir} cannot be verified: its {results.MANIFEST} records no table hashes")
    return manifest


def _version_notes(manifest: dict) -> list[str]:

    notes = []
    then, now = manifest.get("git_commit"), git_commit()
    if then != now:
        notes.append(f"the run was made at git commit {then}, this is {now}")
    elif now and now.endswith("-dirty"):
        notes.append("the working tree has uncommitted changes, so the code may differ from the run's")
    recorded = manifest.get("versions") or {}
    for name, version in versions().items():
        if name in recorded and recorded[name] != version:
            notes.append(f"{name} {recorded[name]} made the run, this is {version}")
    return notes


def verify(
    run_dir: str | Path, out: str | Path | None = None, threads: int | None = None, show_progress: bool | None = None
) -> Verification:
    """Rerun ``run_dir`` from its manifest and compare the new tables' hashes with the recorded ones. The
    rerun is written to ``out`` (a fresh directory), or to a temporary directory that is removed."""

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise VerifyError(f"{run_dir} cannot be verified: no such directory")
    manifest = check_manifest(run_dir)
    cfg, notes = recorded_config(manifest, run_dir)
    if int(cfg.seed) != int(manifest.get("seed", cfg.seed)):
        raise VerifyError(
            f"{run_dir} cannot be verified: its manifest records seed {manifest.get('seed')} but its "
            f"configuration seed {cfg.seed}"
        )
    notes += _version_notes(manifest)
    stored_intact, problem = True, ""
    try:
        results.verify(run_dir)
    except results.ResultsError as e:
        stored_intact, problem = False, str(e)
    if out is not None and Path(out).exists() and any(Path(out).iterdir()):
        raise VerifyError(f"--out {out} is not allowed: it exists and is not empty")
    with tempfile.TemporaryDirectory(prefix="feedsim-verify-") as tmp:
        target = Path(out) if out is not None else Path(tmp) / "rerun"
        rerun = execute(
            cfg, target, overrides=list(manifest.get("overrides", [])), show_progress=show_progress, threads=threads
        )
    checks = []
    for name in results.TABLES:
        rec, new = manifest["tables"][name], rerun.manifest["tables"][name]
        checks.append(
            TableCheck(name, int(rec.get("rows", -1)), str(rec.get("sha256")), int(new["rows"]), str(new["sha256"]))
        )
    return Verification(run_dir, checks, stored_intact, problem, notes, Path(out) if out is not None else None)


def report(v: Verification) -> list[str]:
    lines = []
    for t in v.tables:
        if t.reproduced:
            lines.append(f"  {t.name}: reproduced ({t.rerun_rows} rows, sha256 {t.rerun_sha256[:16]})")
        else:
            lines.append(
                f"  {t.name}: DIFFERS (recorded {t.recorded_rows} rows, sha256 {t.recorded_sha256[:16]}; "
                f"rerun {t.rerun_rows} rows, sha256 {t.rerun_sha256[:16]})"
            )
    if not v.stored_intact:
        lines.append(f"  stored tables: {v.stored_problem}")
    lines += [f"  note: {n}" for n in v.notes]
    if v.rerun_dir is not None:
        lines.append(f"  rerun written to {v.rerun_dir}")
    verdict = "reproduces" if v.reproduced else "does NOT reproduce"
    lines.append(f"{v.run_dir}: {verdict}")
    return lines


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        print(f"error: {message} (see python -m sim.verify --help)", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m sim.verify",
        description="Rerun a run from its manifest and check that its tables reproduce (docs/reference/reproducibility.md).",
    )
    parser.add_argument("run_dir", type=Path, help="a run directory (daily.parquet, ..., manifest.json)")
    parser.add_argument("--out", type=Path, default=None, help="keep the rerun in this (new or empty) directory")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="Numba threads for the rerun (default: the run's setting; results do not depend on it)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.threads is not None and args.threads < 0:
        print(
            f"error: --threads {args.threads} is not allowed: must be 0 (all cores) or a positive number",
            file=sys.stderr,
        )
        return 2
    try:
        manifest = check_manifest(args.run_dir) if args.run_dir.is_dir() else None
        if manifest is not None:
            print(
                f"verify {args.run_dir}: rerunning label {manifest.get('label')!r}, seed {manifest.get('seed')} "
                "from the configuration in its manifest",
                flush=True,
            )
        v = verify(args.run_dir, args.out, args.threads, show_progress=sys.stderr.isatty())
    except VerifyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for line in report(v):
        print(line)
    return 0 if v.reproduced else 1


if __name__ == "__main__":
    sys.exit(main())
