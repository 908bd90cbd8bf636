/**
 * The bench's platform, one home for both tools: the BookingPlatform the operator is given, and
 * the kro ResourceGraphDefinition generated from what `render` makes of that same platform, so both
 * tools create the same objects (names, labels, specs) for an instance of the same name.
 */
import { parsePlatform } from '../../operator/src/api/platform.ts';
import { renderPlatform } from '../../operator/src/render/index.ts';

export const BACKEND_IMAGE = 'registry.example/backend:1.0.0';
/** Children of every bench platform carry this label (both tools): counted to see them applied. */
export const CHILD_SELECTOR = 'app.kubernetes.io/part-of=booking-platform';
/** The kinds a bench platform's children are of, for `kubectl get`. */
export const CHILD_KINDS = 'serviceaccounts,services,deployments,horizontalpodautoscalers,networkpolicies';

export function benchPlatform(name: string, namespace: string, image = BACKEND_IMAGE) {
  return {
    apiVersion: 'platform.booking.io/v1alpha1',
    kind: 'BookingPlatform',
    metadata: { name, namespace },
    spec: {
      environment: 'bench',
      provisioner: 'external',
      backend: { image, autoscaling: { minReplicas: 1, maxReplicas: 2 }, resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '32Mi' } } },
      mcpServers: [{ name: 'calendar', image: 'registry.example/mcp:1', port: 7001 }],
    },
  };
}

/** The objects one bench platform has: render's output (the reconciler applies exactly these). */
export function childrenPerPlatform(): number {
  return rendered('p', 'ns').length;
}

function rendered(name: string, namespace: string) {
  const parsed = parsePlatform(benchPlatform(name, namespace));
  if (!parsed.ok) throw new Error(`bench platform invalid: ${JSON.stringify(parsed.errors)}`);
  return renderPlatform(parsed.platform);
}

export const KRO_KIND = 'BenchPlatform';
export const KRO_API_VERSION = 'kro.run/v1alpha1';
export const KRO_PLURAL = 'benchplatforms.kro.run';

/**
 * The RGD: render's objects for a platform with sentinel name and namespace, the sentinels replaced
 * by the instance's own (`${schema.metadata.name}`), the backend image by `${schema.spec.image}`,
 * and the manager label by kro's. A Deployment is ready once Available, as for the operator.
 */
export function benchRgd(): Record<string, unknown> {
  const NAME = 'zzbenchnamezz';
  const NS = 'zzbenchnszz';
  const resources = rendered(NAME, NS).map((o) => {
    let text = JSON.stringify(o);
    if (text.includes('${')) throw new Error('a rendered object already holds "${": it would read as a kro expression');
    text = text.replaceAll(NAME, '${schema.metadata.name}').replaceAll(NS, '${schema.metadata.namespace}').replaceAll(`"${BACKEND_IMAGE}"`, '"${schema.spec.image}"');
    text = text.replaceAll('"app.kubernetes.io/managed-by":"booking-operator"', '"app.kubernetes.io/managed-by":"kro"');
    const template = JSON.parse(text) as { kind: string; metadata: { name: string } };
    const id = kroId(o.kind, o.metadata.name.slice(NAME.length + 1));
    return { id, template, ...(o.kind === 'Deployment' ? { readyWhen: [`\${${id}.status.conditions.exists(c, c.type == "Available" && c.status == "True")}`] } : {}) };
  });
  return {
    apiVersion: 'kro.run/v1alpha1',
    kind: 'ResourceGraphDefinition',
    metadata: { name: 'benchplatform.kro.run' },
    spec: { schema: { apiVersion: 'v1alpha1', kind: KRO_KIND, spec: { image: `string | default="${BACKEND_IMAGE}"` } }, resources },
  };
}

/** kro resource ids are lowerCamelCase: kind + the name's suffix (`deploymentMcpCalendar`). */
function kroId(kind: string, suffix: string): string {
  const words = [kind, ...suffix.split('-')].filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join('');
}

export function kroInstance(name: string, namespace: string, image = BACKEND_IMAGE) {
  return { apiVersion: KRO_API_VERSION, kind: KRO_KIND, metadata: { name, namespace }, spec: { image } };
}
