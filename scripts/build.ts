/**
 * `npm run build`: the operator as the image ships it — one esbuild bundle of the CLI
 * (`dist/cli/main.js`), minified, with every dependency inside, so the image needs no
 * node_modules. Why a bundle: an ES module graph keeps every loaded module's source text in the
 * heap, and @kubernetes/client-node alone loads ~870 modules of generated API the operator never
 * calls; a tree-shaken bundle starts in ~75 MiB RSS instead of ~175 MiB (docs/benchmarks.md).
 * Code reached only by `import()` (the AWS SDK, the sdk provider, the operator itself for `run`)
 * stays in chunks of its own, loaded on first use: `chunksAtStart` tells which chunks `run` loads.
 * Source maps are written beside the chunks (`node --enable-source-maps` maps stack traces).
 */
import { build, type Metafile } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));

/**
 * How the image runs node (the Dockerfile's ENTRYPOINT and ENV; dockerfile.test.ts holds them to
 * these), and so the tests' and the bench's operators. Measured at 100 and 300 platforms
 * (docs/benchmarks.md): V8's size-over-speed heuristics and two malloc arenas (glibc's default is
 * 8 per core, for node's threads) keep peak RSS near the live heap (~31 MiB at 300 platforms).
 * `--max-semi-space-size=1` saved no more and made 100 platforms take twice as long to be Ready.
 */
export const NODE_ARGS = ['--optimize-for-size'];
export const NODE_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2' };

/** Builds the bundle into `outdir` (emptied first); returns esbuild's metafile. */
export async function buildOperator(outdir = join(REPO, 'dist')): Promise<Metafile> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: ['operator/src/cli/main.ts'],
    outbase: 'operator/src',
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    // error and class names stay readable in logs and status (`err.name`, `constructor.name`)
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    chunkNames: 'chunks/[name]-[hash]',
    // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins
    banner: { js: "import { createRequire as __bookingRequire } from 'node:module'; const require = __bookingRequire(import.meta.url);" },
  });
  // ES modules by their own declaration, wherever dist/ is copied to
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  return result.metafile;
}

/**
 * Output files `booking-operator run` loads at start: the CLI's entry, the chunk of the operator
 * (operator/src/main.ts, imported by `run`), and every chunk they import statically, transitively.
 */
export function chunksAtStart(meta: Metafile): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of meta.outputs[file]?.imports ?? []) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  for (const [file, out] of Object.entries(meta.outputs)) if (out.entryPoint === 'operator/src/cli/main.ts' || out.entryPoint === 'operator/src/main.ts') visit(file);
  if (seen.size < 2) throw new Error('chunksAtStart: the CLI entry or the operator chunk is missing from the metafile');
  return [...seen];
}

/** The source files (relative to the repository) inside the given output files. */
export function inputsOf(meta: Metafile, outputs: string[]): string[] {
  return outputs.flatMap((o) => Object.keys(meta.outputs[o]?.inputs ?? {})).map((i) => relative(REPO, join(REPO, i)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? join(REPO, 'dist');
  const meta = await buildOperator(out);
  const bytes = Object.values(meta.outputs).reduce((n, o) => n + (o.bytes ?? 0), 0);
  console.log(`built ${relative(process.cwd(), join(out, 'cli/main.js')) || out} (${Object.keys(meta.outputs).length} files, ${(bytes / 1048576).toFixed(1)} MiB with source maps)`);
}
