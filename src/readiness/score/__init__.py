"""The readiness scorecard: four pillars scored 1-5 from the checklist and the gates (`rubric`),
the starter checklist (`starter`), badges (`badge`), the organisation roll-up (`rollup`) and their
subcommands (`commands`)."""
