import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { platform, rawPlatform, set, withAdmin, withCache, withDatabase, withIngress, withMcp, withProvisioner, withWhatsapp } from '../../test/fixtures/platform.ts';
import { generatedFiles } from './generated-files.ts';
import { parsePlatform } from './platform.ts';
import type { Schema } from './schema-dsl.ts';
import { rootSchema } from './schema.ts';

const repo = new URL('../../../', import.meta.url);

describe('one source of truth', () => {
  it('every generated file on disk matches the schema (run `npm run generate` when this fails)', () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      expect(readFileSync(new URL(path, repo), 'utf8'), path).toBe(content);
    }
  });

  it('the CRD carries every property, default, bound and CEL rule of the schema', () => {
    const crd = parse(readFileSync(new URL('crds/platform.booking.io_bookingplatforms.yaml', repo), 'utf8'));
    const openapi = crd.spec.versions[0].schema.openAPIV3Schema;
    let rules = 0;
    const walk = (s: Schema, o: any, path: string) => {
      expect(o, path).toBeDefined();
      for (const key of ['type', 'default', 'enum', 'pattern', 'minimum', 'maximum', 'minItems', 'maxItems', 'maxLength'] as const) {
        expect(o[key], `${path}.${key}`).toEqual(s[key]);
      }
      expect((o['x-kubernetes-validations'] ?? []).map((r: any) => r.rule), path).toEqual((s.rules ?? []).map((r) => r.rule));
      rules += s.rules?.length ?? 0;
      for (const [k, child] of Object.entries(s.properties ?? {})) walk(child, o.properties[k], `${path}.${k}`);
      if (s.items) walk(s.items, o.items, `${path}[]`);
    };
    walk(rootSchema, openapi, '');
    expect(rules).toBeGreaterThan(15);
  });

  it('the generated types name every spec section', () => {
    const types = generatedFiles()['operator/src/api/types.generated.ts']!;
    for (const t of ['BackendSpec', 'WhatsappSpec', 'McpServerSpec', 'DatabaseSpec', 'CacheSpec', 'FileSystemSpec', 'IngressSpec', 'BookingPlatformStatus']) {
      expect(types).toContain(`export interface ${t} `);
    }
  });
});

describe('defaults', () => {
  it('are production defaults: backend HPA 2-10 at 70% CPU, /health, port 8000', () => {
    const p = platform('acme');
    expect(p.spec.backend).toMatchObject({
      port: 8000,
      healthPath: '/health',
      autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } },
    });
    expect(p.spec.provisioner).toBe('ack');
    expect(p.spec.networkPolicy.enabled).toBe(true);
  });

  it('default data services safely: Snapshot for databases, Retain for files and uploads', () => {
    const p = platform('acme', withDatabase(), withCache(), withWhatsapp(), set('uploads', {}));
    expect(p.spec.database).toMatchObject({ deletionPolicy: 'Snapshot', multiAZ: true, backupRetentionDays: 7, name: 'booking' });
    expect(p.spec.fileSystem).toMatchObject({ deletionPolicy: 'Retain', encrypted: true, throughputMode: 'elastic' });
    expect(p.spec.uploads).toMatchObject({ enabled: true, deletionPolicy: 'Retain' });
    expect(p.spec.cache).toMatchObject({ engine: 'redis', replicas: 1, transitEncryption: true });
    expect(p.spec.whatsapp).toMatchObject({ enabled: true, port: 60007, authStorage: { size: '1Gi' } });
  });

  it('never overwrite what the user set', () => {
    const p = platform('acme', set('backend.autoscaling', { minReplicas: 3 }));
    expect(p.spec.backend.autoscaling).toEqual({ minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 70 });
  });
});

