/**
 * A SHIM FOR A MOTO GAP — not AWS, not part of the operator. moto 5.2.1 has no EKS Pod Identity
 * (its eks/responses.py implements clusters, node groups and Fargate profiles only). This loopback
 * HTTP server (127.0.0.1, started and stopped by the test) answers exactly the five Pod Identity
 * calls the way the EKS API reference documents them, keeping the associations in memory, and
 * forwards every other request to moto unchanged:
 *
 * - CreatePodIdentityAssociation (POST /clusters/{name}/pod-identity-associations): 404
 *   ResourceNotFoundException when moto has no such cluster, 409 ResourceInUseException when the
 *   ServiceAccount already has one; otherwise the association (id `a-` and 17 characters).
 * - ListPodIdentityAssociations (GET, same path; namespace / serviceAccount filters; summaries
 *   without roleArn or tags, as AWS answers).
 * - DescribePodIdentityAssociation, UpdatePodIdentityAssociation (roleArn), DeletePodIdentityAssociation
 *   (GET / POST / DELETE …/{associationId}): 404 ResourceNotFoundException for an unknown id.
 *
 * EKS requests are told apart by the SigV4 credential scope (service `eks`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Association {
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  associationArn: string;
  associationId: string;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
}

export interface PodIdentityShim {
  endpoint: string;
  /** The associations, as AWS would hold them. */
  associations: Map<string, Association>;
  /** The Pod Identity calls answered here, in order. */
  answered: string[];
  stop(): Promise<void>;
}

const ACCOUNT = '123456789012';

function scope(req: IncomingMessage): { region?: string; service?: string } {
  const m = /Credential=[^/]+\/[^/]+\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
  return { region: m?.[1], service: m?.[2] };
}

const json = (res: ServerResponse, status: number, body: unknown, errorType?: string) =>
  res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) }).end(JSON.stringify(body));
const fail = (res: ServerResponse, status: number, type: string, message: string) => json(res, status, { message }, type);

export async function startPodIdentityShim(moto: string): Promise<PodIdentityShim> {
  const target = new URL(moto);
  const associations = new Map<string, Association>();
  const answered: string[] = [];

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (ur) => {
      const chunks: Buffer[] = [];
      ur.on('data', (c: Buffer) => chunks.push(c));
      ur.on('end', () => res.writeHead(ur.statusCode ?? 502, ur.headers).end(Buffer.concat(chunks)));
    });
    up.on('error', (e) => res.writeHead(502).end(String(e)));
    up.end(body);
  };

  /** Whether moto knows the cluster (DescribeCluster, signed headers passed along). */
  const clusterExists = (req: IncomingMessage, cluster: string) =>
    new Promise<boolean>((resolve) => {
      const r = request({ host: target.hostname, port: target.port, method: 'GET', path: `/clusters/${encodeURIComponent(cluster)}`, headers: { authorization: req.headers.authorization ?? '', 'x-amz-date': req.headers['x-amz-date'] ?? '' } }, (ur) => {
        ur.resume();
        ur.on('end', () => resolve(ur.statusCode === 200));
      });
      r.on('error', () => resolve(false));
      r.end();
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://shim');
      const m = /^\/clusters\/([^/]+)\/pod-identity-associations(?:\/([^/]+))?$/.exec(url.pathname);
      const { region = 'us-east-1', service } = scope(req);
      if (service !== 'eks' || !m) return forward(req, body, res);
      const cluster = decodeURIComponent(m[1]!);
      const id = m[2] ? decodeURIComponent(m[2]) : undefined;
      void (async () => {
        const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, any>) : {};
        if (!id && req.method === 'POST') {
          answered.push('CreatePodIdentityAssociation');
          if (!(await clusterExists(req, cluster))) return fail(res, 404, 'ResourceNotFoundException', `No cluster found for name: ${cluster}.`);
          if ([...associations.values()].some((a) => a.clusterName === cluster && a.namespace === input.namespace && a.serviceAccount === input.serviceAccount)) {
            return fail(res, 409, 'ResourceInUseException', 'Association already exists for this service account.');
          }
          const associationId = `a-${randomBytes(9).toString('hex').slice(0, 17)}`;
          const now = Date.now() / 1000;
          const a: Association = {
            clusterName: cluster,
            namespace: input.namespace,
            serviceAccount: input.serviceAccount,
            roleArn: input.roleArn,
            associationId,
            associationArn: `arn:aws:eks:${region}:${ACCOUNT}:podidentityassociation/${cluster}/${associationId}`,
            tags: input.tags ?? {},
            createdAt: now,
            modifiedAt: now,
          };
          associations.set(associationId, a);
          return json(res, 200, { association: a });
        }
        if (!id && req.method === 'GET') {
          answered.push('ListPodIdentityAssociations');
          const ns = url.searchParams.get('namespace');
          const sa = url.searchParams.get('serviceAccount');
          const list = [...associations.values()].filter((a) => a.clusterName === cluster && (!ns || a.namespace === ns) && (!sa || a.serviceAccount === sa));
          return json(res, 200, { associations: list.map(({ clusterName, namespace, serviceAccount, associationArn, associationId }) => ({ clusterName, namespace, serviceAccount, associationArn, associationId })) });
        }
        const a = id ? associations.get(id) : undefined;
        const action = req.method === 'GET' ? 'DescribePodIdentityAssociation' : req.method === 'POST' ? 'UpdatePodIdentityAssociation' : 'DeletePodIdentityAssociation';
        answered.push(action);
        if (!a || a.clusterName !== cluster) return fail(res, 404, 'ResourceNotFoundException', `The specified association ${id} does not exist.`);
        if (req.method === 'POST') {
          if (input.roleArn) a.roleArn = input.roleArn;
          a.modifiedAt = Date.now() / 1000;
        }
        if (req.method === 'DELETE') associations.delete(a.associationId);
        return json(res, 200, { association: a });
      })().catch((e) => fail(res, 500, 'ServerException', String(e)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    associations,
    answered,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
