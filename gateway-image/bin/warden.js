#!/usr/bin/env node

// The source tree runs through tsx; the container image runs a prebuilt bundle instead (Dockerfile).
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`warden: ${err?.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
