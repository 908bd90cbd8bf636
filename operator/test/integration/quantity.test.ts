/**
 * The apiserver stores quantities as the fixture table says (and so as canonicalQuantity
 * computes, which the unit test checks against the same table): one server-side dry-run of a Pod
 * with each input as a container's CPU limit (a ResourceList) and as an emptyDir sizeLimit.
 */
import { describe, expect, inject, it } from 'vitest';
import { STORED_QUANTITIES } from '../fixtures/quantities.ts';
import { kubectlOk } from '../rig/kubectl.ts';

const rig = inject('rig');

describe('quantities as the apiserver stores them', () => {
  it('match the table canonicalQuantity is tested against', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'quantities', namespace: 'default' },
      spec: {
        containers: STORED_QUANTITIES.map(([input], i) => ({ name: `c${i}`, image: 'i:1', resources: { limits: { cpu: input } } })),
        volumes: STORED_QUANTITIES.map(([input], i) => ({ name: `v${i}`, emptyDir: { sizeLimit: input } })),
      },
    };
    const stored = JSON.parse(kubectlOk(rig, ['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(pod))).spec;
    const seen = STORED_QUANTITIES.map(([input], i) => [input, stored.volumes[i].emptyDir.sizeLimit, stored.containers[i].resources.limits.cpu]);
    expect(seen).toEqual(STORED_QUANTITIES);
  });
});
