/**
 * An operator without AWS settings must not load the AWS SDK (about 75 MiB of its RSS): the
 * security parts and the data layer load operator/src/aws/* on the first call that needs AWS.
 * A fresh node process records every module it resolves (module.registerHooks) while it imports
 * main.ts's module graph and builds the security parts without AWS_REGION.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lazyClientPool } from './security/lazy-aws.ts';

const SRC = dirname(fileURLToPath(import.meta.url));
const url = (rel: string) => pathToFileURL(join(SRC, rel)).href;

const SCRIPT = `
import { registerHooks } from 'node:module';
const resolved = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); resolved.push(r.url); return r; } });
const sdk = () => resolved.filter((u) => u.includes('@aws-sdk'));
await import(${JSON.stringify(url('controller/reconciler.ts'))});
const { securityParts } = await import(${JSON.stringify(url('security/parts.ts'))});
const { configFromEnv } = await import(${JSON.stringify(url('config.ts'))});
await import(${JSON.stringify(url('main.ts'))});
const { pino } = await import('pino');
const parts = securityParts({ config: configFromEnv({}), log: pino({ level: 'silent' }) });
const withoutAws = { resolved: resolved.length, sdk: sdk(), parts: parts.map((p) => p.name) };
// the control: the hook does see the SDK once something loads it
await import(${JSON.stringify(url('aws/clients.ts'))});
console.log(JSON.stringify({ withoutAws, control: sdk().length }));
`;

describe('an operator without AWS settings', () => {
  it('loads no @aws-sdk module with main.ts, the reconciler and the security parts', () => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr.replace(/^.*ExperimentalWarning.*\n?/gm, '').replace(/^\(Use `node --trace-warnings.*\n?/gm, '')).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { withoutAws: { resolved: number; sdk: string[]; parts: string[] }; control: number };
    expect(out.withoutAws.parts).toEqual(['secrets', 'iam', 'adminAuth']);
    expect(out.withoutAws.resolved).toBeGreaterThan(20);
    expect(out.withoutAws.sdk).toEqual([]);
    expect(out.control).toBeGreaterThan(0);
  });
});

describe('lazyClientPool', () => {
  it('loads the clients on the first call: one set per region, as clientPool keeps them', async () => {
    const pool = lazyClientPool('http://127.0.0.1:1');
    const [a, again, b] = await Promise.all([pool('us-east-1'), pool('us-east-1'), pool('eu-west-1')]);
    expect(again).toBe(a);
    expect(b).not.toBe(a);
    expect(await a.secretsManager.config.region()).toBe('us-east-1');
    expect(await b.iam.config.region()).toBe('eu-west-1');
  });
});
