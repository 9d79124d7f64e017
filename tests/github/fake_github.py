"""A stand-in for the GitHub REST API on 127.0.0.1, for PyGithub and for the action's container.

It routes by GitHub's own OpenAPI description (`../shared/data/github-rest/rest-subset.json`),
validates every JSON request body against the operation's request schema with `OAS30Validator`
and answers a GitHub-shaped 422 when it does not conform, returns the spec's own response examples
with `https://api.github.com` rewritten to its base URL, and keeps state: issue comments (with
author and type), check runs (annotations accumulate over updates, as on GitHub), and PR files
(paginated with `Link` headers, capped at 3,000 like the real endpoint). Comment bodies over 65,536
characters get GitHub's 422 "Body is too long".

Faults are queued per operation id (`fail("issues/create-comment", 502, after=True)`: the comment
is stored, then the client sees a 502), with delays and connection resets.

Usable outside pytest (the container test runs the image against it):

    with FakeGitHub() as gh:                       # or gh = FakeGitHub(); gh.start(); ...; gh.stop()
        env["GITHUB_API_URL"] = gh.base_url
        ...
        assert gh.comments_on(7) == [...]
        assert [r.op for r in gh.requests_log] == [...]
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openapi_schema_validator import OAS30Validator

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "data" / "github-rest" / "rest-subset.json"
"""`../shared/data/github-rest/rest-subset.json`, relative to the repository."""

COMMENT_LIMIT = 65_536
FILES_CAP = 3_000
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
"""The identity GITHUB_TOKEN writes as."""
DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request the server received."""

    op: str
    """Operation id (`issues/create-comment`), or `unknown`."""
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    """Parsed JSON body, or None."""
    raw: bytes
    """The body as sent."""


@dataclass(slots=True)
class Fault:
    """An injected answer for the next request to `op`."""

    op: str
    status: int | None = None
    """Status to answer; None answers normally (after `delay`)."""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    after: bool = False
    """Perform the operation first (state changes), then answer `status`."""
    delay: float = 0.0
    """Seconds to wait before answering."""
    reset: bool = False
    """Close the connection with a TCP reset instead of answering."""


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


EXTRA_OPS: dict[str, dict[str, Any]] = {
    "pulls/list": {"method": "GET", "path": "/repos/{owner}/{repo}/pulls", "responses": {}},
}
"""Operations beyond the shared REST subset, answered from state by hand (GitHub's "List pull requests":
`state` and `head=owner:branch` filter; the fork pattern looks a fork's PR up by its head branch)."""


