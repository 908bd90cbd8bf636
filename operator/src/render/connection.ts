/** What the connection Secret holds for a platform (the keys workloads may rely on). */
import type { BookingPlatform } from '../api/types.generated.ts';

/** Whether the platform has any data service, hence a connection Secret for its workloads. */
export function platformHasConnection(p: BookingPlatform): boolean {
  return Boolean(p.spec.database || p.spec.cache || p.spec.uploads?.enabled);
}

/** Keys of the connection Secret, by data service. */
export const CONNECTION_KEYS = {
  database: ['DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'],
  cache: ['REDIS_URL'],
  uploads: ['UPLOADS_BUCKET', 'AWS_REGION'],
} as const;
