/** Properties every rendered object and pod must have, for every example. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { podSpecs } from '../../test/fixtures/objects.ts';
import { EXAMPLE_FILES, example } from '../../test/fixtures/platform.ts';
import { renderPlatform } from './index.ts';

describe.each(EXAMPLE_FILES)('%s', (file) => {
  const p = example(file);
  const objects = renderPlatform(p, { fileSystemId: 'fs-0123', accessPointId: 'fsap-0456', connectionHash: 'h' });

  it('renders the same objects as the reviewed snapshot', async () => {
    await expect(objects.map((o) => stringify(o)).join('---\n')).toMatchFileSnapshot(`__snapshots__/${file}`);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(renderPlatform(p, { fileSystemId: 'fs-0123', accessPointId: 'fsap-0456', connectionHash: 'h' }))).toBe(JSON.stringify(objects));
  });

  it('labels every object with the platform, environment and manager, in the platform namespace', () => {
    for (const o of objects) {
      expect(o.metadata.labels, `${o.kind}/${o.metadata.name}`).toMatchObject({
        'app.kubernetes.io/managed-by': 'booking-operator',
        'app.kubernetes.io/instance': p.metadata.name,
        'platform.booking.io/name': p.metadata.name,
        'platform.booking.io/environment': p.spec.environment,
      });
      if (o.kind !== 'PersistentVolume') expect(o.metadata.namespace).toBe(p.metadata.namespace);
      expect(JSON.stringify(o.metadata.labels)).not.toContain('cdk8s.io');
    }
  });

  it('has unique kind/name pairs and names that fit Kubernetes limits', () => {
    const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const o of objects) expect(o.metadata.name.length, o.metadata.name).toBeLessThanOrEqual(63);
  });

  it('runs every pod under Pod Security "restricted"', () => {
    const pods = podSpecs(objects);
    expect(pods.length).toBeGreaterThan(0);
    for (const { owner, spec } of pods) {
      expect(spec.securityContext, owner).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.hostNetwork ?? false, owner).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext, `${owner} ${c.name}`).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        for (const v of spec.volumes ?? []) expect(v.hostPath, owner).toBeUndefined();
      }
    }
  });

  it('requests CPU and memory for every container (none runs BestEffort), and caps its memory', () => {
    for (const { owner, spec } of podSpecs(objects)) {
      for (const c of spec.containers) {
        expect(Object.keys(c.resources?.requests ?? {}), `${owner} ${c.name}`).toEqual(expect.arrayContaining(['cpu', 'memory']));
        expect(c.resources.limits?.memory, `${owner} ${c.name}`).toBeDefined();
      }
    }
  });

  it('autoscales only workloads whose containers request CPU (the HPA measures utilization of the request)', () => {
    for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler') as any[]) {
      const target = objects.find((o) => o.kind === hpa.spec.scaleTargetRef.kind && o.metadata.name === hpa.spec.scaleTargetRef.name) as any;
      for (const c of target.spec.template.spec.containers) expect(c.resources.requests.cpu, `${hpa.metadata.name} ${c.name}`).toBeDefined();
    }
  });

  it('never carries a password', () => {
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/change-me-locally/);
    expect(text).not.toMatch(/"password"\s*:\s*"/i);
  });
});
