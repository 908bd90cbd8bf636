#!/usr/bin/env node
// Runs the compiled CLI when built (the image), otherwise the TypeScript sources (Node 22 strips types).
import { existsSync } from 'node:fs';
const built = new URL('../dist/cli/main.js', import.meta.url);
const { main } = await import(existsSync(built) ? built.href : new URL('../operator/src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
