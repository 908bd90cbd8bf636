/** The image recipe (Dockerfile at the repo root), parsed: what it must promise the chart and PSS. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_ARGS, NODE_ENV } from '../../scripts/build.ts';
import { REPO_ROOT, helmTemplate } from './helm.ts';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (current && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
    } else {
      logical.push(current + line);
      current = '';
    }
  }
  return logical.map((l) => {
    const [op = '', ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

/** Stages with FROM resolved against the global ARG defaults. */
function stages(text: string): Stage[] {
  const globalArgs: Record<string, string> = {};
  const out: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.op === 'ARG' && out.length === 0) {
      const [k, v = ''] = ins.args.split('=');
      if (k) globalArgs[k] = v;
    } else if (ins.op === 'FROM') {
      const [image = '', as, name] = ins.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      const from = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => globalArgs[(a ?? b) as string] ?? '');
      out.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), body: [] });
    } else if (out.length) {
      out[out.length - 1]?.body.push(ins);
    }
  }
  return out;
}

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const all = stages(dockerfile);
const final = all[all.length - 1] as Stage;
const runs = (s: Stage) => s.body.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
const last = (s: Stage, op: string) => s.body.filter((i) => i.op === op).at(-1)?.args;

describe('Dockerfile', () => {
  it('builds on Node 22 with the lockfile: npm ci, then npm run build', () => {
    const build = all.find((s) => s.name === 'build');
    expect(build, 'a stage named build').toBeDefined();
    expect(build?.from).toMatch(/^node:22-bookworm-slim$/);
    expect(runs(build as Stage)).toMatch(/npm ci\b/);
    expect(runs(build as Stage)).toMatch(/npm run build/);
  });

  it('ships the bundle alone: no node_modules in the image (dist.test.ts runs it so)', () => {
    expect(all.filter((s) => /npm ci --omit=dev/.test(runs(s)))).toEqual([]);
    const copies = final.body.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies.filter((c) => /node_modules/.test(c))).toEqual([]);
    expect(copies).toContainEqual(expect.stringMatching(/--from=build\b.*\/app\/dist/));
    expect(copies).toContainEqual(expect.stringMatching(/package\.json/));
    expect(copies).toContainEqual(expect.stringMatching(/\bcrds\b/));
    // the build stage bundles with the project's own build script
    const build = all.find((s) => s.name === 'build') as Stage;
    expect(build.body.filter((i) => i.op === 'COPY').map((i) => i.args)).toContainEqual(expect.stringMatching(/scripts\/build\.ts/));
  });

  it('runs on distroless Node 22 as a non-root user', () => {
    expect(final.from).toBe('gcr.io/distroless/nodejs22-debian12:nonroot');
    const user = last(final, 'USER');
    expect(user).toBe('65532:65532');
    expect(user?.split(':')[0]).not.toMatch(/^(0|root)$/);
  });

  it('starts node directly, with no shell (distroless has none)', () => {
    const entrypoint = JSON.parse(last(final, 'ENTRYPOINT') ?? 'null');
    // node's flags are the measured ones the tests and the bench run with (scripts/build.ts)
    expect(entrypoint).toEqual(['/nodejs/bin/node', ...NODE_ARGS, 'dist/cli/main.js']);
    expect(JSON.parse(last(final, 'CMD') ?? 'null')).toEqual(['run']);
    for (const op of ['ENTRYPOINT', 'CMD']) {
      expect(last(final, op), `${op} in exec (JSON) form`).toMatch(/^\[/);
      expect(last(final, op)).not.toMatch(/\b(sh|bash)\b/);
    }
    expect(final.body.filter((i) => i.op === 'RUN'), 'no RUN in the distroless stage').toEqual([]);
  });

  it('is run by the chart through its ENTRYPOINT, in /app, with the memory settings the bench measured', () => {
    const container = helmTemplate().find((o) => o.kind === 'Deployment')?.spec.template.spec.containers[0];
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['run']);
    expect(last(final, 'WORKDIR')).toBe(container.workingDir);
    const env = final.body.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    for (const [k, v] of Object.entries(NODE_ENV)) expect(env).toMatch(new RegExp(`\\b${k}=${v}\\b`));
    // node on the PATH too, for `kubectl exec … node dist/cli/main.js render …`
    const path = /PATH=(\S+)/.exec(env)?.[1] ?? '';
    expect(path.split(':')).toContain('/nodejs/bin');
  });

  it('carries OCI labels', () => {
    const labels = final.body.filter((i) => i.op === 'LABEL').map((i) => i.args).join(' ');
    for (const key of ['title', 'description', 'source', 'version', 'revision', 'licenses']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
  });

  it('has a .dockerignore that keeps node_modules and dist out of the context', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignore).toContain('**');
    expect(ignore.filter((l) => l.startsWith('!') && /node_modules|dist|\.git/.test(l))).toEqual([]);
    // everything the Dockerfile copies from the context is let back in
    for (const path of ['package.json', 'package-lock.json', 'scripts/build.ts', 'operator/src/**', 'crds/**']) expect(ignore).toContain(`!${path}`);
  });
});
