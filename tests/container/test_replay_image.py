"""Replay inside the action image: the server programs are there, and a throwaway server starts as
root the way GitHub runs the container (it drops to the unprivileged `postgres` user), with no
network, and leaves nothing behind."""

from __future__ import annotations

import json
import subprocess

import pytest

pytestmark = pytest.mark.container

_SCRIPT = """
import json, os, glob
from readiness.replay import Migration, Statement, replay
fill = "INSERT INTO t SELECT g, g FROM generate_series(1, 100) g"
history = [Migration(id="1", statements=(Statement(sql="CREATE TABLE t (id int PRIMARY KEY, a int)"),
                                         Statement(sql=fill, line=2)))]
pr = [Migration(id="2", statements=(Statement(sql="ALTER TABLE t ALTER COLUMN a TYPE bigint"),),
                down=(Statement(sql="ALTER TABLE t ALTER COLUMN a TYPE int"),))]
r = replay(history, pr)
st = r.migrations[0].statements[0]
print(json.dumps({"uid": os.geteuid(), "version": r.server_version, "applies": r.migrations[0].applies,
                  "rewrites": [w.relation for w in st.rewrites],
                  "locks": [[lk.relation, lk.mode.value] for lk in st.locks],
                  "differences": len(r.migrations[0].reversibility.differences),
                  "left": glob.glob("/tmp/readiness-pg-*")}))
"""


def test_replay_runs_in_the_image(image: str) -> None:
    done = subprocess.run(["podman", "run", "--rm", "--network", "none", "--entrypoint", "python3", image,
                           "-c", _SCRIPT], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["uid"] == 0
    assert out["version"].startswith("15.")
    assert out["applies"] is True
    assert "public.t" in out["rewrites"]
    assert ["public.t", "ACCESS EXCLUSIVE"] in out["locks"]
    assert out["differences"] == 0
    assert out["left"] == []
