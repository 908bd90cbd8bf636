/**
 * vitest global setup of the integration project: one rig for the whole run, shared by test files
 * that run in parallel — each in namespaces of its own (see README, "Tests").
 *
 * USE_EXISTING_CLUSTER=true (envtest's convention) runs against $KUBECONFIG instead of starting
 * a control plane; KUBEBUILDER_ASSETS supplies prebuilt binaries. Tests read the rig via
 * `inject('rig')`. The project's CRDs and the ACK test CRDs are installed before any test runs.
 * RIG_SHARED_KUBECONFIG tells the workers which kubeconfig is the shared one (operator-process.ts
 * refuses an operator watching every namespace there). Interrupted, the rig's processes are
 * killed by scripts/rig/processes.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildOperator } from '../../../scripts/build.ts';
import { startRig, type Rig } from '../../../scripts/rig/rig.ts';
import { installCrds } from './kubectl.ts';

export interface RigInfo {
  kubeconfig: string;
  awsEndpoint?: string;
  bin: string;
  external: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    rig: RigInfo;
  }
}

let rig: Rig | undefined;
let bundleDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.USE_EXISTING_CLUSTER === 'true';
  const started = Date.now();
  // the operator processes run the bundle the image ships (a second's build, once per run; a
  // bundle starts in a fifth of the CPU of ~1 000 source modules), from this run's sources
  bundleDir = mkdtempSync(join(tmpdir(), 'booking-operator-dist-'));
  await buildOperator(bundleDir);
  rig = await startRig({
    kubeconfig: external ? (process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config')) : undefined,
    nodes: 3,
    log: (line) => console.log(`[rig] ${line}`),
  });
  const info: RigInfo = { kubeconfig: rig.kubeconfig, awsEndpoint: rig.awsEndpoint, bin: rig.bin, external };
  installCrds(info);
  console.log(`[rig] ready in ${Date.now() - started} ms ${JSON.stringify(rig.timings)}; KUBECONFIG=${rig.kubeconfig}`);
  project.provide('rig', info);
  // the workers are started after this, with this process's environment
  process.env.RIG_SHARED_KUBECONFIG = rig.kubeconfig;
  process.env.BOOKING_OPERATOR_BUNDLE = join(bundleDir, 'cli/main.js');
}

export async function teardown(): Promise<void> {
  await rig?.stop();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
}
