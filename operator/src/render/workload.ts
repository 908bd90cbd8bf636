/**
 * One HTTP component: ServiceAccount + Deployment + Service, and, as asked, a
 * HorizontalPodAutoscaler and a PodDisruptionBudget. Every app component is built from this.
 */
import type { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { AutoscalingSpec, BookingPlatform, EnvVar, Resources } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { childName, labels, selectorLabels } from './names.ts';
import { container, podAnnotations, podSpec } from './pod.ts';

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
  /** Singleton: Recreate, so an old and a new pod never run at once. */
  singleton?: boolean;
  volumes?: k8s.Volume[];
  volumeMounts?: k8s.VolumeMount[];
  serviceAnnotations?: Record<string, string>;
}

export function workload(chart: Chart, p: BookingPlatform, facts: Facts, w: WorkloadInput): void {
  const name = childName(p, w.component);
  const meta = { name, labels: labels(p, w.component, w.role) };
  const selector = selectorLabels(p, w.component);

  new k8s.KubeServiceAccount(chart, `${w.component}-sa`, {
    metadata: { ...meta, ...(w.iamRoleArn ? { annotations: { 'eks.amazonaws.com/role-arn': w.iamRoleArn } } : {}) },
    automountServiceAccountToken: false,
  });

  const replicas = w.singleton ? 1 : w.autoscaling ? undefined : (w.replicas ?? 1);
  const annotations = podAnnotations(p, facts, w.connection);
  new k8s.KubeDeployment(chart, `${w.component}-deployment`, {
    metadata: meta,
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: w.singleton
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromString('25%'), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
      template: {
        metadata: { labels: meta.labels, ...(annotations ? { annotations } : {}) },
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
              env: w.env,
              resources: w.resources,
              connection: w.connection,
              volumeMounts: w.volumeMounts,
            }),
          ],
        }),
      },
    },
  });

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
