#!/usr/bin/env node
console.log('unixipc CLI: coming soon');
