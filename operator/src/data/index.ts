/** Picks the data-service provider for a platform's `provisioner`. */
import type { BookingPlatform } from '../api/types.generated.ts';
import { AckDataServices, type AckLookup, type MasterSecretReader } from './ack.ts';
import type { AckWriter } from './ack-removal.ts';
import type { RenderContext } from '../render/names.ts';
import { ExternalDataServices, type SecretReader } from './external.ts';
import { notReady, wantedServices, type DataObservation, type DataServices } from './types.ts';

export interface ProviderDeps {
  ackLookup: AckLookup;
  /** What the ack provider deletes and annotates through (removal); without it ack cannot remove. */
  ackWriter?: AckWriter;
  /** The operator's cluster identity (part of every AWS identifier). */
  context?: RenderContext;
  readSecret: SecretReader;
  /** The AWS SDK provider, when the operator was started with AWS access. */
  sdk?: DataServices;
  /** ack with credentials mode managed: reads RDS's Secrets Manager secret (absent without AWS access). */
  masterSecrets?: MasterSecretReader;
  /** The clock of the ack removal's waits (tests pass the reconciler's). */
  now?: () => Date;
}

export function dataServicesFor(deps: ProviderDeps): (p: BookingPlatform) => DataServices {
  const ack = new AckDataServices(deps.ackLookup, deps.ackWriter, deps.context, deps.masterSecrets, deps.now);
  const external = new ExternalDataServices(deps.readSecret);
  return (p) => (p.spec.provisioner === 'ack' ? ack : p.spec.provisioner === 'external' ? external : (deps.sdk ?? unavailable));
}

/** Stands in for the sdk provider when the operator has no AWS access configured. */
const unavailable: DataServices = {
  async observe(p: BookingPlatform): Promise<DataObservation> {
    const o: DataObservation = {};
    for (const s of wantedServices(p)) o[s] = notReady('ProvisionerUnavailable', 'provisioner sdk needs AWS access: start the operator with AWS_REGION (and credentials)', true);
    return o;
  },
  // without AWS access nothing can be deleted or confirmed gone: removal waits, it never forgets
  async remove() {
    return { done: false, message: 'provisioner sdk needs AWS access to carry out the deletion policy: start the operator with AWS_REGION (and credentials)' };
  },
};
