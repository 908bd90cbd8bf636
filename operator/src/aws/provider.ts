/** The AWS SDK provider (`provisioner: sdk`). */
import type { Logger } from 'pino';
import type { DataServices } from '../data/types.ts';

export interface SdkOptions {
  region: string;
  endpoint?: string;
  log: Logger;
}

export function createSdkProvider(_opts: SdkOptions): DataServices | undefined {
  return undefined;
}
