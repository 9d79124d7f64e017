"""`readiness osv-db`: get OSV's PyPI export into the directory `--offline-db` reads, and say how old it is.

The download is untrusted input like any other: it is streamed to a temporary file under a size cap and
a wall-clock deadline; the archive's entry count is read from its end record before anything is parsed;
every member must be a flat `<ID>.json` name (no directory, no `..`, no absolute path, no symlink, not
encrypted) within a per-record and a total size cap; every record must be an OSV object whose `id`
matches its file name, and the zip's CRCs must hold. Only then are the records moved into place, in one
rename, so a failed download never damages the database that was there. The directory gets a small
`.readiness-osv-db.json` (what was downloaded, from where, when; the loader skips dot files) and its name
index is built at once, so the first `readiness check --offline-db DIR` does not pay for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readiness import lazyre
from readiness.errors import ReadinessError
from readiness.exit_codes import ExitCode
from readiness.gates.deps.osv_offline import MAX_RECORD_BYTES, DatabaseError, OsvDatabase, database_age

DEFAULT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
"""OSV's published export of every PyPI advisory (PYSEC, GHSA, MAL, ...), one JSON record per member."""
META_NAME = ".readiness-osv-db.json"
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
"""The compressed download (OSV's PyPI export is tens of megabytes)."""
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
"""All records uncompressed."""
MAX_MEMBERS = 500_000
MAX_MEMBER_BYTES = MAX_RECORD_BYTES
DEFAULT_TIMEOUT = 60.0
"""Seconds per socket operation."""
DEFAULT_DEADLINE = 900.0
"""Seconds for the whole download: a server that trickles bytes cannot hold the run forever."""
_CHUNK = 256 * 1024
_MEMBER_RE = lazyre.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.json$")
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


class OsvDbError(ReadinessError):
    """The database could not be downloaded, verified or read (exit 1); the message says why."""

    exit_code = ExitCode.FAIL


@dataclass(frozen=True, slots=True, kw_only=True)
class DbStatus:
    """What an OSV directory holds and how old its data is."""

    path: Path
    """The directory."""
    records: int
    """OSV records in it."""
    packages: int
    """Distinct package names."""
    newest: str | None
    """The newest `modified` time of a record that is not in the future."""
    age_days: float | None
    """Days since `newest`."""
    meta: dict[str, Any]
    """What `download` recorded (url, downloaded_at, sha256, ...); empty for a directory made otherwise."""


def status(path: Path, *, now: datetime | None = None) -> DbStatus:
    """Load (index) the directory and report its size and age. OsvDbError when it is not a database."""
    try:
        db = OsvDatabase(path.resolve()).load()
    except DatabaseError as exc:
        raise OsvDbError(str(exc)) from None
    dated = database_age(db.stats.newest, now or datetime.now(UTC))
    age, newest = dated if dated is not None else (None, None)
    meta: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads((path / META_NAME).read_text(encoding="utf-8"))
        meta = loaded if isinstance(loaded, dict) else {}
    return DbStatus(path=path, records=db.stats.files, packages=db.stats.names, newest=newest, age_days=age,
                    meta=meta)


def describe(st: DbStatus) -> str:
    """One paragraph for the terminal."""
    if st.newest is not None and st.age_days is not None:
        age = f"newest record modified {st.newest[:16].replace('T', ' ')} UTC ({st.age_days:.1f} days ago)"
    else:
        age = "no record carries a usable `modified` time, so its age is unknown"
    lines = [f"{st.path}: {st.records:,} OSV records for {st.packages:,} packages; {age}."]
    if st.meta.get("downloaded_at"):
        lines.append(f"Downloaded {st.meta.get('downloaded_at')} from {st.meta.get('url')} "
                     f"(sha256 {str(st.meta.get('sha256', ''))[:16]}…).")
    return "\n".join(lines)


