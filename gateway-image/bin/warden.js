#!/usr/bin/env node

// The source tree runs through tsx; the container image runs a prebuilt bundle instead (Dockerfile).
require('tsx/cjs');
require('../src/cli/main.ts').runCli();
