/**
 * A SHIM FOR MOTO'S GAPS — not AWS, not part of the operator. A loopback HTTP server (127.0.0.1,
 * started and stopped by the test) in front of moto_server for the real ACK elasticache-controller.
 * Every request goes to moto unchanged, except three ElastiCache calls moto 5.2.1 cannot answer as
 * AWS does; those are answered here the way the ElastiCache API reference documents them:
 *
 * - DescribeEvents: moto answers 500 (not implemented). The controller calls it on every read of a
 *   ReplicationGroup and CacheSubnetGroup and fails the whole reconcile on an error, so nothing
 *   would ever sync. Answered with an empty, well-formed DescribeEventsResponse (no events happened).
 * - DeleteReplicationGroup: moto accepts it and then keeps the group `deleting` forever; AWS
 *   removes it when the deletion finishes, after which DescribeReplicationGroups for it answers
 *   ReplicationGroupNotFoundFault (404) — the answer the controller waits for. The call itself goes
 *   to moto; once moto accepted it, this shim answers NotFound for that group (as if AWS finished
 *   at once, like moto does for RDS). A DescribeReplicationGroups without an id still lists it.
 * - DeleteCacheSubnetGroup: moto answers 500 (not implemented). Answered as AWS does: 400
 *   CacheSubnetGroupInUse while a replication group created with it still exists, otherwise an
 *   empty DeleteCacheSubnetGroupResponse; afterwards DescribeCacheSubnetGroups for it answers
 *   CacheSubnetGroupNotFoundFault (400).
 *
 * ElastiCache requests are told apart by the SigV4 credential scope (service `elasticache`): every
 * service shares the one endpoint, and RDS has a DescribeEvents of its own.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const NS = 'http://elasticache.amazonaws.com/doc/2015-02-02/';

export interface AwsShim {
  endpoint: string;
  /** The calls this shim answered itself (`Action` or `Action NotFound`), in order. */
  answered: string[];
  /** ElastiCache calls passed to moto that it answered with an error (`Action STATUS`), in order. */
  motoErrors: string[];
  stop(): Promise<void>;
}

/** Which AWS service a SigV4-signed request is for (its credential scope). */
function serviceOf(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''))?.[1];
}

let requestIds = 0;
const requestId = () => `aws-shim-${process.pid}-${++requestIds}`;
const xml = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { 'content-type': 'text/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ok = (res: ServerResponse, action: string, result = '') =>
  xml(res, 200, `<${action}Response xmlns="${NS}">${result}<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`);
const fault = (res: ServerResponse, status: number, code: string, message: string) =>
  xml(res, status, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`);

/** Starts the shim in front of moto (`http://127.0.0.1:PORT`). */
export async function startAwsShim(moto: string): Promise<AwsShim> {
  const target = new URL(moto);
  const answered: string[] = [];
  const motoErrors: string[] = [];
  /** Replication group id -> its cache subnet group, for groups moto created (and not deleted). */
  const groups = new Map<string, string | undefined>();
  const deletedGroups = new Set<string>();
  const deletedSubnetGroups = new Set<string>();

  const forwardTo = (req: IncomingMessage, body: Buffer, res: ServerResponse, after?: (status: number) => void) => {
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (ur) => {
      const chunks: Buffer[] = [];
      ur.on('data', (c: Buffer) => chunks.push(c));
      ur.on('end', () => {
        after?.(ur.statusCode ?? 0);
        res.writeHead(ur.statusCode ?? 502, ur.headers).end(Buffer.concat(chunks));
      });
    });
    up.on('error', (e) => res.writeHead(502).end(String(e)));
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (serviceOf(req) !== 'elasticache') return forwardTo(req, body, res);
      const params = new URLSearchParams(body.toString('utf8'));
      const action = params.get('Action');
      const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, after?: (status: number) => void) =>
        forwardTo(req, body, res, (status) => {
          if (status >= 400) motoErrors.push(`${action} ${status}`);
          after?.(status);
        });
      const rg = params.get('ReplicationGroupId') ?? '';
      const csg = params.get('CacheSubnetGroupName') ?? '';
      switch (action) {
        case 'DescribeEvents':
          answered.push(action);
          return ok(res, action, `<DescribeEventsResult><Events/></DescribeEventsResult>`);
        case 'CreateReplicationGroup':
          return forward(req, body, res, (status) => status === 200 && groups.set(rg, csg || undefined));
        case 'DeleteReplicationGroup':
          if (deletedGroups.has(rg)) break;
          return forward(req, body, res, (status) => {
            if (status !== 200) return;
            groups.delete(rg);
            deletedGroups.add(rg);
          });
        case 'DescribeReplicationGroups':
          break;
        case 'DeleteCacheSubnetGroup': {
          answered.push(action);
          if (deletedSubnetGroups.has(csg)) return fault(res, 400, 'CacheSubnetGroupNotFoundFault', `CacheSubnetGroup ${csg} not found.`);
          const user = [...groups].find(([, g]) => g === csg)?.[0];
          if (user) return fault(res, 400, 'CacheSubnetGroupInUse', `The requested cache subnet group ${csg} is currently in use (replication group ${user}).`);
          deletedSubnetGroups.add(csg);
          return ok(res, action);
        }
        case 'DescribeCacheSubnetGroups':
          if (!deletedSubnetGroups.has(csg)) return forward(req, body, res);
          answered.push(`${action} NotFound`);
          return fault(res, 400, 'CacheSubnetGroupNotFoundFault', `CacheSubnetGroup ${csg} not found.`);
        default:
          return forward(req, body, res);
      }
      // a replication group whose deletion moto accepted: gone, as AWS reports it once deleted
      if (rg && deletedGroups.has(rg)) {
        answered.push(`${action} NotFound`);
        return fault(res, 404, 'ReplicationGroupNotFoundFault', `Replication group ${rg} not found.`);
      }
      return forward(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    answered,
    motoErrors,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
