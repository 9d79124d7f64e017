"""Rule handles of the docs gate. The text of each rule lives in `checks/docs/<name>.md`."""

from __future__ import annotations

from readiness.rules.catalog import rule

MISSING_DOCUMENT = rule("docs/missing-document")
UNREADABLE_FILE = rule("docs/unreadable-file")
INVALID_FRONT_MATTER = rule("docs/invalid-front-matter")
BROKEN_LINK = rule("docs/broken-link")

ADR_FILE_NAME = rule("docs/adr-file-name")
ADR_DUPLICATE_NUMBER = rule("docs/adr-duplicate-number")
ADR_NUMBER_GAP = rule("docs/adr-number-gap")
ADR_MISSING_TITLE = rule("docs/adr-missing-title")
ADR_MISSING_STATUS = rule("docs/adr-missing-status")
ADR_UNKNOWN_STATUS = rule("docs/adr-unknown-status")
ADR_MISSING_SUCCESSOR = rule("docs/adr-missing-successor")
ADR_MISSING_DATE = rule("docs/adr-missing-date")
ADR_MISSING_SECTION = rule("docs/adr-missing-section")
ADR_UNFILLED_TEMPLATE = rule("docs/adr-unfilled-template")

RUNBOOK_PLACEHOLDER = rule("docs/runbook-placeholder")
RUNBOOK_MISSING_SECTION = rule("docs/runbook-missing-section")

ALERT_WITHOUT_RUNBOOK = rule("docs/alert-without-runbook")
ALERT_RUNBOOK_NOT_FOUND = rule("docs/alert-runbook-not-found")
ALERT_RUNBOOK_ANCHOR_NOT_FOUND = rule("docs/alert-runbook-anchor-not-found")
ALERT_RUNBOOK_UNVERIFIED = rule("docs/alert-runbook-unverified")
INVALID_ALERT_RULES = rule("docs/invalid-alert-rules")

CHANGE_WITHOUT_DOCS = rule("docs/change-without-docs")
RUNBOOK_NOT_ACTIONABLE = rule("docs/runbook-not-actionable")
