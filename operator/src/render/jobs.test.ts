import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../test/fixtures/objects.ts';
import { platform, set, withDatabase } from '../../test/fixtures/platform.ts';
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
});