def download(dest: Path, *, url: str = DEFAULT_URL, timeout: float = DEFAULT_TIMEOUT,
             deadline: float = DEFAULT_DEADLINE, max_archive_bytes: int = MAX_ARCHIVE_BYTES,
             now: datetime | None = None) -> DbStatus:
    """Download, verify and install the export at `url` into `dest`; its status afterwards."""
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise OsvDbError(f"--url {url[:200]!r}: only http:// and https:// URLs are downloaded")
    _check_destination(dest)
    parent = dest.parent if str(dest.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=parent))
    except OSError as exc:
        raise OsvDbError(f"{dest}: cannot create a working directory beside it: {exc.strerror}") from None
    try:
        archive = work / "all.zip"
        digest, size = _fetch(url, archive, timeout=timeout, deadline=deadline, limit=max_archive_bytes)
        records = work / "records"
        records.mkdir()
        count = _extract(archive, records)
        archive.unlink()
        stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta = {"format": 1, "url": url, "downloaded_at": stamp, "sha256": digest, "archive_bytes": size,
                "records": count}
        (records / META_NAME).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        _install(records, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return status(dest, now=now)


def _check_destination(dest: Path) -> None:
    if dest.is_symlink():
        raise OsvDbError(f"{dest} is a symbolic link; name the directory itself")
    if dest.exists():
        if not dest.is_dir():
            raise OsvDbError(f"{dest} exists and is not a directory")
        if (dest / META_NAME).is_file():
            return
        try:
            empty = not any(dest.iterdir())
        except OSError as exc:
            raise OsvDbError(f"{dest} cannot be read: {exc.strerror}") from None
        if not empty:
            raise OsvDbError(f"{dest} exists and was not made by `readiness osv-db download`; name a new or "
                             "empty directory (nothing in it was changed)")


def _fetch(url: str, out: Path, *, timeout: float, deadline: float, limit: int) -> tuple[str, int]:
    """Stream `url` into `out` under `limit` bytes and `deadline` seconds; (sha256, size)."""
    request = urllib.request.Request(url, headers={"User-Agent": "readiness-gates osv-db"})
    started = time.monotonic()
    digest = hashlib.sha256()
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp, open(out, "wb") as fh:  # noqa: S310
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise OsvDbError(f"{url}: the server announces {int(declared):,} bytes, over the "
                                 f"{limit:,}-byte limit; nothing was installed")
            while True:
                if time.monotonic() - started > deadline:
                    raise OsvDbError(f"{url}: the download did not finish within {deadline:.0f} s; "
                                     "nothing was installed")
                chunk = resp.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise OsvDbError(f"{url}: the download exceeds the {limit:,}-byte limit; nothing was installed")
                digest.update(chunk)
                fh.write(chunk)
    except urllib.error.HTTPError as exc:
        raise OsvDbError(f"{url}: the server answered HTTP {exc.code}; nothing was installed") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise OsvDbError(f"{url}: the download failed ({str(reason)[:200]}); nothing was installed") from None
    return digest.hexdigest(), size


def declared_entries(path: Path) -> int:
    """The entry count the archive's end record declares (ZIP64 included), read before any parsing, so a
    central directory of millions of entries is refused without being loaded."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        tail_len = min(end, 22 + 65535 + 20)
        fh.seek(end - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise OsvDbError("the download is not a zip archive (no end of central directory)")
        count = struct.unpack("<H", tail[at + 10:at + 12])[0]
        if count != 0xFFFF:
            return int(count)
        loc = tail.rfind(_ZIP64_LOCATOR, 0, at)
        if loc < 0 or at - loc < 20:
            return int(count)
        offset = struct.unpack("<Q", tail[loc + 8:loc + 16])[0]
        if offset > end - 56:
            raise OsvDbError("the download's ZIP64 end record points outside the file")
        fh.seek(offset)
        record = fh.read(56)
        if record[:4] != _ZIP64_EOCD:
            raise OsvDbError("the download's ZIP64 end record is damaged")
        return int(struct.unpack("<Q", record[32:40])[0])


def _extract(archive: Path, into: Path) -> int:
    """Verify every member and write the records into `into`; the number of records."""
    entries = declared_entries(archive)
    if entries > MAX_MEMBERS:
        raise OsvDbError(f"the archive declares {entries:,} entries, over the {MAX_MEMBERS:,} limit")
    count = pypi = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise OsvDbError(f"the archive holds {len(infos):,} entries, over the {MAX_MEMBERS:,} limit")
            total = 0
            seen: set[str] = set()
            for info in infos:
                _check_member(info, seen)
                total += info.file_size
                if total > MAX_TOTAL_BYTES:
                    raise OsvDbError(f"the records add up to more than {MAX_TOTAL_BYTES:,} bytes uncompressed")
            for info in infos:
                with zf.open(info) as fh:
                    data = fh.read(MAX_MEMBER_BYTES + 1)
                    if len(data) > MAX_MEMBER_BYTES:
                        raise OsvDbError(f"member {info.filename!r} is larger than its header says "
                                         f"(over {MAX_MEMBER_BYTES:,} bytes)")
                pypi += _check_record(info.filename, data)
                with open(into / info.filename, "xb") as out:
                    out.write(data)
                count += 1
    except OsvDbError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error,
            OSError, ValueError) as exc:
        raise OsvDbError(f"the archive is damaged or unreadable: {str(exc)[:200]}") from None
    if count == 0 or pypi == 0:
        raise OsvDbError("the archive holds no PyPI OSV records")
    return count


def _check_member(info: zipfile.ZipInfo, seen: set[str]) -> None:
    name = info.filename
    shown = repr(name[:120])
    if info.is_dir() or not _MEMBER_RE.match(name):
        raise OsvDbError(f"member {shown} is not a flat `<ID>.json` name (a directory, a path or `..`); "
                         "the archive was refused")
    if name.lower() in seen:
        raise OsvDbError(f"member {shown} appears twice in the archive")
    seen.add(name.lower())
    if info.flag_bits & 0x1:
        raise OsvDbError(f"member {shown} is encrypted")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind not in (0, stat.S_IFREG):
        raise OsvDbError(f"member {shown} is not a regular file (a symbolic link or a device)")
    if info.file_size > MAX_MEMBER_BYTES:
        raise OsvDbError(f"member {shown} is {info.file_size:,} bytes, over the {MAX_MEMBER_BYTES:,}-byte limit")


def _check_record(name: str, data: bytes) -> int:
    """1 when the record concerns PyPI, 0 otherwise; OsvDbError when it is not an OSV record."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise OsvDbError(f"member {name[:120]!r} is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("id") != name[:-5]:
        raise OsvDbError(f"member {name[:120]!r} is not an OSV record named after its `id`")
    if not isinstance(doc.get("modified"), str):
        raise OsvDbError(f"record {name[:-5][:120]!r} has no `modified` time")
    affected = doc.get("affected", [])
    if not isinstance(affected, list) or not all(isinstance(a, dict) for a in affected):
        raise OsvDbError(f"record {name[:-5][:120]!r} has a malformed `affected` list")
    version = doc.get("schema_version")
    if version is not None and not str(version).startswith("1."):
        raise OsvDbError(f"record {name[:-5][:120]!r} uses OSV schema {str(version)[:20]!r}; only 1.x is read")
    return int(any(str((a.get("package") or {}).get("ecosystem", "")).split(":")[0] == "PyPI"
                   for a in affected if isinstance(a.get("package"), dict)))


def _install(records: Path, dest: Path) -> None:
    """Swap the verified records in: one rename each way, the old database removed only afterwards."""
    old: Path | None = None
    try:
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / "db")
        os.replace(records, dest)
    except OSError as exc:
        if old is not None and (old / "db").exists() and not dest.exists():
            os.replace(old / "db", dest)
        raise OsvDbError(f"{dest}: the verified records could not be moved into place: {exc.strerror}") from None
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