def _compile(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", r"([^/]+)", path) + "$")


class FakeGitHub:
    """The fake API server. Thread-safe; one instance per test."""

    def __init__(self, spec_path: Path | None = None, *, repository: str = "octo-org/demo",
                 token: str | None = None, identity: dict[str, Any] | None = None,
                 user_endpoint: dict[str, Any] | None = None) -> None:
        path = spec_path or SPEC_PATH
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the GitHub REST subset is not beside the repository")
        spec = {**json.loads(path.read_text(encoding="utf-8"))["operations"], **EXTRA_OPS}
        self._ops: dict[str, dict[str, Any]] = spec
        self._routes = [(op["method"], _compile(op["path"]), op_id) for op_id, op in spec.items()]
        self._validators = {op_id: OAS30Validator(op["request_schema"]) for op_id, op in spec.items()
                            if op.get("request_schema")}
        self.repository = repository
        self.token = token
        """When set, requests must carry it (`token X` or `Bearer X`), else 401."""
        self.identity = dict(identity or BOT)
        """Who the token writes as."""
        self.user_endpoint = user_endpoint
        """What `GET /user` answers; None answers 403 as for GITHUB_TOKEN (an app token)."""
        self.comments: dict[int, dict[str, Any]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.pr_files: dict[int, list[dict[str, Any]]] = {}
        self.pulls: list[dict[str, Any]] = []
        """Pull requests `pulls/list` answers (`add_pull`)."""
        self.faults: list[Fault] = []
        self.requests_log: list[Recorded] = []
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        """Listen on 127.0.0.1 at a free port; `base_url` is set."""
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test API ----------------------------------------------------------------------------

    def fail(self, op: str, status: int | None = None, headers: dict[str, str] | None = None,
             body: Any = None, *, times: int = 1, after: bool = False, delay: float = 0.0,
             reset: bool = False) -> None:
        """Queue `times` faults for operation `op` (e.g. `issues/create-comment`)."""
        if op not in self._ops:
            raise KeyError(f"unknown operation {op!r}")
        if status is not None and body is None:
            body = {"message": _REASONS.get(status, "Error"), "documentation_url": DOCS}
        with self._lock:
            self.faults.extend(Fault(op, status, dict(headers or {}), body, after, delay, reset)
                               for _ in range(times))

    def add_comment(self, issue: int, body: str, *, user: dict[str, Any] | None = None) -> int:
        """Seed a comment (by the bot unless `user` is given); returns its id."""
        with self._lock:
            cid: int = self._store_comment(issue, body, user or self.identity)["id"]
            return cid

    def set_pr_files(self, number: int, files: Sequence[Mapping[str, object] | str]) -> None:
        """The PR's files: mappings (`filename`, `status`, optional `previous_filename`; a test may
        give any value) or bare names."""
        rows = [{"filename": f, "status": "modified"} if isinstance(f, str) else dict(f) for f in files]
        with self._lock:
            self.pr_files[number] = rows

    def add_pull(self, number: int, *, head_sha: str, head_owner: str, head_ref: str, head_repo: str,
                 state: str = "open") -> None:
        """A pull request for `pulls/list` (GitHub's pull-request-simple shape, the fields a client reads)."""
        with self._lock:
            self.pulls.append({
                "id": number, "number": number, "state": state, "title": f"PR {number}",
                "url": f"{self.base_url}/repos/{self.repository}/pulls/{number}",
                "html_url": f"https://github.com/{self.repository}/pull/{number}",
                "head": {"label": f"{head_owner}:{head_ref}", "ref": head_ref, "sha": head_sha,
                         "repo": {"full_name": head_repo, "name": head_repo.split("/")[1]}},
                "base": {"label": f"{self.repository.split('/')[0]}:main", "ref": "main", "sha": "2" * 40,
                         "repo": {"full_name": self.repository, "name": self.repository.split("/")[1]}}})

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        """The stored comments of an issue/PR, oldest first."""
        with self._lock:
            return [dict(c) for c in sorted(self.comments.values(), key=lambda c: c["id"])
                    if c["_issue"] == issue]

    def requests_for(self, op: str) -> list[Recorded]:
        """Requests received for one operation id."""
        with self._lock:
            return [r for r in self.requests_log if r.op == op]

    def writes(self) -> list[Recorded]:
        """Every non-GET request received."""
        with self._lock:
            return [r for r in self.requests_log if r.method != "GET"]

    # -- request handling --------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[str, tuple[str, ...]]:
        """Operation id and path parameters for a request."""
        for m, rx, op_id in self._routes:
            if m == method and (match := rx.match(path)):
                return op_id, match.groups()
        return "unknown", ()

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Answer | Fault:
        """Answer one request (called from the server threads)."""
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query)
        op, params = self.route(method, path)
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        with self._lock:
            self.requests_log.append(Recorded(op, method, path, query, headers, body, raw))
            fault = next((f for f in self.faults if f.op == op), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.reset:
            return fault
        if self.token is not None and headers.get("authorization") not in (f"token {self.token}",
                                                                           f"Bearer {self.token}"):
            return _Answer(401, {"message": "Bad credentials", "documentation_url": DOCS})
        if fault is not None and fault.status is not None and not fault.after:
            return _Answer(fault.status, fault.body, fault.headers)
        if path == "/user" and method == "GET":
            if self.user_endpoint is None:
                return _Answer(403, {"message": "Resource not accessible by integration",
                                     "documentation_url": DOCS})
            return _Answer(200, self.user_endpoint)
        if op == "unknown":
            return _Answer(404, {"message": "Not Found", "documentation_url": DOCS})
        if bad_json:
            return _Answer(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        validator = self._validators.get(op)
        if validator is not None:
            errors = sorted(validator.iter_errors(body if body is not None else {}), key=str)
            if errors:
                return _Answer(422, {"message": "Invalid request.", "documentation_url": DOCS, "errors": [
                    {"resource": op, "code": "invalid", "field": ".".join(str(p) for p in e.absolute_path),
                     "message": e.message[:300]} for e in errors[:5]]})
        with self._lock:
            answer = self._dispatch(op, params, query, body)
        if fault is not None and fault.status is not None:
            return _Answer(fault.status, fault.body, fault.headers)
        return answer

    def _dispatch(self, op: str, params: tuple[str, ...], query: dict[str, list[str]],
                  body: Any) -> _Answer:
        owner, repo = params[0], params[1]
        if f"{owner}/{repo}" != self.repository:
            return _Answer(404, {"message": "Not Found", "documentation_url": DOCS})
        if op == "issues/list-comments":
            issue = int(params[2])
            return self._page(self.comments_on(issue), query, default=30,
                              path=f"/repos/{owner}/{repo}/issues/{issue}/comments", public=True)
        if op == "issues/create-comment":
            if len(body["body"]) > COMMENT_LIMIT:
                return _too_long()
            return _Answer(201, self._public(self._store_comment(int(params[2]), body["body"], self.identity)))
        if op in ("issues/update-comment", "issues/delete-comment"):
            comment = self.comments.get(int(params[2]))
            if comment is None:
                return _Answer(404, {"message": "Not Found", "documentation_url": DOCS})
            if op == "issues/delete-comment":
                del self.comments[comment["id"]]
                return _Answer(204, None)
            if len(body["body"]) > COMMENT_LIMIT:
                return _too_long()
            comment["body"] = body["body"]
            comment["updated_at"] = _now()
            return _Answer(200, self._public(comment))
        if op == "checks/create":
            return _Answer(201, self._store_check_run(body))
        if op == "checks/update":
            run = self.check_runs.get(int(params[2]))
            if run is None:
                return _Answer(404, {"message": "Not Found", "documentation_url": DOCS})
            return _Answer(200, self._update_check_run(run, body))
        if op == "pulls/list":
            state = query.get("state", ["open"])[0]
            head = query.get("head", [None])[0]
            rows = [p for p in self.pulls if (state == "all" or p["state"] == state)
                    and (head is None or p["head"]["label"] == head)]
            return self._page(rows, query, default=30, path=f"/repos/{owner}/{repo}/pulls")
        if op == "pulls/list-files":
            files = self.pr_files.get(int(params[2]), [])[:FILES_CAP]
            return self._page(files, query, default=30, path=f"/repos/{owner}/{repo}/pulls/{params[2]}/files")
        example = self._example(op)
        return _Answer(int(example[0]), example[1])

    # -- state helpers -----------------------------------------------------------------------

    def _example(self, op: str) -> tuple[str, Any]:
        responses = self._ops[op]["responses"]
        status = min(s for s in responses if s.startswith("2"))
        text = json.dumps(responses[status].get("example"))
        return status, json.loads(text.replace("https://api.github.com", self.base_url))

    def _store_comment(self, issue: int, body: str, user: dict[str, Any]) -> dict[str, Any]:
        cid = next(self._ids)
        base = f"{self.base_url}/repos/{self.repository}"
        comment = {
            "id": cid, "node_id": f"IC_{cid}", "body": body, "_issue": issue,
            "url": f"{base}/issues/comments/{cid}",
            "html_url": f"https://github.com/{self.repository}/pull/{issue}#issuecomment-{cid}",
            "issue_url": f"{base}/issues/{issue}", "created_at": _now(), "updated_at": _now(),
            "author_association": "NONE",
            "user": {"login": user["login"], "id": user.get("id", 1), "type": user.get("type", "User"),
                     "node_id": "U_1", "url": f"{self.base_url}/users/{user['login']}", "site_admin": False},
        }
        self.comments[cid] = comment
        return comment

    @staticmethod
    def _public(comment: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in comment.items() if not k.startswith("_")}

    def _store_check_run(self, body: dict[str, Any]) -> dict[str, Any]:
        rid = next(self._ids)
        run: dict[str, Any] = self._example("checks/create")[1]
        output = dict(body.get("output") or {})
        annotations = list(output.pop("annotations", []))
        run.update(id=rid, name=body["name"], head_sha=body["head_sha"],
                   status=body.get("status", "queued"), conclusion=body.get("conclusion"),
                   url=f"{self.base_url}/repos/{self.repository}/check-runs/{rid}",
                   output={"title": output.get("title"), "summary": output.get("summary"),
                           "text": output.get("text"), "annotations_count": len(annotations),
                           "annotations_url": f"{self.base_url}/repos/{self.repository}/check-runs/{rid}/annotations"})
        if body.get("conclusion"):
            run["status"] = "completed"
        self.check_runs[rid] = {"response": run, "annotations": annotations, "request": body}
        return run

    def _update_check_run(self, run: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        response = run["response"]
        output = dict(body.get("output") or {})
        run["annotations"].extend(output.pop("annotations", []))
        response["output"].update({k: v for k, v in output.items() if k in ("title", "summary", "text")})
        response["output"]["annotations_count"] = len(run["annotations"])
        for key in ("status", "conclusion", "name"):
            if key in body:
                response[key] = body[key]
        return dict(response)

    def _page(self, rows: list[dict[str, Any]], query: dict[str, list[str]], *, default: int, path: str,
              public: bool = False) -> _Answer:
        per_page = min(int(query.get("per_page", [default])[0]), 100)
        page = max(int(query.get("page", ["1"])[0]), 1)
        last = max((len(rows) + per_page - 1) // per_page, 1)
        chunk = rows[(page - 1) * per_page: page * per_page]
        links = []
        if page < last:
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page=1>; rel="first"')
            links.append(f'<{self.base_url}{path}?per_page={per_page}&page={page - 1}>; rel="prev"')
        headers = {"Link": ", ".join(links)} if links else {}
        return _Answer(200, [self._public(r) if public else dict(r) for r in chunk], headers)

    def check_run_annotations(self) -> list[dict[str, Any]]:
        """Annotations of every stored check run, in order."""
        with self._lock:
            return [a for run in self.check_runs.values() for a in run["annotations"]]

    def iter_check_runs(self) -> Iterator[dict[str, Any]]:
        """The stored check runs: `response`, `annotations`, `request` (the create body)."""
        with self._lock:
            yield from list(self.check_runs.values())


_REASONS = {403: "Forbidden", 404: "Not Found", 422: "Validation Failed", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _too_long() -> _Answer:
    return _Answer(422, {"message": "Validation Failed", "documentation_url": DOCS, "errors": [
        {"resource": "IssueComment", "code": "custom", "field": "body",
         "message": f"body is too long (maximum is {COMMENT_LIMIT} characters)"}]})


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that went away (or a reset we injected) is not a server error


class _Handler(BaseHTTPRequestHandler):
    owner: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.owner.handle(self.command, self.path, headers, raw)
        if isinstance(answer, Fault):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        data = b"" if answer.body is None or answer.status == 204 else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Request-Id", "FAKE:0001")
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve
