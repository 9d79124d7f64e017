"""The rule catalog: `checks/<gate>/<name>.md` pages are the single source of rule text."""
