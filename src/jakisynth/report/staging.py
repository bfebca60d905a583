"""The output directory: who owns it, one run at a time, and a crash-consistent switch.

Stage "outputs". ``jakisynth run`` writes only into a directory it owns: an absent or empty one,
or one whose ``manifest.json`` it wrote itself (``"generator": "jakisynth"`` and the list of
files it wrote, with their sha256). Anything else (a file, a non-empty foreign directory, the
evidence directory, a directory inside it or one that contains it) is refused before any work
(:func:`check_target`).

One run at a time: :func:`output_lock` holds an ``fcntl.flock`` on ``<out>/.jakisynth.lock``; a
second run waits for it (saying so once on stderr). The lock file is removed at the end; a waiter
whose lock file was removed or replaced meanwhile locks the new one (the usual
lock-then-verify-the-inode loop).

Crash consistency (:func:`publish`): the whole new output set is built in a staging directory
beside the target (``.<name>.jakisynth-stage-<pid>``): new files written there, unchanged ones
hard-linked from the old set (so their bytes and mtimes stay), and every file of the user's that
is not ours carried over (hard link, or a copy where links are not possible). Then the staging
directory and the target are exchanged in one ``renameat2(RENAME_EXCHANGE)`` (two renames where
the kernel or file system cannot), and the old set, now in the staging path, is deleted. A kill at
any point leaves the target holding the old set or the new one, never a mix; the next run removes
the staging leftovers (:func:`recover`). Stale outputs are simply not carried over: only files the
previous manifest lists with their exact sha256 are dropped, so a forged or edited manifest cannot
delete anything of the user's.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sys
from pathlib import Path

from ..errors import OutputError
from .files import sha256

MANIFEST = "manifest.json"
LOCK = ".jakisynth.lock"
GENERATOR = "jakisynth"
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.jakisynth-(stage|old)-[0-9]+")
_OLD_TMP = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp")  # atomic_write's temporary files


def owned_manifest(out: Path) -> dict | None:
    """The manifest of ``out`` if jakisynth wrote it (a dict with ``generator: jakisynth``, or
    the older ``package: jakisynth``, and ``outputs`` mapping paths to sha256), else None."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if GENERATOR not in (manifest.get("generator"), manifest.get("package")):
        return None
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in outputs.items()):
        return None
    return manifest


def _entries(out: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(out) if name != LOCK)
    except FileNotFoundError:
        return []


def check_target(out_dir, *, evidence_dir=None) -> Path:
    """The resolved output directory, or :class:`OutputError` (one line) if ``run`` may not write
    there: a file; the evidence directory, inside it or containing it; a non-empty directory
    without a jakisynth manifest; a directory (or parent) it cannot write; the current
    directory or one of its parents (the directory is replaced as a whole)."""
    given = str(out_dir)
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {given}: is a file, not a directory; give a directory")
    if evidence_dir is not None:
        evidence = Path(evidence_dir).resolve()
        if out == evidence or evidence in out.parents:
            where = "is the evidence directory" if out == evidence else "is inside the evidence directory"
            raise OutputError(f"--out {given}: {where} {evidence_dir}; "
                              "outputs go to a directory of their own (e.g. outputs/)")
        if out in evidence.parents:
            raise OutputError(f"--out {given}: contains the evidence directory {evidence_dir}; "
                              "outputs go to a directory of their own (e.g. outputs/)")
    cwd = Path.cwd().resolve()
    if out == cwd or out in cwd.parents:
        raise OutputError(f"--out {given}: is the current directory or contains it; run from "
                          "outside the output directory (it is replaced as a whole)")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"--out {given}: cannot write in {parent} (permission denied)")
    if out.is_dir():
        if not os.access(out, os.R_OK | os.W_OK | os.X_OK):
            raise OutputError(f"--out {given}: cannot write in it (permission denied)")
        _refuse_foreign(out, given)
    return out


def _refuse_foreign(out: Path, given: str) -> dict:
    manifest = owned_manifest(out)
    if manifest is None and _entries(out):
        raise OutputError(
            f"--out {given}: is not empty and was not written by jakisynth (no jakisynth "
            f"{MANIFEST}); give a new or empty directory, or the one jakisynth wrote before")
    return manifest or {}


