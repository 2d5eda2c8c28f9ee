#!/usr/bin/env -S node --max-semi-space-size=2
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import '../dist/src/cli/main.js'
