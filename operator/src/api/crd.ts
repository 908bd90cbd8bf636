/** Builds the CustomResourceDefinition object from the schema (pure; `generate.ts` writes it). */
import type { Schema } from './schema-dsl.ts';
import { GROUP, KIND, PLURAL, VERSION, rootSchema } from './schema.ts';

/** Schema node as the apiserver wants it: TypeScript-only keys dropped, rules as CEL. */
export function toOpenAPI(node: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'rules' || key === 'title') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toOpenAPI(v)]));
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = toOpenAPI(value as Schema);
    } else {
      out[key] = value;
    }
  }
  if (node.rules?.length) {
    out['x-kubernetes-validations'] = node.rules.map(({ rule, message, fieldPath, reason }) => ({ rule, message, ...(fieldPath ? { fieldPath } : {}), ...(reason ? { reason } : {}) }));
  }
  return out;
}

export function bookingPlatformCRD(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'booking-operator', 'app.kubernetes.io/part-of': 'booking-operator' } },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: KIND.toLowerCase(), shortNames: ['bkp'], categories: ['booking'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'API', type: 'string', jsonPath: '.status.endpoints.api' },
            { name: 'Provisioner', type: 'string', jsonPath: '.spec.provisioner', priority: 1 },
            { name: 'Environment', type: 'string', jsonPath: '.spec.environment', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: toOpenAPI(rootSchema) },
        },
      ],
    },
  };
}
