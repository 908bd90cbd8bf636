/** Writes every file generated from the schema. `--check` fails (exit 1) when one is stale. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../operator/src/api/generated-files.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;
for (const [path, content] of Object.entries(generatedFiles())) {
  const full = root + path;
  let current = '';
  try {
    current = readFileSync(full, 'utf8');
  } catch {
    /* missing counts as stale */
  }
  if (current === content) continue;
  if (check) {
    console.error(`stale: ${path} (run npm run generate)`);
    stale++;
  } else {
    writeFileSync(full, content);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale ? 1 : 0);
