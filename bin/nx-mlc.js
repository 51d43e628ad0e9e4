#!/usr/bin/env node
'use strict';
// The nx-mlc command line. Runs the compiled TypeScript in dist/ (`npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('nx-mlc: dist/ is missing. Run `npm run build` in ' + path.join(__dirname, '..') + ' first.\n');
  process.exit(1);
}
require(entry).main(process.argv);
