import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { EXAMPLE_FILES, EXAMPLES_DIR } from '../../test/fixtures/platform.ts';
import { cli } from './main.ts';

const read = (file: string) => readFileSync(new URL(file, EXAMPLES_DIR), 'utf8');
const BIN = fileURLToPath(new URL('../../../bin/booking-operator.js', import.meta.url));

describe('render', () => {
  it.each(EXAMPLE_FILES)('%s: -o json prints one v1 List of every object', (file) => {
    const r = cli(['render', '-f', file, '-o', 'json'], read);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items.length).toBeGreaterThan(5);
    expect(list.items.map((o: any) => o.kind)).toContain('Deployment');
  });

  it('-o yaml (the default) prints the same objects as YAML documents', () => {
    const yaml = cli(['render', '-f', 'x'], () => read('production-postgres.yaml'));
    const json = cli(['render', '-f', 'x', '-o', 'json'], () => read('production-postgres.yaml'));
    expect(parseAllDocuments(yaml.stdout).map((d) => d.toJS())).toEqual(JSON.parse(json.stdout).items);
  });

  it('--cluster-name sets the cluster identity in AWS identifiers and tags (default "default"); a bad one is a usage error', () => {
    const render = (...flags: string[]) => JSON.parse(cli(['render', '-f', 'x', '-o', 'json', ...flags], () => read('production-postgres.yaml')).stdout).items as any[];
    const db = (items: any[]) => items.find((o) => o.kind === 'DBInstance');
    const prod = db(render('--cluster-name', 'prod-eu'));
    expect(prod.spec.tags).toContainEqual({ key: 'booking.io/cluster', value: 'prod-eu' });
    expect(db(render()).spec.tags).toContainEqual({ key: 'booking.io/cluster', value: 'default' });
    expect(prod.spec.dbInstanceIdentifier).not.toBe(db(render()).spec.dbInstanceIdentifier);
    const bad = cli(['render', '-f', 'x', '--cluster-name', 'Prod_EU'], () => read('production-postgres.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cluster-name must be a DNS label');
  });

  it('reads stdin with -f - from the real binary', () => {
    const out = execFileSync(process.execPath, [BIN, 'render', '-f', '-', '-o', 'json'], { input: read('sdk.yaml') }).toString();
    expect(JSON.parse(out).items.some((o: any) => o.metadata.name === 'delta-backend')).toBe(true);
  });
});

describe('validate', () => {
  it('accepts every example', () => {
    for (const file of EXAMPLE_FILES) expect(cli(['validate', '-f', file], read)).toMatchObject({ code: 0, stderr: '' });
  });

  it('exits non-zero with one line per problem naming the field path', () => {
    const bad = read('production-postgres.yaml')
      .replace('maxReplicas: 10', 'maxReplicas: 1')
      .replace('engine: postgres', 'engine: oracle')
      .replace('port: 60007', 'port: 0');
    const r = spawnSync(process.execPath, [BIN, 'validate', '-f', '-'], { input: bad });
    expect(r.status).toBe(1);
    expect(r.stderr.toString().trim().split('\n')).toEqual([
      '-: spec.backend.autoscaling: maxReplicas must be greater than or equal to minReplicas',
      '-: spec.whatsapp.port: should be greater than or equal to 1',
      '-: spec.database.engine: Unsupported value: "oracle": supported values: "postgres", "mysql", "aurora-postgresql", "aurora-mysql"',
    ]);
  });

  it('reports YAML syntax errors and usage errors', () => {
    expect(cli(['validate', '-f', 'x'], () => 'spec: [')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^x: YAML: /) });
    expect(cli(['validate'], () => '')).toMatchObject({ code: 2, stderr: expect.stringContaining('missing -f FILE') });
    expect(cli(['render', '-f', 'nope.yaml'], () => { throw new Error('ENOENT: no such file'); })).toMatchObject({ code: 1, stderr: 'nope.yaml: ENOENT: no such file\n' });
  });
});
