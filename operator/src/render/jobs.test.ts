import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../test/fixtures/objects.ts';
import { platform, set, withDatabase, type Modifier } from '../../test/fixtures/platform.ts';
import { renderPlatform } from './index.ts';

describe('session cleanup and migrations', () => {
  const withJobs = [withDatabase(), set('sessionCleanup', { command: ['python', '-m', 'app.jobs.cleanup_sessions'] }), set('migrations', { command: ['alembic', 'upgrade', 'head'] })];

  it('cleans sessions every 6 hours in the backend image, never overlapping', () => {
    const cron = find(renderPlatform(platform('acme', ...withJobs)), 'CronJob', 'acme-session-cleanup');
    expect(cron.spec).toMatchObject({ schedule: '0 */6 * * *', concurrencyPolicy: 'Forbid' });
    const c = cron.spec.jobTemplate.spec.template.spec.containers[0];
    expect(c).toMatchObject({ image: 'registry.example/backend:1.0.0', command: ['python', '-m', 'app.jobs.cleanup_sessions'], envFrom: [{ secretRef: { name: 'acme-connection' } }] });
  });

  it('names the migrations Job by what it runs, so a new image migrates again and the same never reruns', () => {
    const jobs = (image: string) => ofKind(renderPlatform(platform('acme', ...withJobs, set('backend.image', image))), 'Job');
    const [a] = jobs('b:1');
    expect(a.metadata.name).toMatch(/^acme-migrate-[0-9a-f]{8}$/);
    expect(a.spec.template.spec.restartPolicy).toBe('Never');
    expect(a.spec.template.spec.containers[0].command).toEqual(['alembic', 'upgrade', 'head']);
    expect(jobs('b:1')[0].metadata.name).toBe(a.metadata.name);
    expect(jobs('b:2')[0].metadata.name).not.toBe(a.metadata.name);
  });

  it('names the migrations Job by its whole spec: a Job is never asked to change (its template is immutable), a new spec is a new Job', () => {
    const job = (facts: { connectionHash?: string }, ...mods: Modifier[]) => ofKind(renderPlatform(platform('acme', ...withJobs, ...mods), facts), 'Job')[0];
    const base = job({ connectionHash: 'c1' });
    const variants = [
      job({ connectionHash: 'c2' }), // the connection changed (a rotated password)
      job({ connectionHash: 'c1' }, set('backend.resources', { requests: { cpu: '1', memory: '2Gi' } })),
      job({ connectionHash: 'c1' }, set('environment', 'staging')), // a label of the pod template
      job({ connectionHash: 'c1' }, set('migrations', { command: ['alembic', 'upgrade', 'head'], backoffLimit: 5 })),
    ];
    for (const v of variants) {
      expect(JSON.stringify(v.spec)).not.toBe(JSON.stringify(base.spec));
      expect(v.metadata.name).not.toBe(base.metadata.name);
    }
    expect(new Set(variants.map((v) => v.metadata.name)).size).toBe(variants.length);
    // the same input: the same name and the same spec (the apply is a no-op, the Job never reruns)
    const again = job({ connectionHash: 'c1' });
    expect(again.metadata.name).toBe(base.metadata.name);
    expect(again.spec).toEqual(base.spec);
  });
});
