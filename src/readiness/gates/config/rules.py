"""Rule handles of the config gate (the text of each rule is its page under checks/config/)."""

from __future__ import annotations

from readiness.rules.catalog import rule

SCHEMA_VIOLATION = rule("config/schema-violation")
INVALID_SCHEMA = rule("config/invalid-schema")
PARSE_ERROR = rule("config/parse-error")
DUPLICATE_KEY = rule("config/duplicate-key")
ENVIRONMENT_KEY_DRIFT = rule("config/environment-key-drift")
ENVIRONMENT_TYPE_DRIFT = rule("config/environment-type-drift")
ENV_MISSING_REQUIRED = rule("config/env-missing-required")
ENV_UNKNOWN_VARIABLE = rule("config/env-unknown-variable")
ENV_DEPRECATED_VARIABLE = rule("config/env-deprecated-variable")
ENV_INVALID_VALUE = rule("config/env-invalid-value")
PLAINTEXT_SECRET = rule("config/plaintext-secret")
UNREADABLE_FILE = rule("config/unreadable-file")
UNSUPPORTED_SCHEMA = rule("config/unsupported-schema")
COMMITTED_CREDENTIAL = rule("config/committed-credential")
