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

  describe('reads YAML as kubectl apply does and checks what the apiserver checks', () => {
    const doc = (spec: string, meta = '  name: shop\n  namespace: shop\n') => `apiVersion: platform.booking.io/v1alpha1\nkind: BookingPlatform\nmetadata:\n${meta}spec:\n  provisioner: external\n  backend:\n    image: b:1\n${spec}`;
    const validate = (text: string) => cli(['validate', '-f', 'x'], () => text);
    const render = (text: string) => JSON.parse(cli(['render', '-f', 'x', '-o', 'json'], () => text).stdout).items as any[];

    it('YAML 1.1 booleans, the last of duplicate keys, merge keys, Go octals; timestamps stay strings', () => {
      expect(validate(doc('  paused: yes\n'))).toMatchObject({ code: 0 });
      expect(validate(doc('  environment: on\n'))).toMatchObject({ code: 1, stderr: 'x: spec.environment: must be of type string\n' });
      expect(validate(doc('  environment: a\n  environment: 2001-12-14\n'))).toMatchObject({ code: 0 });
      const merged = render(doc('  admin: &a {image: a:1, port: 81}\n  services: [{<<: *a, name: chat}]\n')).find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-chat');
      expect(merged.spec.template.spec.containers[0].ports[0].containerPort).toBe(81);
      const octal = render(doc('  admin: {image: a:1, port: 0o17}\n')).find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-admin');
      expect(octal.spec.template.spec.containers[0].ports[0].containerPort).toBe(15);
    });

    it('a null section: dropped where a default exists, an error where none does', () => {
      expect(validate(doc('  networkPolicy:\n  paused: ~\n'))).toMatchObject({ code: 0 });
      expect(validate(doc('  whatsapp:\n'))).toMatchObject({ code: 1, stderr: 'x: spec.whatsapp: must be of type object\n' });
    });

    it('unknown fields, __proto__ and constructor included; metadata as the apiserver checks it', () => {
      expect(validate(doc('  __proto__: {paused: true}\n  constructor: x\n')).stderr).toBe('x: spec.__proto__: unknown field "__proto__"\nx: spec.constructor: unknown field "constructor"\n');
      expect(validate(doc('', '  name: shop\n  namespace: Shop_EU\n')).stderr).toMatch(/^x: metadata.namespace: Invalid value: "Shop_EU"/);
      expect(validate(doc('', '  name: shop\n  namespace: shop\n  labels: {team: [a]}\n  owner: me\n')).stderr.split('\n')).toEqual(['x: metadata.owner: unknown field "owner"', 'x: metadata.labels[team]: must be of type string', '']);
      expect(validate(doc('', '  name: 9shop\n')).stderr).toContain('metadata.name must be a DNS-1035 label');
    });

    it('a misspelled kind is an error, even next to a valid platform; other kinds are skipped', () => {
      const secret = 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\n';
      expect(validate(`${secret}---\n${doc('')}`)).toMatchObject({ code: 0 });
      const r = validate(`${doc('')}---\n${doc('').replace('kind: BookingPlatform', 'kind: BookingPlatfrom')}`);
      expect(r).toMatchObject({ code: 1, stderr: 'x: kind: document 2: Unsupported value: "BookingPlatfrom": did you mean BookingPlatform?\n' });
      expect(validate(`${doc('')}---\napiVersion: v1\nmetadata: {name: x}\n`)).toMatchObject({ code: 1, stderr: 'x: kind: document 2: Required value: kind is missing\n' });
    });

    it('an alias bomb or an undefined alias is one line, no stack trace, from the real binary', () => {
      const bomb = `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`;
      for (const [text, message] of [[bomb, 'YAML: Excessive alias count indicates a resource exhaustion attack'], [doc('  environment: *nowhere\n'), 'YAML: Unresolved alias (the anchor must be set before the alias): nowhere']]) {
        const r = spawnSync(process.execPath, [BIN, 'validate', '-f', '-'], { input: text! });
        expect(r.status).toBe(1);
        expect(r.stderr.toString()).toBe(`-: ${message}\n`);
      }
    });

    it('enabled: false sections need no image, port or command', () => {
      expect(validate(doc('  whatsapp: {enabled: false}\n  mcpServers: [{name: llm, enabled: false}]\n  services: [{name: bot, enabled: false}]\n  sessionCleanup: {enabled: false}\n'))).toMatchObject({ code: 0, stderr: '' });
    });
  });

  it('reports YAML syntax errors and usage errors', () => {
    expect(cli(['validate', '-f', 'x'], () => 'spec: [')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^x: YAML: /) });
    expect(cli(['validate'], () => '')).toMatchObject({ code: 2, stderr: expect.stringContaining('missing -f FILE') });
    expect(cli(['render', '-f', 'nope.yaml'], () => { throw new Error('ENOENT: no such file'); })).toMatchObject({ code: 1, stderr: 'nope.yaml: ENOENT: no such file\n' });
  });
});
