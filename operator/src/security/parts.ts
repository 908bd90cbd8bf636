/**
 * The security parts the operator runs, built once at start from its settings (config.ts). Each
 * part brings its own AWS clients; without AWS access a part that needs it reports so in status.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { secretsPartFor } from './secrets/index.ts';
import { iamPart } from './iam/index.ts';
import { adminAuthPart } from './admin-auth/index.ts';
import type { SecurityPart } from './types.ts';

export interface SecurityDeps {
  config: Config;
  log: Logger;
}

export function securityParts(deps: SecurityDeps): SecurityPart[] {
  void deps;
  const parts: SecurityPart[] = [];
  // each part adds itself here: iam (security/iam/), secrets (security/secrets/), adminAuth (security/admin-auth/)
  parts.push(secretsPartFor(deps));
  parts.push(iamPart(deps));
  parts.push(adminAuthPart(deps));
  return parts;
}
