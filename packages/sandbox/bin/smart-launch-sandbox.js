#!/usr/bin/env node
// `npx @smart-launch/sandbox` / `smart-launch-sandbox`: the sandbox CLI (SANDBOX_PORT, SANDBOX_APPS, ...).
// A committed file (not dist/) so installing the workspace links the bin before the first build.
import '../dist/cli.js';