/** Each class of invalid input, with the field path and the message the apiserver also gives. */
export const INVALID_CASES: Array<{ name: string; raw: Record<string, any>; path: string; message: RegExp }> = [
  { name: 'missing backend image', raw: rawPlatform('acme', set('backend', {})), path: 'spec.backend.image', message: /Required value/ },
  { name: 'unknown provisioner', raw: rawPlatform('acme', withProvisioner('terraform' as never)), path: 'spec.provisioner', message: /Unsupported value: "terraform"/ },
  { name: 'port out of range', raw: rawPlatform('acme', set('backend.port', 70000)), path: 'spec.backend.port', message: /less than or equal to 65535/ },
  { name: 'maxReplicas < minReplicas', raw: rawPlatform('acme', set('backend.autoscaling', { minReplicas: 5, maxReplicas: 2 })), path: 'spec.backend.autoscaling', message: /maxReplicas must be greater than or equal to minReplicas/ },
  { name: 'serverless on a non-Aurora engine', raw: rawPlatform('acme', withDatabase({ serverless: { minCapacity: 0.5, maxCapacity: 2 } })), path: 'spec.database', message: /serverless is only valid with engine aurora-postgresql or aurora-mysql/ },
  { name: 'duplicate MCP server names', raw: rawPlatform('acme', withMcp({ name: 'calendar', image: 'i:1', port: 7001 }, { name: 'calendar', image: 'i:2', port: 7002 })), path: 'spec.mcpServers[1]', message: /Duplicate value/ },
  { name: 'MCP server name not DNS-safe', raw: rawPlatform('acme', withMcp({ name: 'Calendar_1', image: 'i:1', port: 7001 })), path: 'spec.mcpServers[0].name', message: /should match/ },
  { name: 'external without references', raw: rawPlatform('acme', withProvisioner('external'), withDatabase()), path: 'spec', message: /database.external is required with provisioner external/ },
  { name: 'references without external', raw: rawPlatform('acme', withCache({ external: { secretRef: { name: 'r' } } })), path: 'spec', message: /cache.external is required with provisioner external and not allowed otherwise/ },
  { name: 'ack without aws', raw: rawPlatform('acme', set('aws', undefined)), path: 'spec', message: /aws \(region, subnetIds, securityGroupIds\) is required/ },
  { name: 'one subnet only', raw: rawPlatform('acme', set('aws.subnetIds', ['subnet-a1'])), path: 'spec.aws.subnetIds', message: /at least 2 items/ },
  { name: 'adminHost without admin', raw: rawPlatform('acme', withIngress({ adminHost: 'admin.acme.example' })), path: 'spec', message: /ingress.adminHost needs admin/ },
  { name: 'reserved service name', raw: rawPlatform('acme', set('services', [{ name: 'backend', image: 'i:1', port: 80 }])), path: 'spec.services[0]', message: /name is reserved/ },
  { name: 'unknown field', raw: rawPlatform('acme', set('backend.replicaz', 3)), path: 'spec.backend.replicaz', message: /unknown field/ },
  { name: 'bad quantity', raw: rawPlatform('acme', set('backend.resources', { requests: { cpu: 'lots' } })), path: 'spec.backend.resources.requests.cpu', message: /quantity/ },
  { name: 'platform name too long', raw: { ...rawPlatform('acme'), metadata: { name: 'a'.repeat(31), namespace: 'acme' } }, path: '', message: /metadata.name must be at most 30 characters/ },
];

describe('validation', () => {
  it.each(INVALID_CASES)('rejects $name at $path', ({ raw, path, message }) => {
    const result = parsePlatform(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('accepts a full platform', () => {
    const result = parsePlatform(rawPlatform('acme', withDatabase(), withCache(), withWhatsapp(), withAdmin(), withIngress({ adminHost: 'admin.acme.example' })));
    expect(result).toMatchObject({ ok: true });
  });

  it('rejects changes of immutable fields on update, and only those', () => {
    const old = platform('acme', withDatabase());
    const changed = parsePlatform(rawPlatform('acme', withDatabase({ engine: 'mysql', version: '8.0' })), old);
    expect(changed.ok).toBe(false);
    if (!changed.ok) expect(changed.errors).toContainEqual({ path: 'spec.database.engine', message: 'database.engine is immutable' });
    const fine = parsePlatform(rawPlatform('acme', withDatabase({ instanceClass: 'db.r6g.large' })), old);
    expect(fine.ok).toBe(true);
  });
});
