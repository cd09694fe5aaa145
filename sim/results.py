"""Writing and reading a run's tables (Parquet) and manifest (JSON).

Writes are atomic: each file is written under a temporary name and renamed into place, and the
manifest is written last, so a run directory with a manifest whose ``status`` is ``complete`` holds
complete tables. ``load`` refuses anything else. Results are Parquet and JSON only (no pickle).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import shlex
import socket
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

TABLES = ("daily", "users", "posts")
MANIFEST = "manifest.json"
# Present while a process writes the run (its process id and host); see claim().
LOCK = ".writing"


class ResultsError(RuntimeError):
    """A run directory cannot be read as a complete run."""


@dataclass
class RunResult:
    """The outputs of one run: the three tables, the manifest, and where they were written."""

    daily: pd.DataFrame
    users: pd.DataFrame
    posts: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    path: Path | None = None

    def summary(self, last_days: int = 7) -> pd.DataFrame:
        """Mean of each daily outcome over the last ``last_days`` days, one row per group."""
        d = self.daily[self.daily["day"] >= self.daily["day"].max() - last_days + 1]
        return d.drop(columns=["day"]).groupby("group", sort=False).mean(numeric_only=True)


def command_line() -> str:
    """The command that started this process, quoted for a POSIX shell so that it can be pasted: ``python -m
    <module> ...`` when it was started with -m (``sys.argv[0]`` is then the module's file)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        return "python -m " + shlex.join([spec.name.removesuffix(".__main__"), *sys.argv[1:]])
    return shlex.join(sys.argv)


def table_hash(df: pd.DataFrame) -> str:
    """A content hash of a table (column names, dtypes and values), independent of the file format."""
    h = hashlib.sha256()
    h.update(json.dumps([(c, str(t)) for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
    return h.hexdigest()


def temporary_name(path: Path) -> Path:
    """A name beside ``path`` that no other writer uses (process id and random bits), for a write that is
    renamed into place when complete: two processes writing the same file never share a temporary file."""
    return path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = temporary_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if not tmp.is_dir():
            tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the renames in ``directory`` durable (a crash after this keeps them)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not supported on this platform or file system
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_table(run_dir: Path, name: str, df: pd.DataFrame) -> None:
    """Write ``<name>.parquet`` atomically: under a temporary name, flushed to disk, then renamed. A failed
    write (a full disk, an I/O error) removes the temporary file and leaves no table behind."""
    path = run_dir / f"{name}.parquet"
    tmp = temporary_name(path)
    try:
        df.to_parquet(tmp, index=False)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if not tmp.is_dir():
            tmp.unlink(missing_ok=True)
        raise


def remove_tables(run_dir: Path) -> None:
    """Remove a run's tables and any temporary files of an interrupted write (a failed run keeps none)."""
    for name in TABLES:
        for path in (run_dir / f"{name}.parquet", *run_dir.glob(f"{name}.parquet*.tmp")):
            if path.is_file() or path.is_symlink():
                path.unlink(missing_ok=True)


def remove_leftovers(run_dir: Path) -> None:
    """Before a run starts in a folder that holds no complete run: the tables and temporary files of an
    earlier attempt that was killed mid-write (a killed process cannot clean up after itself)."""
    remove_tables(run_dir)
    for path in run_dir.glob(f"{MANIFEST}.*.tmp"):
        if path.is_file() or path.is_symlink():
            path.unlink(missing_ok=True)


def write_manifest(run_dir: Path, manifest: dict) -> None:
    write_manifest_as(run_dir, MANIFEST, manifest)


def write_manifest_as(directory: Path, name: str, manifest: dict) -> None:
    """Write a JSON document atomically (also used for sweep-level manifests)."""
    _atomic_write_bytes(Path(directory) / name, (json.dumps(manifest, indent=1, default=str) + "\n").encode())


def write_run(run_dir: Path, tables: dict[str, pd.DataFrame], manifest: dict) -> dict:
    """Write the tables, then the manifest with their row counts and hashes. Returns the manifest."""
    run_dir.mkdir(parents=True, exist_ok=True)
    info = {}
    for name in TABLES:
        df = tables[name]
        write_table(run_dir, name, df)
        info[name] = {"rows": int(len(df)), "sha256": table_hash(df)}
    manifest = {**manifest, "tables": info}
    write_manifest(run_dir, manifest)
    return manifest


def read_manifest(run_dir: Path) -> dict:
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise ResultsError(f"{run_dir} is not a complete run: {MANIFEST} is missing")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path} is not valid JSON ({e})") from None


def load(run_dir: str | os.PathLike, verify: bool = False) -> RunResult:
    """Read a run directory. Refuses runs whose manifest is missing or not marked complete; with
    ``verify``, also runs whose tables do not match the row counts and content hashes in the manifest
    (a table replaced, truncated or edited after the run)."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    status = manifest.get("status")
    if status != "complete":
        reason = manifest.get("error", "killed or still running" if status == "running" else "no reason recorded")
        raise ResultsError(f"{run_dir} is not a complete run: status is {status!r} ({reason})")
    tables = {}
    for name in TABLES:
        path = run_dir / f"{name}.parquet"
        if not path.is_file():
            raise ResultsError(f"{run_dir} is not a complete run: {path.name} is missing")
        try:
            tables[name] = pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several types for damaged files
            raise ResultsError(f"{path} cannot be read ({type(e).__name__}: {e})") from None
        if verify:
            recorded = manifest.get("tables", {}).get(name, {})
            if recorded.get("sha256") != table_hash(tables[name]) or recorded.get("rows") != len(tables[name]):
                raise ResultsError(f"{path} does not match the hash recorded in {MANIFEST}: it changed after the run")
    return RunResult(**tables, manifest=manifest, path=run_dir)


def verify(run_dir: str | os.PathLike) -> dict:
    """The manifest of a complete run whose tables match the hashes it records; ResultsError otherwise."""
    return load(run_dir, verify=True).manifest


def set_aside(run_dir: Path, reason: str) -> Path | None:
    """Move a run's files into ``superseded/<time>/`` before the run is redone, so nothing is lost."""
    names = [n for n in (*(f"{t}.parquet" for t in TABLES), MANIFEST) if (run_dir / n).exists()]
    manifest_status = None
    try:
        manifest_status = read_manifest(run_dir).get("status")
    except ResultsError:
        pass
    if not names or manifest_status in (None, "failed", "running"):
        return None  # nothing that looks like a finished result
    target = run_dir / "superseded" / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    target.mkdir(parents=True)
    for n in names:
        os.replace(run_dir / n, target / n)
    (target / "reason.txt").write_text(reason + "\n")
    return target


class RunFolderBusy(ResultsError):
    """Another live process is writing a run into the same folder."""


@contextmanager
def claim(run_dir: Path):
    """Hold ``run_dir`` for one writer: an exclusive lock (``flock``) on its lock file for as long as the run
    writes. The operating system releases it when the writer dies, so a killed run's folder is free again at
    once, on any host. Raises RunFolderBusy, with one line, while another live run holds it."""
    lock = Path(run_dir) / LOCK
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise RunFolderBusy(
                f"{run_dir} is being written by another run ({holder}): choose another output.name, or wait for it "
                "to finish"
            ) from None
        try:  # the previous writer may have removed the file between our open and lock: lock the current one
            current = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()}".encode(), 0)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)  # still holding the lock, so nobody holds the file being removed
        os.close(fd)


def busy(run_dir: Path) -> str | None:
    """Who is writing ``run_dir`` now, or None (checked before a command touches the folder)."""
    lock = Path(run_dir) / LOCK
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
    finally:
        os.close(fd)
    return None
