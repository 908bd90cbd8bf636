import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['operator/src/**/*.test.ts', 'cdk8s/**/*.test.ts', 'charts/**/*.test.ts', 'scripts/**/*.test.ts'],
        },
      },
      {
        // the AWS SDK provider against moto_server (each file starts its own on a free port)
        test: {
          name: 'aws',
          include: ['operator/test/aws/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['operator/test/integration/**/*.test.ts'],
          globalSetup: ['operator/test/rig/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // one control plane, shared: test files run one after another
          fileParallelism: false,
        },
      },
    ],
  },
});
