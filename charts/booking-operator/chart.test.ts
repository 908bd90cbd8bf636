/** The chart as Helm renders it: real `helm lint` / `helm template`, then checks on the objects. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_DIR, helm, helmTemplate, TEST_CLUSTER_NAME, type K8sObject } from './helm.ts';

/** An owned kind: informers list and watch, server-side apply patches (and creates), prune deletes. */
const OWNED = ['list', 'watch', 'create', 'patch', 'delete'];

/**
 * The namespaced permissions the operator uses, as [apiGroup, resource, verbs] (proved against the
 * apiserver's audit log by operator/test/integration/helm.test.ts).
 */
const NAMESPACED: Array<[string, string, string[]]> = [
  ['platform.booking.io', 'bookingplatforms', ['get', 'list', 'watch', 'patch']],
  ['platform.booking.io', 'bookingplatforms/status', ['patch']],
  ['platform.booking.io', 'bookingplatforms/finalizers', ['update']],
  ['', 'secrets', ['get', 'list', 'watch', 'create', 'patch', 'delete']],
  ...['services', 'serviceaccounts', 'persistentvolumeclaims'].map((r): [string, string, string[]] => ['', r, OWNED]),
  ['', 'events', ['create']],
  ['', 'pods', ['list']],
  ['apps', 'deployments', OWNED],
  ['apps', 'statefulsets', OWNED],
  ['batch', 'jobs', OWNED],
  ['batch', 'cronjobs', OWNED],
  ['autoscaling', 'horizontalpodautoscalers', OWNED],
  ['policy', 'poddisruptionbudgets', OWNED],
  ['networking.k8s.io', 'ingresses', OWNED],
  ['networking.k8s.io', 'networkpolicies', OWNED],
  ['rds.services.k8s.aws', 'dbinstances', OWNED],
  ['rds.services.k8s.aws', 'dbclusters', OWNED],
  ['rds.services.k8s.aws', 'dbsubnetgroups', OWNED],
  ['elasticache.services.k8s.aws', 'replicationgroups', OWNED],
  ['elasticache.services.k8s.aws', 'cachesubnetgroups', OWNED],
  ['efs.services.k8s.aws', 'filesystems', OWNED],
  ['efs.services.k8s.aws', 'mounttargets', OWNED],
  ['efs.services.k8s.aws', 'accesspoints', OWNED],
  ['s3.services.k8s.aws', 'buckets', OWNED],
  ['iam.services.k8s.aws', 'roles', OWNED],
  ['external-secrets.io', 'externalsecrets', OWNED],
];
const CLUSTER_SCOPED: Array<[string, string, string[]]> = [['', 'persistentvolumes', OWNED]];
const LEASES: Array<[string, string, string[]]> = [['coordination.k8s.io', 'leases', ['get', 'create', 'update']]];

/** Rules flattened to sorted "group/resource:verb" grants, so equal grants compare equal. */
function grants(rules: Array<{ apiGroups?: string[]; resources?: string[]; verbs: string[] }>): string[] {
  const out = rules.flatMap((r) => (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))));
  return [...new Set(out)].sort();
}
const expected = (list: Array<[string, string, string[]]>) => grants(list.map(([g, r, verbs]) => ({ apiGroups: [g], resources: [r], verbs })));

const find = (objs: K8sObject[], kind: string, name?: string, namespace?: string) =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name) && (namespace === undefined || o.metadata.namespace === namespace));
const one = (objs: K8sObject[], kind: string, name?: string, namespace?: string) => {
  const found = find(objs, kind, name, namespace);
  expect(found, `exactly one ${kind} ${namespace ?? ''}/${name ?? '*'}`).toHaveLength(1);
  return found[0] as K8sObject;
};
const RBAC_KINDS = ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

describe('helm lint', () => {
  it('passes in strict mode with the default values (plus the required clusterName) and with every option on', () => {
    expect(helm(['lint', CHART_DIR, '--strict', '--set', 'clusterName=prod-eu-1'])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const out = helm([
      'lint', CHART_DIR, '--strict',
      '--set', 'clusterName=prod-eu-1',
      '--set', 'watchNamespaces={a,b}',
      '--set', 'metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.grafanaDashboard.enabled=true',
      '--set', 'serviceAccount.iamRoleArn=arn:aws:iam::123456789012:role/booking-operator',
    ]);
    expect(out).toMatch(/0 chart\(s\) failed/);
  });
});

describe('chart metadata', () => {
  it('is a v2 chart of appVersion 0.1.0 and leaves the generated CRD to crds/', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'booking-operator', appVersion: '0.1.0' });
    const objs = helmTemplate(['--include-crds']);
    expect(one(objs, 'CustomResourceDefinition').metadata.name).toBe('bookingplatforms.platform.booking.io');
    expect(find(helmTemplate(), 'CustomResourceDefinition')).toHaveLength(0);
  });

  it('documents the CRD upgrade step Helm does not do', () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    expect(readme).toMatch(/never upgrades/i);
    expect(readme).toContain('kubectl apply --server-side -f charts/booking-operator/crds/');
    // the CRD step comes right before the upgrade command
    expect(readme).toMatch(/kubectl apply --server-side -f charts\/booking-operator\/crds\/\nhelm upgrade /);
  });
});

