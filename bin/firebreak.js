#!/usr/bin/env node
// package.json `bin` entry: runs bin/firebreak.ts through tsx (a runtime dependency).
require('tsx/cjs');
require('./firebreak.ts');
