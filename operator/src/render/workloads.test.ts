import { describe, expect, it } from 'vitest';
import { find, ofKind } from '../../test/fixtures/objects.ts';
import { platform, set, withAdmin, withMcp } from '../../test/fixtures/platform.ts';
import { renderPlatform } from './index.ts';

describe('MCP servers', () => {
  const objects = renderPlatform(
    platform('acme', withMcp({ name: 'calendar', image: 'mcp-cal:1', port: 7001 }, { name: 'llm', image: 'mcp-llm:1', port: 7004, enabled: false })),
  );

  it('get one Deployment and Service each, on their own port', () => {
    const d = find(objects, 'Deployment', 'acme-mcp-calendar');
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.containers[0]).toMatchObject({ image: 'mcp-cal:1', ports: [{ containerPort: 7001 }] });
    expect(find(objects, 'Service', 'acme-mcp-calendar').spec.ports).toEqual([{ name: 'http', port: 7001, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('render nothing for a disabled server', () => {
    expect(objects.filter((o) => o.metadata.name.includes('llm'))).toEqual([]);
  });
});

describe('admin frontend', () => {
  it('runs two replicas behind a PDB, without database credentials', () => {
    const objects = renderPlatform(platform('acme', withAdmin()));
    const d = find(objects, 'Deployment', 'acme-admin');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].envFrom).toBeUndefined();
    expect(find(objects, 'PodDisruptionBudget', 'acme-admin').spec.maxUnavailable).toBe(1);
  });
});

describe('further app services', () => {
  it('autoscale when asked (the chatbot, 1-3)', () => {
    const objects = renderPlatform(platform('acme', set('services', [{ name: 'chatbot', image: 'chatbot:3', port: 8000, autoscaling: { minReplicas: 1, maxReplicas: 3 } }])));
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'acme-chatbot');
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 3 });
    expect(find(objects, 'Deployment', 'acme-chatbot').spec.replicas).toBeUndefined();
    expect(ofKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).not.toContain('acme-chatbot');
  });

  it('run fixed replicas otherwise', () => {
    const objects = renderPlatform(platform('acme', set('services', [{ name: 'worker', image: 'w:1', port: 9000, replicas: 3 }])));
    expect(find(objects, 'Deployment', 'acme-worker').spec.replicas).toBe(3);
    expect(ofKind(objects, 'HorizontalPodAutoscaler').map((h) => h.metadata.name)).toEqual(['acme-backend']);
  });
});
