"""Generate src/readiness/gates/migrations/pg_volatility.json from a real PostgreSQL server's catalog.

    python scripts/gen_pg_volatility.py                  # initdb a throwaway cluster, query it, write the file
    python scripts/gen_pg_volatility.py --host /tmp/pg   # query a running server (unix socket dir) instead

The migrations gate decides whether `ADD COLUMN ... DEFAULT f()` rewrites the table (PostgreSQL 11+
does not, unless the default is volatile) from PostgreSQL's own volatility of each built-in function
(`pg_proc.provolatile`, schema pg_catalog). A name with overloads of different volatility gets the
most volatile one. Functions not in the file (extensions, the project's own) count as volatile.

Needs the server binaries (Debian: `apt-get install postgresql`). initdb refuses to run as root, so
as root the cluster is created and run as the `postgres` user (or --user). Nothing is left behind:
the cluster lives in a temporary directory with no TCP listener and is stopped and removed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "readiness" / "gates" / "migrations" / "pg_volatility.json"
QUERY = ("SELECT proname, string_agg(DISTINCT provolatile::text, '') FROM pg_proc "
         "WHERE pronamespace = 'pg_catalog'::regnamespace GROUP BY proname ORDER BY proname")
RANK = {"i": 0, "s": 1, "v": 2}


def _bindir() -> Path:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if (Path(out) / "initdb").exists():
            return Path(out)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("no PostgreSQL server binaries (initdb) found: apt-get install postgresql")
    return Path(found[-1]).parent


def _as(user: str | None, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


def _psql(host: str, sql: str, user: str | None) -> str:
    argv = ["psql", "-X", "-h", host, "-U", "postgres", "-d", "postgres", "-tA", "-F", "\t", "-c", sql]
    return subprocess.run(_as(user, argv), capture_output=True, text=True, check=True).stdout


def _throwaway(user: str | None) -> tuple[str, str]:
    """Query a temporary cluster: (server version, rows)."""
    bindir = _bindir()
    tmp = tempfile.mkdtemp(prefix="pg-volatility-")
    data, sock = os.path.join(tmp, "data"), os.path.join(tmp, "sock")
    os.mkdir(sock)
    if user:
        shutil.chown(tmp, user)
        shutil.chown(sock, user)
    try:
        subprocess.run(_as(user, [str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres"]),
                       capture_output=True, check=True)
        subprocess.run(_as(user, [str(bindir / "pg_ctl"), "-D", data, "-w", "-l", os.path.join(tmp, "log"), "-o",
                                  f"-k {sock} -c listen_addresses=''", "start"]), capture_output=True, check=True)
        try:
            return _psql(sock, "SELECT version()", user).strip(), _psql(sock, QUERY, user)
        finally:
            subprocess.run(_as(user, [str(bindir / "pg_ctl"), "-D", data, "-m", "fast", "stop"]),
                           capture_output=True, check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", help="unix socket directory (or host) of a running server to query instead")
    ap.add_argument("--user", default="postgres" if os.geteuid() == 0 else None,
                    help="run the server and psql as this user (default as root: postgres)")
    ap.add_argument("--output", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if args.host:
        version, rows = _psql(args.host, "SELECT version()", args.user).strip(), _psql(args.host, QUERY, args.user)
    else:
        version, rows = _throwaway(args.user)
    functions: dict[str, str] = {}
    for line in rows.splitlines():
        name, _, kinds = line.partition("\t")
        if name and kinds:
            functions[name] = max(kinds, key=RANK.__getitem__)
    doc = {"generated_by": "scripts/gen_pg_volatility.py", "server": version,
           "note": "pg_proc.provolatile of every pg_catalog function: i immutable, s stable, v volatile; "
                   "overloads of one name: the most volatile. Names not listed are treated as volatile.",
           "functions": functions}
    args.output.write_text(json.dumps(doc, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{len(functions)} functions from {version} -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
