// Baseline: an ES module that does nothing (what loading any .mjs script costs over `node -e 0`).