describe('RBAC, every namespace watched (default)', () => {
  const objs = helmTemplate();

  it('has no wildcard anywhere', () => {
    const rbac = objs.filter((o) => RBAC_KINDS.includes(o.kind));
    expect(rbac.length).toBeGreaterThan(0);
    expect(JSON.stringify(rbac)).not.toContain('*');
  });

  it('grants exactly the operator’s rules through one ClusterRole bound to its ServiceAccount', () => {
    expect(find(objs, 'ClusterRole')).toHaveLength(1);
    const role = one(objs, 'ClusterRole', 'booking-operator');
    expect(grants(role.rules)).toEqual(expected([...NAMESPACED, ...CLUSTER_SCOPED]));
    const binding = one(objs, 'ClusterRoleBinding', 'booking-operator');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'booking-operator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'booking-operator', namespace: 'booking-operator' }]);
  });

  it('keeps leases in a Role in the release namespace only', () => {
    const roles = find(objs, 'Role');
    expect(roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(['booking-operator/booking-operator-leader-election']);
    expect(grants(roles[0]?.rules)).toEqual(expected(LEASES));
    const binding = one(objs, 'RoleBinding', 'booking-operator-leader-election', 'booking-operator');
    expect(binding.roleRef.name).toBe('booking-operator-leader-election');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'booking-operator', namespace: 'booking-operator' }]);
  });
});

describe('RBAC, some namespaces watched', () => {
  const objs = helmTemplate(['--set', 'watchNamespaces={a,b}']);

  it('has no wildcard anywhere', () => {
    expect(JSON.stringify(objs.filter((o) => RBAC_KINDS.includes(o.kind)))).not.toContain('*');
  });

  it('puts the namespaced rules in a Role per watched namespace', () => {
    for (const ns of ['a', 'b']) {
      expect(grants(one(objs, 'Role', 'booking-operator', ns).rules)).toEqual(expected(NAMESPACED));
      const binding = one(objs, 'RoleBinding', 'booking-operator', ns);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'booking-operator' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'booking-operator', namespace: 'booking-operator' }]);
    }
    expect(find(objs, 'Role', 'booking-operator')).toHaveLength(2);
  });

  it('keeps only cluster-scoped PersistentVolumes in the ClusterRole', () => {
    expect(find(objs, 'ClusterRole')).toHaveLength(1);
    expect(grants(one(objs, 'ClusterRole', 'booking-operator-cluster').rules)).toEqual(expected(CLUSTER_SCOPED));
    expect(one(objs, 'ClusterRoleBinding', 'booking-operator-cluster').roleRef.name).toBe('booking-operator-cluster');
  });

  it('still keeps leases in the release namespace only, and tells the operator what to watch', () => {
    expect(grants(one(objs, 'Role', 'booking-operator-leader-election', 'booking-operator').rules)).toEqual(expected(LEASES));
    const env = one(objs, 'Deployment').spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(env.find((e) => e.name === 'WATCH_NAMESPACES')?.value).toBe('a,b');
  });
});

