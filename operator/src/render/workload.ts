/**
 * One HTTP component: ServiceAccount + Deployment + Service, and, as asked, a
 * HorizontalPodAutoscaler and a PodDisruptionBudget. Every app component is built from this.
 * A singleton is a StatefulSet of one instead of a Deployment (see `singletonSet`).
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { AutoscalingSpec, BookingPlatform, EnvVar, Resources } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { childName, labels, selectorLabels } from './names.ts';
import { appSecretsAnnotations, appSecretsEnv, container, podAnnotations, podSpec } from './pod.ts';

export interface WorkloadInput {
  component: string;
  role: string;
  image: string;
  port: number;
  healthPath?: string;
  /** Fixed replicas; ignored when autoscaling is set (the HPA owns spec.replicas). */
  replicas?: number;
  autoscaling?: AutoscalingSpec;
  resources?: Resources;
  env?: EnvVar[];
  iamRoleArn?: string;
  connection: boolean;
  /** Singleton: at most one pod, ever — a StatefulSet of one (see `singletonSet`). */
  singleton?: boolean;
  volumes?: k8s.Volume[];
  volumeMounts?: k8s.VolumeMount[];
  serviceAnnotations?: Record<string, string>;
}

/**
 * Pod template annotation naming a managed role: EKS injects credentials (IRSA's token, Pod
 * Identity's) when a pod is created, so pods started before their role existed roll once it does.
 */
export const MANAGED_ROLE_ANNOTATION = 'platform.booking.io/iam-role';

export function workload(chart: Chart, p: BookingPlatform, facts: Facts, w: WorkloadInput): void {
  const name = childName(p, w.component);
  const meta = { name, labels: labels(p, w.component, w.role) };
  const selector = selectorLabels(p, w.component);

  // a role given in the spec wins over a managed one (security/iam); Pod Identity needs no annotation
  const managedRole = w.iamRoleArn ? undefined : facts.roleArns?.[w.component];
  const roleArn = w.iamRoleArn ?? (p.spec.iam?.trust === 'podIdentity' ? undefined : managedRole);
  new k8s.KubeServiceAccount(chart, `${w.component}-sa`, {
    metadata: { ...meta, ...(roleArn ? { annotations: { 'eks.amazonaws.com/role-arn': roleArn } } : {}) },
    automountServiceAccountToken: false,
  });

  const replicas = w.singleton ? 1 : w.autoscaling ? undefined : (w.replicas ?? 1);
  const annotations = { ...podAnnotations(p, facts, w.connection), ...appSecretsAnnotations(facts, w.component), ...(managedRole ? { [MANAGED_ROLE_ANNOTATION]: managedRole } : {}) };
  const template: k8s.PodTemplateSpec = {
    metadata: { labels: meta.labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: podSpec({
      serviceAccountName: name,
      topologySpread: w.singleton ? undefined : selector,
      terminationGracePeriodSeconds: w.singleton ? 30 : 60,
      volumes: w.volumes,
      containers: [
        container(p, {
          name: w.component,
          image: w.image,
          port: w.port,
          healthPath: w.healthPath,
          env: [...(w.env ?? []), ...appSecretsEnv(facts, w.component)],
          resources: w.resources,
          connection: w.connection,
          volumeMounts: w.volumeMounts,
        }),
      ],
    }),
  };
  if (w.singleton) {
    new k8s.KubeStatefulSet(chart, `${w.component}-statefulset`, { metadata: meta, spec: singletonSet(name, selector, template) });
  } else {
    new k8s.KubeDeployment(chart, `${w.component}-deployment`, {
      metadata: meta,
      spec: {
        ...(replicas !== undefined ? { replicas } : {}),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%'), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template,
      },
    });
  }

  new k8s.KubeService(chart, `${w.component}-service`, {
    metadata: { ...meta, ...(w.serviceAnnotations ? { annotations: w.serviceAnnotations } : {}) },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [{ name: 'http', port: w.port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }],
    },
  });

  if (w.autoscaling && !w.singleton) {
    new k8s.KubeHorizontalPodAutoscalerV2(chart, `${w.component}-hpa`, {
      metadata: meta,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: w.autoscaling.minReplicas,
        maxReplicas: w.autoscaling.maxReplicas,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: w.autoscaling.targetCPUUtilizationPercentage } } },
        ],
      },
    });
  }

  const minPods = w.autoscaling ? w.autoscaling.minReplicas : (replicas ?? 0);
  if (!w.singleton && minPods >= 2) {
    new k8s.KubePodDisruptionBudget(chart, `${w.component}-pdb`, {
      metadata: meta,
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
  }
}

/**
 * At most one pod, even when its node is lost. A Deployment (even `Recreate`) replaces a pod as
 * soon as it is marked for deletion: an evicted pod on an unreachable node stays Terminating while
 * its replacement runs elsewhere. A StatefulSet's pod has a fixed name (`<name>-0`), and the
 * controller creates it again only once the old pod object is gone from the apiserver — after the
 * kubelet confirmed it stopped, or after the node was deleted or tainted `out-of-service` (see
 * docs/architecture.md). `Parallel` because with one pod ordering means nothing, and
 * `OrderedReady` would leave a rollout stuck behind a pod that never became Ready
 * (kubernetes/kubernetes#67250); a rolling update of one pod still deletes the old pod and waits
 * until it is gone before creating the new one. `serviceName` is the component's own Service (the
 * API requires one; no per-pod DNS is used). No volumeClaimTemplates: the pod mounts the
 * platform's existing claim, so the session state stays where it was.
 */
function singletonSet(name: string, selector: Record<string, string>, template: k8s.PodTemplateSpec): k8s.StatefulSetSpec {
  return {
    replicas: 1,
    serviceName: name,
    podManagementPolicy: 'Parallel',
    updateStrategy: { type: 'RollingUpdate' },
    revisionHistoryLimit: 5,
    selector: { matchLabels: selector },
    template,
  };
}
