import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INVALID_CASES } from '../../test/fixtures/invalid.ts';
import { platform, rawPlatform, set, withAdmin, withCache, withDatabase, withIngress, withWhatsapp } from '../../test/fixtures/platform.ts';
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

  it('give MCP servers and further services production resources, so none runs BestEffort and an HPA can scale', () => {
    const p = platform('acme', set('mcpServers', [{ name: 'calendar', image: 'i:1', port: 7001 }]), set('services', [{ name: 'chatbot', image: 'i:1', port: 8000, autoscaling: {} }]));
    expect(p.spec.mcpServers![0]!.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } });
    expect(p.spec.services![0]!.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } });
    expect(parsePlatform(rawPlatform('acme', set('services', [{ name: 'chatbot', image: 'i:1', port: 8000, autoscaling: {} }])))).toMatchObject({ ok: true });
  });

  it('never overwrite what the user set', () => {
    const p = platform('acme', set('backend.autoscaling', { minReplicas: 3 }));
    expect(p.spec.backend.autoscaling).toEqual({ minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 70 });
  });
});

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
