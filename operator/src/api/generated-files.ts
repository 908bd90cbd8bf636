/** Every file generated from the schema, by repository path (pure, so tests can compare). */
import { stringify } from 'yaml';
import { bookingPlatformCRD } from './crd.ts';
import { generateTypes } from './typegen.ts';

export const CRD_PATH = 'crds/platform.booking.io_bookingplatforms.yaml';

export function generatedFiles(): Record<string, string> {
  const crdYaml = '# Generated from operator/src/api/schema.ts by `npm run generate` (scripts/generate.ts). Do not edit.\n' + stringify(bookingPlatformCRD(), { lineWidth: 0 });
  return {
    [CRD_PATH]: crdYaml,
    'charts/booking-operator/crds/platform.booking.io_bookingplatforms.yaml': crdYaml,
    'operator/src/api/types.generated.ts': generateTypes(),
  };
}
