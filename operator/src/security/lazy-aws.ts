/**
 * The security parts' AWS clients, loaded on the first call that needs them: the AWS SDK is tens
 * of MiB of an operator's memory, and an operator without AWS settings never loads it
 * (operator/src/no-aws-at-start.test.ts). The parts load operator/src/aws/* the same way.
 */
import type { AwsClients } from '../aws/clients.ts';

/** clientPool (aws/clients.ts) behind a dynamic import: one pool, its clients per region. */
export function lazyClientPool(endpoint: string | undefined): (region: string) => Promise<AwsClients> {
  let pool: Promise<(region: string) => AwsClients> | undefined;
  return async (region) => (await (pool ??= import('../aws/clients.ts').then((m) => m.clientPool({ endpoint }))))(region);
}
