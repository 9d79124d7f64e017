"""Rule handles of the checklist gate. The text of each rule lives in `checks/checklist/<name>.md`."""

from __future__ import annotations

from readiness.rules.catalog import rule

MISSING_CHECKLIST = rule("checklist/missing-checklist")
INVALID_CHECKLIST = rule("checklist/invalid-checklist")
UNREADABLE_FILE = rule("checklist/unreadable-file")
MISSING_OWNER = rule("checklist/missing-owner")
MISSING_STATUS = rule("checklist/missing-status")
MISSING_EVIDENCE = rule("checklist/missing-evidence")
FAILING_EVIDENCE = rule("checklist/failing-evidence")
DONE_WITH_FAILING_EVIDENCE = rule("checklist/done-with-failing-evidence")