def claim(out: Path, given: str) -> dict:
    """Under the lock: remove leftovers of interrupted runs, check again that ``out`` is ours
    (another process may have written meanwhile); the previous manifest, ``{}`` if none."""
    recover(out)
    manifest = _refuse_foreign(out, given)
    listed = [p for p in manifest.get("outputs", {}) if _safe(p)]
    for directory in sorted(_dirs(listed)):
        path = out / directory
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise OutputError(f"{path}: jakisynth writes a directory there, and it is not one; "
                              "move it away, then run again")
    return manifest


# ---- one run at a time ----------------------------------------------------------------------

@contextlib.contextmanager
def output_lock(out: Path):
    """Hold the lock of ``out`` (created if absent); wait, once saying so, while another run
    holds it. Yields the list of open lock descriptors (``publish`` adds the new set's)."""
    import fcntl

    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    said = False
    while True:
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not said:
                print(f"waiting for another jakisynth run on {out} to finish...", file=sys.stderr)
                said = True
            fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(fd, out / LOCK):
            break
        os.close(fd)  # removed or replaced while we waited: lock the current one
        out.mkdir(parents=True, exist_ok=True)
    held = [fd]
    try:
        yield held
    finally:
        with contextlib.suppress(OSError):
            os.unlink(out / LOCK)
        if created:  # nothing published: leave no empty directory behind
            with contextlib.suppress(OSError):
                out.rmdir()
        for handle in held:
            os.close(handle)


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


# ---- leftovers of interrupted runs ----------------------------------------------------------

def recover(out: Path) -> None:
    """Under the lock: delete staging leftovers of interrupted runs beside ``out``."""
    for entry in out.parent.iterdir():
        match = _LEFTOVER.fullmatch(entry.name)
        if match and match.group("name") == out.name and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def restore_if_missing(out: Path) -> None:
    """Before the lock: if an interrupted two-rename switch left ``out`` missing, put the old
    set back (only where the kernel cannot exchange two directories atomically)."""
    if out.exists() or not out.parent.is_dir():
        return
    old = sorted(p for p in out.parent.glob(f".{out.name}.jakisynth-old-*") if p.is_dir())
    if len(old) == 1:
        with contextlib.suppress(OSError):
            os.rename(old[0], out)


# ---- building and switching the new set -----------------------------------------------------

def collisions(out: Path, files: dict[str, bytes], previous: dict[str, str]) -> list[str]:
    """Outputs that would replace something of the user's: a file jakisynth did not write, or
    a non-directory where an output's directory goes."""
    found = []
    for relative in sorted(files):
        target = out / relative
        parts = Path(relative).parts
        for i in range(1, len(parts)):
            ancestor = out.joinpath(*parts[:i])
            if ancestor.is_symlink() or (ancestor.exists() and not ancestor.is_dir()):
                found.append(str(ancestor))
        if (target.exists() or target.is_symlink()) and (
                target.is_dir() or target.is_symlink() or relative not in previous):
            found.append(str(target))
    return sorted(set(found))


