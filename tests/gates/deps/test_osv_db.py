"""`readiness osv-db download|status` against a stand-in HTTP server on 127.0.0.1.

The server serves zips built from the shared snapshot, then hostile ones: path traversal, absolute and
nested names, a symlink member, a lying size header, a broken CRC, a record that is not OSV, a server
that announces or sends too much, one that trickles bytes, a 404. Every bad download is refused with a
clear message (exit 1) and leaves the database that was there untouched.
"""

from __future__ import annotations

import io
import json
import stat
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from readiness.cli import main
from readiness.gates.deps.osv_db import META_NAME, OsvDbError, download, status
from readiness.gates.deps.osv_offline import OsvDatabase

NOW = datetime(2026, 8, 2, tzinfo=UTC)


@dataclass
class Served:
    """What the stand-in server answers on `/PyPI/all.zip`."""

    body: bytes = b""
    code: int = 200
    trickle: float = 0.0
    length: int | None = None
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[Served, str]]:
    served = Served()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

        def do_GET(self) -> None:  # noqa: N802
            served.hits.append(self.path)
            if self.path != "/PyPI/all.zip" or served.code != 200:
                self.send_error(served.code if served.code != 200 else 404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(served.length if served.length is not None else len(served.body)))
            self.end_headers()
            if served.trickle:
                for i in range(0, min(len(served.body), 64 * 200), 64):
                    try:
                        self.wfile.write(served.body[i:i + 64])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(served.trickle)
            else:
                self.wfile.write(served.body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True  # a trickling handler must not hold the test after it gave up
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{httpd.server_address[1]}/PyPI/all.zip"
    finally:
        httpd.shutdown()
        httpd.server_close()


def snapshot_zip(osv_dir: Path, n: int = 300, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip of `n` records of the shared snapshot (plus the GHSA sample), as OSV publishes it: flat."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(osv_dir.glob("*.json"))[:n] + sorted((osv_dir / "ghsa-sample").glob("*.json")):
            zf.writestr(path.name, path.read_bytes())
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_download_verifies_installs_and_reports_age(server: tuple[Served, str], osv_dir: Path,
                                                    tmp_path: Path) -> None:
    served, url = server
    served.body = snapshot_zip(osv_dir)
    dest = tmp_path / "osv-pypi"
    st = download(dest, url=url, now=NOW)
    assert st.records == 309 and (dest / "PYSEC-2005-1.json").is_file()
    assert (dest / "GHSA-8q59-q68h-6hv4.json").read_bytes() == (
        osv_dir / "ghsa-sample" / "GHSA-8q59-q68h-6hv4.json").read_bytes()
    meta = json.loads((dest / META_NAME).read_text())
    assert meta["url"] == url and meta["records"] == 309 and len(meta["sha256"]) == 64
    assert st.newest is not None and st.age_days is not None and st.age_days >= 0
    # the metadata file is not a record, and the directory is what --offline-db reads
    db = OsvDatabase(dest, use_cache=False).load()
    assert db.stats.files == 309 and "GHSA-8q59-q68h-6hv4" in {i for v in db.audit("pyyaml", "5.3") for i in v.ids}
    # a second download replaces the first in one step
    served.body = snapshot_zip(osv_dir, n=10)
    assert download(dest, url=url, now=NOW).records == 19


def test_cli_download_and_status(server: tuple[Served, str], osv_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    served, url = server
    served.body = snapshot_zip(osv_dir, n=50)
    dest = tmp_path / "db"
    assert main(["osv-db", "download", str(dest), "--url", url]) == 0
    out = capsys.readouterr().out
    assert "59 OSV records" in out and "days ago" in out and f"--offline-db {dest}" in out
    assert main(["osv-db", "status", str(dest)]) == 0
    assert "59 OSV records" in capsys.readouterr().out
    assert main(["osv-db", "status", str(dest), "--max-age-days", "1"]) == 1  # the snapshot is months old
    assert "older than 1 day" in capsys.readouterr().err
    assert main(["osv-db", "status", str(tmp_path / "nothing")]) == 1


def _hostile_zip(name: str, data: bytes = b"{}", *, symlink: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("PYSEC-1.json", json.dumps({"id": "PYSEC-1", "modified": "2026-01-01T00:00:00Z",
                                                "affected": [{"package": {"name": "x", "ecosystem": "PyPI"}}]}))
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, data)
    return buf.getvalue()


def _crc_broken() -> bytes:
    """A stored (uncompressed) record with one letter changed after the CRC was computed: still valid JSON."""
    record = b'{"id": "PYSEC-1", "modified": "2026-01-01T00:00:00Z", "summary": "abc", "affected": []}'
    body = bytearray(_stored("PYSEC-1.json", record))
    at = body.find(b'"abc"')
    body[at + 1] = ord("x")
    return bytes(body)


def _stored(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


HOSTILE: dict[str, tuple[bytes, str]] = {
    "traversal": (_hostile_zip("../escape.json"), "not a flat `<ID>.json` name"),
    "absolute": (_hostile_zip("/tmp/escape.json"), "not a flat `<ID>.json` name"),
    "nested": (_hostile_zip("advisories/PYSEC-2.json"), "not a flat `<ID>.json` name"),
    "backslash": (_hostile_zip("..\\escape.json"), "not a flat `<ID>.json` name"),
    "not-json-name": (_hostile_zip("README.md"), "not a flat `<ID>.json` name"),
    "symlink": (_hostile_zip("PYSEC-2.json", b"/etc/passwd", symlink=True), "not a regular file"),
    "not-json": (_hostile_zip("PYSEC-2.json", b"\x00\x01 not json"), "not valid JSON"),
    "id-mismatch": (_hostile_zip("PYSEC-2.json", b'{"id": "PYSEC-3", "modified": "x"}'), "named after its `id`"),
    "no-modified": (_hostile_zip("PYSEC-2.json", b'{"id": "PYSEC-2"}'), "no `modified` time"),
    "deep-json": (_hostile_zip("PYSEC-2.json", b"[" * 100_000 + b"]" * 100_000), "not valid JSON"),
    "not-a-zip": (b"<html>captive portal</html>", "not a zip archive"),
    "no-pypi": (_stored("GO-1.json", b'{"id": "GO-1", "modified": "2026-01-01T00:00:00Z", "affected": '
                                     b'[{"package": {"name": "x", "ecosystem": "Go"}}]}'), "no PyPI OSV records"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused_and_the_old_database_kept(case: str, server: tuple[Served, str],
                                                                osv_dir: Path, tmp_path: Path) -> None:
    served, url = server
    served.body = snapshot_zip(osv_dir, n=5)
    dest = tmp_path / "db"
    download(dest, url=url, now=NOW)
    before = sorted(p.name for p in dest.iterdir())
    served.body, expected = HOSTILE[case]
    with pytest.raises(OsvDbError, match=expected.replace("(", r"\(").replace("`", "`")):
        download(dest, url=url, now=NOW)
    assert sorted(p.name for p in dest.iterdir()) == before
    assert not (tmp_path / "escape.json").exists() and not Path("/tmp/escape.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_broken_crc_is_refused(server: tuple[Served, str], tmp_path: Path, osv_dir: Path) -> None:
    served, url = server
    served.body = _crc_broken()
    with pytest.raises(OsvDbError, match="damaged or unreadable: Bad CRC-32"):
        download(tmp_path / "db", url=url, now=NOW)
    assert not (tmp_path / "db").exists()


def test_size_caps_deadline_and_http_errors(server: tuple[Served, str], osv_dir: Path, tmp_path: Path) -> None:
    served, url = server
    served.body = snapshot_zip(osv_dir, n=50)
    with pytest.raises(OsvDbError, match="over the 1,000-byte limit"):
        download(tmp_path / "a", url=url, max_archive_bytes=1_000)  # announced by Content-Length
    served.length = 500  # a server that lies about the length: urllib stops at it, the zip is then cut
    with pytest.raises(OsvDbError):
        download(tmp_path / "b", url=url)
    served.length = None
    served.trickle = 0.05
    with pytest.raises(OsvDbError, match="did not finish within 1 s"):
        download(tmp_path / "c", url=url, deadline=1.0)
    served.trickle = 0.0
    served.code = 404
    with pytest.raises(OsvDbError, match="HTTP 404"):
        download(tmp_path / "d", url=url)
    with pytest.raises(OsvDbError, match="only http:// and https://"):
        download(tmp_path / "e", url="file:///etc/passwd")
    assert not any(p.name for p in tmp_path.iterdir())


def test_a_directory_it_did_not_make_is_never_overwritten(server: tuple[Served, str], osv_dir: Path,
                                                          tmp_path: Path) -> None:
    served, url = server
    served.body = snapshot_zip(osv_dir, n=5)
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(OsvDbError, match="was not made by `readiness osv-db download`"):
        download(mine, url=url)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    (tmp_path / "link").symlink_to(mine)
    with pytest.raises(OsvDbError, match="symbolic link"):
        download(tmp_path / "link", url=url)


def test_too_many_entries_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.gates.deps import osv_db

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(30):
            zf.writestr(f"PYSEC-{i}.json", "{}")
    path = tmp_path / "many.zip"
    path.write_bytes(buf.getvalue())
    assert osv_db.declared_entries(path) == 30
    monkeypatch.setattr(osv_db, "MAX_MEMBERS", 20)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # the end record alone must decide
    with pytest.raises(OsvDbError, match="declares 30 entries"):
        osv_db._extract(path, tmp_path)  # noqa: SLF001


def test_status_of_the_shared_snapshot(osv_dir: Path) -> None:
    st = status(osv_dir, now=NOW)
    assert st.records == 7089 and st.newest is not None and st.newest.startswith("2026-07-23")
    assert st.meta == {}