describe('Deployment', () => {
  const objs = helmTemplate();
  const deploy = one(objs, 'Deployment', 'booking-operator', 'booking-operator');
  const pod = deploy.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries((container.env as Array<{ name: string; value?: string; valueFrom?: unknown }>).map((e) => [e.name, e.value ?? e.valueFrom]));

  it('runs two leader-elected replicas of the pinned image', () => {
    expect(deploy.spec.replicas).toBe(2);
    expect(container.image).toBe('ghcr.io/booking-io/booking-operator:0.1.0');
    // the image's ENTRYPOINT (node, its flags, the bundle) runs; the chart passes the subcommand
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['run']);
    expect(container.workingDir).toBe('/app');
    expect(env.LEADER_ELECT).toBe('true');
    expect(pod.terminationGracePeriodSeconds).toBe(30);
  });

  it('passes its configuration through the environment', () => {
    expect(env.POD_NAME).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(env.POD_NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(env).toMatchObject({ WATCH_NAMESPACES: '', LOG_LEVEL: 'info', AWS_REGION: 'us-east-1', BOOKING_CLUSTER_NAME: TEST_CLUSTER_NAME, METRICS_PORT: '8080', HEALTH_PORT: '8081' });
    expect(env).not.toHaveProperty('AWS_ENDPOINT_URL');
    const custom = one(helmTemplate(['--set', 'aws.endpointUrl=http://127.0.0.1:5000,aws.region=eu-west-1,logLevel=debug']), 'Deployment');
    const customEnv = custom.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(customEnv).toEqual(expect.arrayContaining([
      { name: 'AWS_ENDPOINT_URL', value: 'http://127.0.0.1:5000' },
      { name: 'AWS_REGION', value: 'eu-west-1' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]));
  });

  it('passes the managed roles’ permissions boundary only when set', () => {
    expect(env).not.toHaveProperty('BOOKING_IAM_PERMISSIONS_BOUNDARY');
    const arn = 'arn:aws:iam::123456789012:policy/booking-boundary';
    const custom = one(helmTemplate(['--set', `iam.permissionsBoundaryArn=${arn}`]), 'Deployment');
    expect(custom.spec.template.spec.containers[0].env).toEqual(expect.arrayContaining([{ name: 'BOOKING_IAM_PERMISSIONS_BOUNDARY', value: arn }]));
    expect(() => helmTemplate(['--set', 'iam.permissionsBoundaryArn=arn:aws:iam::123456789012:role/not-a-policy'])).toThrow(/permissionsBoundaryArn/);
  });

  it('meets Pod Security "restricted"', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext.capabilities.add).toBeUndefined();
    expect(pod.hostNetwork ?? false).toBe(false);
    // a read-only root needs a writable /tmp
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes[0]).toMatchObject({ name: 'tmp', emptyDir: {} });
  });

  it('exposes metrics and health ports with probes on /healthz and /readyz', () => {
    expect(container.ports).toEqual([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
  });

  it('has default resources and spreads across zones and nodes with the selector labels', () => {
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    const selector = deploy.spec.selector.matchLabels;
    expect(selector).toEqual({ 'app.kubernetes.io/name': 'booking-operator', 'app.kubernetes.io/instance': 'booking-operator' });
    expect(pod.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
    ]);
    expect(deploy.spec.template.metadata.labels).toMatchObject(selector);
  });

  it('takes scheduling values', () => {
    const d = one(helmTemplate([
      '--set', 'priorityClassName=system-cluster-critical',
      '--set', 'nodeSelector.kubernetes\\.io/os=linux',
      '--set', 'tolerations[0].key=dedicated,tolerations[0].operator=Exists,tolerations[0].effect=NoSchedule',
      '--set', 'podAnnotations.team=booking',
      '--set', 'image.tag=1.2.3,image.pullPolicy=Always',
    ]), 'Deployment');
    const spec = d.spec.template.spec;
    expect(spec.priorityClassName).toBe('system-cluster-critical');
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(d.spec.template.metadata.annotations.team).toBe('booking');
    expect(spec.containers[0].image).toBe('ghcr.io/booking-io/booking-operator:1.2.3');
    expect(spec.containers[0].imagePullPolicy).toBe('Always');
  });
});

describe('PodDisruptionBudget', () => {
  it('allows one pod down when there are several, and is absent with one replica', () => {
    const pdb = one(helmTemplate(), 'PodDisruptionBudget', 'booking-operator', 'booking-operator');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'booking-operator', 'app.kubernetes.io/instance': 'booking-operator' } } });
    expect(find(helmTemplate(['--set', 'replicaCount=1']), 'PodDisruptionBudget')).toHaveLength(0);
  });
});

describe('ServiceAccount', () => {
  it('has no IRSA annotation by default and the role ARN when set', () => {
    expect(one(helmTemplate(), 'ServiceAccount').metadata.annotations).toBeUndefined();
    const arn = 'arn:aws:iam::123456789012:role/booking-operator';
    const sa = one(helmTemplate(['--set', `serviceAccount.iamRoleArn=${arn}`, '--set', 'serviceAccount.annotations.team=booking']), 'ServiceAccount');
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': arn, team: 'booking' });
  });

  it('can use an existing ServiceAccount by name', () => {
    const objs = helmTemplate(['--set', 'serviceAccount.create=false,serviceAccount.name=existing']);
    expect(find(objs, 'ServiceAccount')).toHaveLength(0);
    expect(one(objs, 'Deployment').spec.template.spec.serviceAccountName).toBe('existing');
    expect(one(objs, 'ClusterRoleBinding').subjects[0].name).toBe('existing');
    expect(() => helmTemplate(['--set', 'serviceAccount.create=false'])).toThrow(/serviceAccount.name is required/);
  });
});