def publish(out: Path, files: dict[str, bytes], manifest_text: str, previous: dict[str, str],
            held: list[int]) -> None:
    """Switch ``files`` plus the manifest in as the new content of ``out`` (see the module
    docstring). ``previous`` is the previous manifest's outputs (path -> sha256)."""
    previous = {p: h for p, h in previous.items() if _safe(p)}
    bad = collisions(out, files, previous)
    if bad:
        raise OutputError(f"{bad[0]}: exists and was not written by jakisynth; move it away "
                          f"({len(bad)} such path(s)), nothing was written")
    stage = out.parent / f".{out.name}.jakisynth-stage-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    os.mkdir(stage)
    try:
        os.chmod(stage, os.stat(out).st_mode & 0o7777)
        _carry(out, stage, files, previous)
        for relative, data in sorted(files.items()):
            _place(out / relative, stage / relative, data, previous.get(relative))
        _write_new(stage / MANIFEST, manifest_text.encode("utf-8"))
        _prune_empty(stage, _dirs(files), _dirs(previous))
        held.append(_lock_new(stage / LOCK))
        _sync_dir(stage)
        _exchange(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _sync_dir(out.parent)
    shutil.rmtree(stage, ignore_errors=True)  # now the old set


def _safe(relative: str) -> bool:
    """A relative path inside the directory (a manifest could name ``../x`` or ``/x``)."""
    parts = Path(relative).parts
    return bool(parts) and not Path(relative).is_absolute() and ".." not in parts


def _ours(relative: str, path: Path, previous: dict[str, str]) -> bool:
    """Whether the old file at ``relative`` is an output the previous run wrote, unchanged."""
    if relative == MANIFEST or relative == LOCK:
        return True
    match = _OLD_TMP.fullmatch(path.name)
    if match and path.is_file() and (match.group("name") == MANIFEST or any(
            Path(p).name == match.group("name") for p in previous)):
        return True  # a temporary file an interrupted older version left
    expected = previous.get(relative)
    if expected is None or path.is_symlink() or not path.is_file():
        return False
    try:
        return sha256(path.read_bytes()) == expected
    except OSError:
        return False


def _carry(out: Path, stage: Path, files: dict[str, bytes], previous: dict[str, str]) -> None:
    """Hard-link (or copy) into ``stage`` everything of ``out`` that is not ours."""
    prefixes = _dirs([*files, *previous])

    def walk(directory: Path, relative: str) -> None:
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            rel = f"{relative}/{entry.name}" if relative else entry.name
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False) and rel in prefixes:
                (stage / rel).mkdir(exist_ok=True)
                os.chmod(stage / rel, entry.stat(follow_symlinks=False).st_mode & 0o7777)
                walk(path, rel)
            elif entry.is_dir(follow_symlinks=False):
                shutil.copytree(path, stage / rel, symlinks=True, copy_function=_link_or_copy)
            elif rel in files and rel in previous and not path.is_symlink():
                continue  # rewritten or linked by _place
            elif not _ours(rel, path, previous):
                (stage / rel).parent.mkdir(parents=True, exist_ok=True)
                if path.is_symlink():
                    os.symlink(os.readlink(path), stage / rel)
                else:
                    _link_or_copy(path, stage / rel)

    walk(out, "")


def _dirs(paths) -> set[str]:
    """Every directory (with its ancestors) of the POSIX relative ``paths``."""
    out = set()
    for path in paths:
        parts = Path(path).parts[:-1]
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return out


def _prune_empty(stage: Path, keep: set[str], candidates: set[str]) -> None:
    """Remove the directories of stale outputs left empty in ``stage``."""
    for relative in sorted(candidates - keep, key=lambda d: d.count("/"), reverse=True):
        directory = stage / relative
        if directory.is_dir() and not directory.is_symlink() and not any(directory.iterdir()):
            directory.rmdir()


def _link_or_copy(source, target) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _place(old: Path, new: Path, data: bytes, recorded: str | None) -> None:
    new.parent.mkdir(parents=True, exist_ok=True)
    digest = sha256(data)
    if recorded == digest and old.is_file() and not old.is_symlink():
        try:
            if sha256(old.read_bytes()) == digest:
                os.link(old, new)  # unchanged: same bytes, same mtime
                return
        except OSError:
            pass
    _write_new(new, data)


def _write_new(path: Path, data: bytes) -> None:
    """A new file with the mode the umask gives (0644 under umask 022), flushed to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fdatasync(handle.fileno())


def _lock_new(path: Path) -> int:
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else can know this file yet
    return fd


def _sync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(stage: Path, out: Path) -> None:
    """Swap ``stage`` and ``out`` atomically (Linux ``renameat2``); else two renames, with the
    old set kept at ``.<name>.jakisynth-old-<pid>`` until the new one is in place."""
    if _renameat2_exchange(stage, out):
        return
    old = out.parent / f".{out.name}.jakisynth-old-{os.getpid()}"
    os.rename(out, old)
    try:
        os.rename(stage, out)
    except BaseException:
        os.rename(old, out)
        raise
    os.rename(old, stage)


def _renameat2_exchange(a: Path, b: Path) -> bool:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))
