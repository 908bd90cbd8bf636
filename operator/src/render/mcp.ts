/** MCP servers: one Deployment + Service each; `enabled: false` entries render nothing. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform, McpServerSpec } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { workload } from './workload.ts';

export function enabledMcpServers(p: BookingPlatform): McpServerSpec[] {
  return (p.spec.mcpServers ?? []).filter((m) => m.enabled);
}

export function mcpServers(chart: Chart, p: BookingPlatform, facts: Facts): void {
  for (const m of enabledMcpServers(p)) {
    workload(chart, p, facts, {
      component: `mcp-${m.name}`,
      role: 'mcp-server',
      image: m.image,
      port: m.port,
      replicas: m.replicas,
      resources: m.resources,
      env: m.env,
      connection: true,
    });
  }
}
