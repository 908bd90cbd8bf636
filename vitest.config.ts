import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files of every project run side by side, this many at once: most integration files spend
 * their time waiting on controllers and timers (node leases, evictions, requeues). More than this
 * only adds contention on 2 cores (a run with 8 had about 5 files' worth of progress at a time,
 * and a test hit its timeout). One number for all projects: projects with different `maxWorkers`
 * would run one after another (vitest groups them).
 */
const WORKERS = 6;
const ARGOCD_HARNESS_TEST = 'cdk8s/argocd/health.test.ts';

export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['operator/src/**/*.test.ts', 'cdk8s/**/*.test.ts', 'charts/**/*.test.ts', 'scripts/**/*.test.ts'],
          // no Go build for unit tests (helm comes from an npm package): this one needs Argo CD's
          // harness, built from Go modules, so it runs with the integration files
          exclude: [...configDefaults.exclude, ARGOCD_HARNESS_TEST],
          maxWorkers: WORKERS,
          // the files share their workers' modules (cdk8s, the renderers, the SDK are loaded once
          // per worker, not once per file: 37 → 22 CPU-seconds for the project); no unit test
          // mocks a module or needs module state of its own
          isolate: false,
          // some spawn helm or node, and share the 2 cores with the rig: generous, never the limit
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // the AWS SDK provider against moto_server (each file starts its own on a free port)
        test: {
          name: 'aws',
          include: ['operator/test/aws/**/*.test.ts'],
          maxWorkers: WORKERS,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // one shared rig (global-setup.ts); files run in parallel on it, each in namespaces of its
        // own, or on a rig of their own (own-rig.ts) when they change what others rely on
        test: {
          name: 'integration',
          include: ['operator/test/integration/**/*.test.ts', ARGOCD_HARNESS_TEST],
          globalSetup: ['operator/test/rig/global-setup.ts'],
          maxWorkers: WORKERS,
          // generous: files share the cores, and some tests start a rig of their own
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
