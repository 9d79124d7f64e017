"""Rule handles of the deps gate (the text lives in checks/deps/*.md)."""

from __future__ import annotations

from readiness.rules.catalog import rule

KNOWN_VULNERABILITY = rule("deps/known-vulnerability")
UNPINNED_REQUIREMENT = rule("deps/unpinned-requirement")
DIRECT_REFERENCE = rule("deps/direct-reference")
MISSING_HASHES = rule("deps/missing-hashes")
INVALID_REQUIREMENT = rule("deps/invalid-requirement")
STALE_LOCKFILE = rule("deps/stale-lockfile")
UNREADABLE_FILE = rule("deps/unreadable-file")
STALE_ADVISORY_DATABASE = rule("deps/stale-advisory-database")
