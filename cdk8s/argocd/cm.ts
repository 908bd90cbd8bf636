/**
 * argocd-cm-health.yaml: the part of argocd-cm that teaches Argo CD BookingPlatform health (and
 * Application health, so app-of-apps sync waves wait). Apply it server-side so only these keys change.
 */
import { readFileSync } from 'node:fs';
import { ARGOCD_NAMESPACE } from './apps.ts';
import type { Manifest } from '../operator.ts';

export const BOOKING_PLATFORM_HEALTH_KEY = 'resource.customizations.health.platform.booking.io_BookingPlatform';
export const APPLICATION_HEALTH_KEY = 'resource.customizations.health.argoproj.io_Application';

export const bookingPlatformHealthLua = (): string => readFileSync(new URL('./health.lua', import.meta.url), 'utf8');
export const applicationHealthLua = (): string => readFileSync(new URL('./application-health.lua', import.meta.url), 'utf8');

export function argocdCmPatch(): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', namespace: ARGOCD_NAMESPACE, labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' } },
    data: {
      [APPLICATION_HEALTH_KEY]: applicationHealthLua(),
      [BOOKING_PLATFORM_HEALTH_KEY]: bookingPlatformHealthLua(),
    },
  };
}
