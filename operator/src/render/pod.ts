/**
 * Pod and container specs shared by every workload. All of them satisfy Pod Security "restricted":
 * non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, a read-only
 * root filesystem with a writable /tmp.
 */
import { k8s } from 'cdk8s-plus-28';
import type { BookingPlatform, EnvVar, Resources } from '../api/types.generated.ts';
import { platformHasConnection } from './connection.ts';
import type { Facts } from './facts.ts';
import { CONNECTION_HASH_ANNOTATION, connectionSecretName } from './names.ts';

/** The uid/gid every container runs as (and that owns the WhatsApp access point). */
export const RUN_AS_USER = 1000;

export interface ContainerInput {
  name: string;
  image: string;
  port?: number;
  /** HTTP probe path; TCP probes on the port when absent. */
  healthPath?: string;
  command?: string[];
  env?: EnvVar[];
  resources?: Resources;
  /** Whether the container gets the platform's connection Secret as environment. */
  connection: boolean;
  volumeMounts?: k8s.VolumeMount[];
}

export function container(p: BookingPlatform, c: ContainerInput): k8s.Container {
  const probeAction = c.port === undefined ? undefined : c.healthPath ? { httpGet: { path: c.healthPath, port: k8s.IntOrString.fromString('http') } } : { tcpSocket: { port: k8s.IntOrString.fromString('http') } };
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    ...(c.command ? { command: c.command } : {}),
    ...(c.port !== undefined ? { ports: [{ name: 'http', containerPort: c.port, protocol: 'TCP' }] } : {}),
    env: [...(c.env ?? []).map(toEnvVar)],
    ...(c.connection && platformHasConnection(p) ? { envFrom: [{ secretRef: { name: connectionSecretName(p) } }] } : {}),
    ...(probeAction
      ? {
          startupProbe: { ...probeAction, periodSeconds: 5, failureThreshold: 60 },
          readinessProbe: { ...probeAction, periodSeconds: 10, failureThreshold: 3 },
          livenessProbe: { ...probeAction, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
        }
      : {}),
    resources: toResources(c.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...(c.volumeMounts ?? [])],
  };
}

export interface PodInput {
  serviceAccountName: string;
  containers: k8s.Container[];
  volumes?: k8s.Volume[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  topologySpread?: Record<string, string>;
}

export function podSpec(pod: PodInput): k8s.PodSpec {
  return {
    serviceAccountName: pod.serviceAccountName,
    // IRSA's token is injected by the EKS webhook as its own volume; the API token is not needed.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(pod.restartPolicy ? { restartPolicy: pod.restartPolicy } : {}),
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_USER,
      fsGroup: RUN_AS_USER,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...(pod.topologySpread
      ? {
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: pod.topologySpread } },
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: pod.topologySpread } },
          ],
        }
      : {}),
    containers: pod.containers,
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } }, ...(pod.volumes ?? [])],
  };
}

/** Pod template annotations: the connection hash rolls pods when credentials change. */
export function podAnnotations(p: BookingPlatform, facts: Facts, usesConnection: boolean): Record<string, string> | undefined {
  return usesConnection && platformHasConnection(p) && facts.connectionHash ? { [CONNECTION_HASH_ANNOTATION]: facts.connectionHash } : undefined;
}

/** Pod template annotation of a consumer of the application secrets: a changed value rolls its pods. */
export const APP_SECRETS_HASH_ANNOTATION = 'platform.booking.io/app-secrets-hash';

/** Whether a component (`backend`, `mcp-<name>`, …) gets the application secrets. */
function consumesAppSecrets(facts: Facts, component: string): boolean {
  return Boolean(facts.appSecrets?.consumers.includes(component) && facts.appSecrets.env.length);
}

/** The application secrets as variables of a consumer's container, each from its Secret's key. */
export function appSecretsEnv(facts: Facts, component: string): EnvVar[] {
  if (!consumesAppSecrets(facts, component)) return [];
  return facts.appSecrets!.env.map((e) => ({ name: e.name, valueFrom: { secretKeyRef: { name: e.secretName, key: e.name } } }));
}

export function appSecretsAnnotations(facts: Facts, component: string): Record<string, string> {
  return consumesAppSecrets(facts, component) && facts.appSecrets!.hash ? { [APP_SECRETS_HASH_ANNOTATION]: facts.appSecrets!.hash } : {};
}

function toEnvVar(e: EnvVar): k8s.EnvVar {
  return e.valueFrom ? { name: e.name, valueFrom: e.valueFrom } : { name: e.name, value: e.value ?? '' };
}

function toResources(r: Resources | undefined): k8s.ResourceRequirements | undefined {
  if (!r) return undefined;
  const q = (m?: Record<string, string | number>) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'number' ? k8s.Quantity.fromNumber(v) : k8s.Quantity.fromString(v)])) : undefined;
  return { requests: q(r.requests), limits: q(r.limits) };
}
