// Baseline: a CommonJS script that does nothing (what loading any .cjs script costs over `node -e 0`).
