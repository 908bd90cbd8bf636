/** Generates TypeScript types from the schema (pure; `generate.ts` writes them). */
import type { Schema } from './schema-dsl.ts';
import { rootSchema } from './schema.ts';

/**
 * Types describe an object *after* defaulting (as the apiserver stores it): a property is
 * optional unless it is required or has a default.
 */
export function generateTypes(): string {
  const named = new Map<string, string>();
  const typeOf = (node: Schema, indent: string): string => {
    if (node['x-kubernetes-int-or-string']) return 'string | number';
    if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
    switch (node.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array':
        return `Array<${typeOf(node.items!, indent)}>`;
      case 'object': {
        if (!node.properties) {
          return node.additionalProperties ? `Record<string, ${typeOf(node.additionalProperties, indent)}>` : 'Record<string, unknown>';
        }
        const body = objectBody(node, node.title ? '' : indent);
        if (!node.title) return body;
        if (!named.has(node.title)) named.set(node.title, `${doc(node, '')}export interface ${node.title} ${body}\n`);
        return node.title;
      }
      default:
        return 'unknown';
    }
  };
  const objectBody = (node: Schema, indent: string): string => {
    const inner = indent + '  ';
    const lines = Object.entries(node.properties!).map(([key, child]) => {
      const optional = !(node.required?.includes(key) || child.default !== undefined);
      return `${doc(child, inner)}${inner}${key}${optional ? '?' : ''}: ${typeOf(child, inner)};`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  };
  const spec = typeOf(rootSchema.properties!.spec!, '');
  const status = typeOf(rootSchema.properties!.status!, '');
  const header = '// Generated from operator/src/api/schema.ts by `npm run generate`. Do not edit.\n\n';
  const root = `/** A BookingPlatform as stored by the apiserver (after defaulting). */
export interface BookingPlatform {
  apiVersion: 'platform.booking.io/v1alpha1';
  kind: 'BookingPlatform';
  metadata: ObjectMeta;
  spec: ${spec};
  status?: ${status};
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}
`;
  return header + [...named.values()].join('\n') + '\n' + root;
}

function doc(node: Schema, indent: string): string {
  if (!node.description) return '';
  const dflt = node.default !== undefined ? ` Default: ${JSON.stringify(node.default)}.` : '';
  return `${indent}/** ${(node.description + dflt).replace(/\*\//g, '*\\/')} */\n`;
}
