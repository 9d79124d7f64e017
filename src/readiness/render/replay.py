"""The one line that says what replay did (the migrations gate's `replay` summary), for every renderer.

Plain text: the renderers escape it for their medium."""

from __future__ import annotations

from readiness.model import GateResult, Report


def replay_line(report: Report) -> str | None:
    """`Replay: PostgreSQL 15.18 (throwaway server): 2 migrations observed after 48 ...`, or None when the
    migrations gate did not try to replay anything."""
    gate = next((g for g in report.gates if g.gate == "migrations"), None)
    summary = gate.extra.get("replay") if gate is not None else None
    if not isinstance(summary, dict):
        return None
    return "Replay: " + describe(summary)


def describe(s: dict[str, object]) -> str:
    """The summary in words."""
    status = s.get("status")
    if status in ("skipped", "error") or "server_version" not in s:
        what = "not possible" if status == "error" else "skipped"
        return f"{what}: {s.get('reason') or 'no reason given'}; the static verdict stands"
    server = "a throwaway server" if s.get("server") == "throwaway" else "the database-url server"
    observed, history = _int(s.get("observed_migrations")), _int(s.get("history_migrations"))
    after = f" after {history} history migration{'s' if history != 1 else ''}" if history else ""
    text = (f"PostgreSQL {s.get('server_version')} ({server}): {observed} migration{'s' if observed != 1 else ''} "
            f"observed{after}, {_int(s.get('duration_ms')) / 1000:.1f} s")
    failures = _int(s.get("history_failures"))
    text += (f"; {failures} history statement{'s' if failures != 1 else ''} failed, so nothing was concluded there"
             if failures else "; the history replays cleanly")
    if status == "partial":
        text += f"; incomplete: {s.get('reason') or 'the time budget ran out'}"
    return text


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def gate_replay(g: GateResult) -> dict[str, object] | None:
    """The migrations gate's `replay` summary for the JSON report (None for other gates, or none)."""
    summary = g.extra.get("replay")
    return dict(summary) if isinstance(summary, dict) else None
