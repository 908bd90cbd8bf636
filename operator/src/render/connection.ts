/** Whether a platform's workloads get a connection Secret (its keys: data/connection.ts). */
import type { BookingPlatform } from '../api/types.generated.ts';

/** Whether the platform has any data service, hence a connection Secret for its workloads. */
export function platformHasConnection(p: BookingPlatform): boolean {
  return Boolean(p.spec.database || p.spec.cache || p.spec.uploads?.enabled);
}
