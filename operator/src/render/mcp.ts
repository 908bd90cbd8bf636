/** MCP servers: one Deployment + Service each; `enabled: false` entries render nothing. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform, McpServerSpec } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { workload } from './workload.ts';

/** An enabled entry: validation requires its image and port (a disabled one may omit them). */
export type EnabledMcpServer = McpServerSpec & { image: string; port: number };

export function enabledMcpServers(p: BookingPlatform): EnabledMcpServer[] {
  return (p.spec.mcpServers ?? []).filter((m): m is EnabledMcpServer => m.enabled);
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
      iamRoleArn: m.iamRoleArn,
      connection: true,
    });
  }
}
