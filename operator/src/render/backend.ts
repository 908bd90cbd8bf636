/** The FastAPI backend: REST + WebSocket, autoscaled, with a PDB and the ALB health check. */
import type { Chart } from 'cdk8s';
import type { BookingPlatform, EnvVar } from '../api/types.generated.ts';
import type { Facts } from './facts.ts';
import { enabledMcpServers } from './mcp.ts';
import { childName } from './names.ts';
import { workload } from './workload.ts';

export function backend(chart: Chart, p: BookingPlatform, facts: Facts): void {
  const b = p.spec.backend;
  workload(chart, p, facts, {
    component: 'backend',
    role: 'api',
    image: b.image,
    port: b.port,
    healthPath: b.healthPath,
    autoscaling: b.autoscaling,
    resources: b.resources,
    env: [...discoveryEnv(p), ...(b.env ?? [])],
    iamRoleArn: b.iamRoleArn,
    connection: true,
    serviceAnnotations: { 'alb.ingress.kubernetes.io/healthcheck-path': b.healthPath },
  });
}

/** In-cluster URLs of the platform's other components, so the backend needs no wiring by hand. */
function discoveryEnv(p: BookingPlatform): EnvVar[] {
  const env: EnvVar[] = [];
  const wa = p.spec.whatsapp;
  if (wa?.enabled) env.push({ name: 'WHATSAPP_URL', value: `http://${childName(p, 'whatsapp')}:${wa.port}` });
  for (const m of enabledMcpServers(p)) {
    env.push({ name: `MCP_${m.name.toUpperCase().replace(/-/g, '_')}_URL`, value: `http://${childName(p, `mcp-${m.name}`)}:${m.port}` });
  }
  return env;
}