describe('metrics', () => {
  const all = ['--set', 'metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true'];

  it('has a metrics Service on port 8080 selecting the operator pods', () => {
    const svc = one(helmTemplate(), 'Service', 'booking-operator-metrics');
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'booking-operator', 'app.kubernetes.io/instance': 'booking-operator' });
  });

  it('renders ServiceMonitor and PrometheusRule only when enabled and the cluster serves monitoring.coreos.com/v1', () => {
    expect(find(helmTemplate(all), 'ServiceMonitor')).toHaveLength(0);
    expect(find(helmTemplate(all), 'PrometheusRule')).toHaveLength(0);
    expect(find(helmTemplate(['--api-versions', 'monitoring.coreos.com/v1']), 'ServiceMonitor')).toHaveLength(0);
    const objs = helmTemplate([...all, '--api-versions', 'monitoring.coreos.com/v1']);
    const sm = one(objs, 'ServiceMonitor', 'booking-operator');
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    const svc = one(objs, 'Service', 'booking-operator-metrics');
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>)) expect(svc.metadata.labels?.[k]).toBe(v);
    one(objs, 'PrometheusRule', 'booking-operator');
  });

  it('alerts on reconcile errors, stalled and not-ready platforms, ALB 5xx and latency', () => {
    const rule = one(helmTemplate([...all, '--api-versions', 'monitoring.coreos.com/v1']), 'PrometheusRule');
    const rules = (rule.spec.groups as Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }>).flatMap((g) => g.rules);
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    expect(byName.BookingOperatorReconcileErrors).toMatchObject({ expr: 'rate(controller_runtime_reconcile_errors_total[5m]) > 0', for: '15m' });
    expect(byName.BookingPlatformStalled?.expr).toBe('booking_operator_platform_condition{type="Stalled",status="True"} == 1');
    expect(byName.BookingPlatformNotReady).toMatchObject({ expr: 'booking_operator_platform_condition{type="Ready",status="False"} == 1', for: '30m' });
    expect(byName.BookingPlatformAlb5xx?.expr).toContain('aws_applicationelb_httpcode_elb_5_xx_count_sum');
    expect(byName.BookingPlatformAlbLatencyHigh?.expr).toContain('aws_applicationelb_target_response_time_average');
    // Prometheus templates survive Helm's templating
    expect(JSON.stringify(rule)).toContain('{{ $labels.name }}');
  });

  it('ships a Grafana dashboard ConfigMap when enabled', () => {
    expect(find(helmTemplate(), 'ConfigMap')).toHaveLength(0);
    const cm = one(helmTemplate(['--set', 'metrics.grafanaDashboard.enabled=true']), 'ConfigMap', 'booking-operator-dashboard');
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(cm.data['booking-operator.json']);
    const exprs: string = JSON.stringify(dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr)));
    for (const metric of ['controller_runtime_reconcile_total', 'controller_runtime_reconcile_errors_total', 'controller_runtime_reconcile_time_seconds_bucket', 'workqueue_depth', 'booking_operator_platform_condition']) {
      expect(exprs).toContain(metric);
    }
    expect(exprs).toContain('histogram_quantile(0.99');
  });
});

describe('values.schema.json', () => {
  it('is draft-07 and closed at the top level', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'));
    for (const key of Object.keys(values)) expect(schema.properties, `values.schema.json documents ${key}`).toHaveProperty(key);
  });

  it.each([
    ['replicaCount=abc', /replicaCount/],
    ['unknownKey=1', /unknownKey/],
    ['image.pullPolicy=Sometimes', /pullPolicy/],
    ['logLevel=verbose', /logLevel/],
    ['aws.region=mars', /region/],
    ['serviceAccount.iamRoleArn=not-an-arn', /iamRoleArn/],
    ['watchNamespaces={Bad_NS}', /watchNamespaces/],
    ['metrics.serviceMonitor.enabled=maybe', /enabled/],
    ['clusterName=Prod_EU', /clusterName/],
  ])('makes helm template fail for --set %s', (value, message) => {
    expect(() => helmTemplate(['--set', value])).toThrow(message);
  });

  it('requires clusterName: no default, helm template without it fails naming it', () => {
    expect(() => helm(['template', 'booking-operator', CHART_DIR])).toThrow(/clusterName/);
    expect(() => helm(['lint', CHART_DIR, '--strict'])).toThrow(/clusterName/);
  });
});
