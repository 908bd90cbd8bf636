/**
 * The BookingPlatform API (`platform.booking.io/v1alpha1`): the one source of truth.
 *
 * `crds/` and `types.generated.ts` are generated from this file (`npm run generate`); defaulting
 * and validation walk it at run time. A test fails when a generated file is stale.
 */
import {
  array,
  boolean,
  enumOf,
  immutable,
  integer,
  number,
  object,
  NONNEGATIVE_QUANTITY_PATTERN,
  quantity,
  requiredWhenEnabled,
  string,
  stringMap,
  type Rule,
  type Schema,
} from './schema-dsl.ts';
import { celCronSchedule, CRON_MESSAGE, isCronSchedule } from './cron.ts';
import { compareQuantities, isPositiveQuantity } from './quantity.ts';

export const GROUP = 'platform.booking.io';
export const VERSION = 'v1alpha1';
export const KIND = 'BookingPlatform';
export const PLURAL = 'bookingplatforms';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const PROVISIONERS = ['ack', 'sdk', 'external'] as const;
export const DATABASE_ENGINES = ['postgres', 'mysql', 'aurora-postgresql', 'aurora-mysql'] as const;
export const DELETION_POLICIES = ['Snapshot', 'Retain', 'Delete'] as const;

/** Names built-in components use as `<platform>-<name>`; further services must not take them. */
const RESERVED_SERVICE_NAMES = ['backend', 'whatsapp', 'admin', 'connection', 'db-master', 'whatsapp-auth', 'session-cleanup', 'internal', 'backend-public', 'admin-public'];
const DNS_LABEL = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
/**
 * A bucket name is also the name of the ACK Bucket object, so a DNS-1123 subdomain (no `..`, no
 * `-.`) of 3–63 characters; the rules add what S3 forbids beyond that
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
const BUCKET_NAME = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const BUCKET_NAME_RULES: Rule[] = [
  { rule: "!self.matches('^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')", message: 'bucketName must not be formatted as an IP address', check: (s) => !/^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$/.test(s) },
  ...(['xn--', 'sthree-', 'amzn-s3-demo-'] as const).map((prefix): Rule => ({ rule: `!self.startsWith('${prefix}')`, message: `bucketName must not start with ${prefix}`, check: (s) => !s.startsWith(prefix) })),
  ...(['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'] as const).map((suffix): Rule => ({ rule: `!self.endsWith('${suffix}')`, message: `bucketName must not end with ${suffix}`, check: (s) => !s.endsWith(suffix) })),
];
const IMAGE = '^[^\\s]+$';
const IAM_ROLE_ARN = '^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$';
const HOSTNAME = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$';

const image = (what: string) => string(`Container image of the ${what}, pinned by tag or digest.`, { pattern: IMAGE, minLength: 1 });
const port = (what: string, dflt?: number) =>
  integer(`Container port the ${what} listens on.`, { minimum: 1, maximum: 65535, ...(dflt ? { default: dflt } : {}) });

const secretRef = (what: string) =>
  object({ name: string('Name of the Secret in the platform namespace.', { pattern: '^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$', maxLength: 253 }) }, {
    title: 'SecretReference',
    description: what,
    required: ['name'],
  });

const keyRef = (what: string) =>
  object(
    {
      name: string(`Name of the ${what}.`, { minLength: 1 }),
      key: string(`Key in the ${what}.`, { minLength: 1 }),
      optional: boolean('Whether the reference may be missing.'),
    },
    { required: ['name', 'key'] },
  );

const envVar = object(
  {
    name: string('Variable name.', { pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' }),
    value: string('Literal value. Never put secrets here: use valueFrom.secretKeyRef.'),
    valueFrom: object(
      { secretKeyRef: keyRef('Secret'), configMapKeyRef: keyRef('ConfigMap') },
      {
        description: 'Take the value from a Secret or ConfigMap key.',
        rules: [
          {
            rule: 'has(self.secretKeyRef) != has(self.configMapKeyRef)',
            message: 'valueFrom needs exactly one of secretKeyRef or configMapKeyRef',
            check: (s) => (s.secretKeyRef !== undefined) !== (s.configMapKeyRef !== undefined),
          },
        ],
      },
    ),
  },
  {
    title: 'EnvVar',
    required: ['name'],
    rules: [
      {
        rule: '!(has(self.value) && has(self.valueFrom))',
        message: 'env var has both value and valueFrom',
        check: (s) => !(s.value !== undefined && s.valueFrom !== undefined),
      },
    ],
  },
);

const env = array(envVar, 'Extra environment variables for the container.', {
  maxItems: 100,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
});

/** Resource names a container may use here, and quantities the apiserver takes for them (≥ 0). */
const RESOURCE_NAMES = ['cpu', 'memory', 'ephemeral-storage'];
const resourceMapRules: Rule[] = [
  {
    rule: `self.all(k, k in [${RESOURCE_NAMES.map((n) => `'${n}'`).join(', ')}])`,
    message: `resource names are ${RESOURCE_NAMES.join(', ')}`,
    check: (s) => Object.keys(s).every((k) => RESOURCE_NAMES.includes(k)),
  },
];
const resources = object(
  {
    requests: { type: 'object', additionalProperties: quantity('Requested quantity (not negative).', { pattern: NONNEGATIVE_QUANTITY_PATTERN, minimum: 0 }), maxProperties: 3, description: 'Requested resources (cpu, memory, ephemeral-storage).', rules: resourceMapRules },
    limits: { type: 'object', additionalProperties: quantity('Limit (not negative).', { pattern: NONNEGATIVE_QUANTITY_PATTERN, minimum: 0 }), maxProperties: 3, description: 'Resource limits. A memory limit equal to the request is recommended.', rules: resourceMapRules },
  },
  {
    title: 'Resources', description: 'Compute resources of the container.',
    rules: [
      {
        rule: `!has(self.requests) || !has(self.limits) || (${RESOURCE_NAMES.map((n) => `(!('${n}' in self.requests) || !('${n}' in self.limits) || quantity(string(self.requests['${n}'])).compareTo(quantity(string(self.limits['${n}']))) <= 0)`).join(' && ')})`,
        message: 'every request must be less than or equal to its limit',
        check: (s) => !s.requests || !s.limits || Object.keys(s.requests).every((k) => s.limits[k] === undefined || compareQuantities(s.requests[k], s.limits[k]) <= 0),
      },
    ],
  },
);

const autoscaling = (min: number, max: number) =>
  object(
    {
      minReplicas: integer('Fewest replicas the HorizontalPodAutoscaler keeps.', { minimum: 1, maximum: 1000, default: min }),
      maxReplicas: integer('Most replicas the HorizontalPodAutoscaler scales to.', { minimum: 1, maximum: 1000, default: max }),
      targetCPUUtilizationPercentage: integer('Average CPU utilization (of requests) the autoscaler aims for.', {
        minimum: 1,
        maximum: 100,
        default: 70,
      }),
    },
    {
      title: 'AutoscalingSpec',
      description: 'Horizontal autoscaling on CPU.',
      rules: [
        {
          rule: 'self.maxReplicas >= self.minReplicas',
          message: 'maxReplicas must be greater than or equal to minReplicas',
          check: (s) => s.maxReplicas >= s.minReplicas,
        },
      ],
    },
  );

/** The autoscaler aims at a CPU utilization of the request: without a request it cannot scale. */
const autoscalingNeedsCpuRequest: Rule = {
  rule: "!has(self.autoscaling) || (has(self.resources) && has(self.resources.requests) && 'cpu' in self.resources.requests)",
  message: 'autoscaling needs resources.requests.cpu (the autoscaler scales on CPU utilization of the request)',
  check: (s) => s.autoscaling === undefined || s.resources?.requests?.cpu !== undefined,
};

/** An HTTP app component (MCP server, further service); `resources` defaults to production requests. */
const appService = (what: string, opts: { healthPath?: boolean; resources: { cpu: string; memory: string } }) => ({
  name: string(`Name of the ${what}; prefixes its Deployment and Service names.`, { pattern: DNS_LABEL, maxLength: 20 }),
  image: image(what),
  port: port(what),
  enabled: boolean(`Set false to keep the entry but run nothing (its objects are pruned).`, { default: true }),
  replicas: integer('Replicas when autoscaling is not set.', { minimum: 0, maximum: 100, default: 1 }),
  ...(opts.healthPath ? { healthPath: string('HTTP path for readiness and liveness probes; TCP probes when empty.', { pattern: '^/' }) } : {}),
  // without the request ≤ limit rule: CEL's cost estimate of quantity() times 20 entries exceeds
  // the apiserver's budget; a Deployment refused for it ends Stalled naming the field
  resources: { ...resources, rules: [], default: { requests: opts.resources, limits: { memory: opts.resources.memory } } },
  env,
});

const deletionPolicy = (dflt: (typeof DELETION_POLICIES)[number], allowed: readonly string[] = DELETION_POLICIES) =>
  enumOf(allowed as readonly string[], `What happens to the cloud resource when the platform is deleted (default ${dflt}).`, { default: dflt });

/**
 * Managed IAM (security/iam): what an MCP server or further service may ask for. Patterns, not CEL
 * (no cost in lists of 20): an action is `service:Action` with at most a trailing `*` inside one
 * service (`s3:Get*`), never `*` or `service:*`, and never of a service that administers identities
 * or the account (`iam:PutRolePolicy` on its own role would grant it anything); a resource is an
 * ARN, never a bare `*` (a role that needs one is made by hand and given as iamRoleArn).
 */
const IAM_DENIED_SERVICES = ['iam', 'sts', 'organizations', 'account'];
const IAM_ACTION = `^${serviceOtherThan(IAM_DENIED_SERVICES)}:[A-Za-z][A-Za-z0-9]*\\*?$`;

/**
 * An RE2 pattern (the apiserver's dialect: no lookahead) for a service prefix, `[a-z0-9-]+`, that is
 * none of `words`: built from their trie — at each step any other character and then anything, or
 * the next character of a word and on; ending is allowed anywhere but at a word's end.
 */
function serviceOtherThan(words: readonly string[], done = ''): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789-';
  const next = [...new Set(words.filter((w) => w.length).map((w) => w[0]!))].sort();
  const others = [...chars].filter((c) => !next.includes(c));
  const alternatives = [
    ...(others.length ? [`[${charClass(others)}][a-z0-9-]*`] : []),
    ...next.map((c) => `${c}${serviceOtherThan(words.filter((w) => w[0] === c).map((w) => w.slice(1)), done + c)}`),
  ];
  const mayEnd = done !== '' && !words.includes('');
  return `(${alternatives.join('|')})${mayEnd ? '?' : ''}`;
}

/** `a-hj-z0-9-` for a set of characters of [a-z0-9-]. */
function charClass(cs: string[]): string {
  const runs: string[] = [];
  for (const range of ['abcdefghijklmnopqrstuvwxyz', '0123456789']) {
    let start = -1;
    for (let i = 0; i <= range.length; i++) {
      const inSet = i < range.length && cs.includes(range[i]!);
      if (inSet && start < 0) start = i;
      if (!inSet && start >= 0) {
        runs.push(i - start > 2 ? `${range[start]}-${range[i - 1]}` : range.slice(start, i));
        start = -1;
      }
    }
  }
  return runs.join('') + (cs.includes('-') ? '-' : '');
}
const IAM_RESOURCE_ARN = '^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}|aws)?:.+$';
const iamPolicy = object(
  {
    statements: array(
      object(
        {
          effect: enumOf(['Allow', 'Deny'], 'Allow or Deny.', { default: 'Allow' }),
          actions: array(string('An IAM action, service:Action (a trailing * within one service at most; not iam, sts, organizations or account).', { pattern: IAM_ACTION, maxLength: 128 }), 'Actions.', {
            minItems: 1,
            maxItems: 20,
            'x-kubernetes-list-type': 'set',
          }),
          resources: array(string('A resource ARN (a bare * is not accepted).', { pattern: IAM_RESOURCE_ARN, maxLength: 2048 }), 'Resources.', {
            minItems: 1,
            maxItems: 20,
            'x-kubernetes-list-type': 'set',
          }),
        },
        { title: 'IamStatement', required: ['actions', 'resources'] },
      ),
      'Statements of the role’s inline policy.',
      { minItems: 1, maxItems: 10 },
    ),
  },
  { title: 'IamPolicySpec', description: 'The inline policy of this component’s managed role (needs iam).', required: ['statements'] },
);
const BEDROCK_MODEL_ARN =
  '^arn:aws[a-z-]*:bedrock:([a-z0-9-]+|\\*)?:([0-9]{12})?:(foundation-model|inference-profile|application-inference-profile|provisioned-model|custom-model|imported-model)/[^*]+$';
const bedrock = object(
  {
    actions: array(string('A Bedrock model action.', { pattern: '^bedrock:[A-Za-z]+$', maxLength: 64 }), 'Actions on the models (Converse and ConverseStream are authorized by these two).', {
      default: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      minItems: 1,
      maxItems: 10,
      'x-kubernetes-list-type': 'set',
    }),
    modelIds: array(string('A foundation model id, e.g. anthropic.claude-3-5-sonnet-20240620-v1:0.', { pattern: '^[a-z0-9-]+\\.[A-Za-z0-9._:-]+$', maxLength: 128 }), 'Foundation models in aws.region (the ARNs are built from the ids).', {
      maxItems: 20,
      'x-kubernetes-list-type': 'set',
    }),
    modelArns: array(
      string('A model or inference profile ARN; the region may be * (a cross-region inference profile routes to several).', { pattern: BEDROCK_MODEL_ARN, maxLength: 2048 }),
      'Models and inference profiles by ARN.',
      { maxItems: 20, 'x-kubernetes-list-type': 'set' },
    ),
    agentAliasArns: array(
      string('An agent alias ARN.', { pattern: '^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:[0-9]{12}:agent-alias/[A-Z0-9]{10}/[A-Z0-9]{10}$', maxLength: 2048 }),
      'Agent aliases this component may call (bedrock:InvokeAgent).',
      { maxItems: 20, 'x-kubernetes-list-type': 'set' },
    ),
  },
  {
    title: 'BedrockSpec',
    description: 'Bedrock access of this component’s managed role (needs iam): the actions on exactly these models and agents.',
    rules: [
      {
        rule: 'has(self.modelIds) || has(self.modelArns) || has(self.agentAliasArns)',
        message: 'bedrock needs modelIds, modelArns or agentAliasArns',
        check: (s) => s.modelIds !== undefined || s.modelArns !== undefined || s.agentAliasArns !== undefined,
      },
    ],
  },
);
/** A role given by ARN is used as it is: a managed policy beside it would never apply. */
const givenRoleExcludesManaged: Rule = {
  rule: '!has(self.iamRoleArn) || (!has(self.iamPolicy) && !has(self.bedrock))',
  message: 'iamRoleArn excludes iamPolicy and bedrock (a role given by ARN is used as it is)',
  check: (s) => s.iamRoleArn === undefined || (s.iamPolicy === undefined && s.bedrock === undefined),
};
const managedIam = {
  iamPolicy,
  bedrock,
};

/** Keys of the connection Secret (data/connection.ts): an application secret must not shadow one. */
const CONNECTION_KEYS = ['DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'REDIS_URL', 'UPLOADS_BUCKET', 'AWS_REGION'];
const SECRET_DELIVERIES = ['operator', 'external-secrets'] as const;

/** Application secrets (security/secrets/): generated once by the operator, or taken from Secrets Manager. */
const secretsSpec = object(
  {
    consumers: array(string('A component: backend, whatsapp, admin, mcp-<name>, or a services[] name.', { pattern: DNS_LABEL, maxLength: 24 }), 'Components whose containers get every entry as an environment variable.', {
      default: ['backend'],
      minItems: 1,
      maxItems: 45,
      'x-kubernetes-list-type': 'set',
    }),
    delivery: enumOf(SECRET_DELIVERIES, 'Who copies secretsManager entries into the cluster: the operator itself, or External Secrets Operator (an ExternalSecret is rendered).', { default: 'operator' }),
    refreshIntervalSeconds: integer('How often secretsManager entries are read again (the ExternalSecret\'s refreshInterval with external-secrets).', { minimum: 60, maximum: 604800, default: 3600 }),
    secretStoreRef: object(
      {
        name: string('Name of the SecretStore or ClusterSecretStore.', { pattern: '^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$', maxLength: 253 }),
        kind: enumOf(['SecretStore', 'ClusterSecretStore'], 'Kind of the store.', { default: 'SecretStore' }),
      },
      { title: 'SecretStoreRef', description: 'The External Secrets Operator store that reads Secrets Manager (delivery external-secrets).', required: ['name'] },
    ),
    entries: array(
      object(
        {
          name: string('Environment variable name, and key in the Secret.', { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 128 }),
          generate: object({ length: integer('Characters (A–Z, a–z, 0–9, - and _).', { minimum: 16, maximum: 256, default: 64 }) }, { title: 'GeneratedSecret', description: 'Generated once by the operator and never again (not even when the spec changes).' }),
          secretsManager: object(
            {
              secretId: string('Name or ARN of the Secrets Manager secret.', { minLength: 1, maxLength: 2048 }),
              key: string('A key of the secret\'s JSON value; absent: the whole value.', { minLength: 1, maxLength: 1024 }),
            },
            { title: 'SecretsManagerRef', description: 'An existing AWS Secrets Manager secret.', required: ['secretId'] },
          ),
        },
        {
          title: 'SecretEntry',
          required: ['name'],
          rules: [
            { rule: 'has(self.generate) != has(self.secretsManager)', message: 'an entry needs exactly one of generate or secretsManager', check: (s) => (s.generate !== undefined) !== (s.secretsManager !== undefined) },
            {
              rule: `!(self.name in [${CONNECTION_KEYS.map((k) => `'${k}'`).join(', ')}])`,
              message: `name is a key of the connection Secret (${CONNECTION_KEYS.join(', ')})`,
              check: (s) => !CONNECTION_KEYS.includes(s.name),
              fieldPath: '.name',
            },
          ],
        },
      ),
      'The variables: each is generated or read from Secrets Manager.',
      { minItems: 1, maxItems: 50, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ),
  },
  {
    title: 'SecretsSpec',
    description: 'Application secrets (SESSION_SECRET, JWT_SECRET, API keys) as environment variables of the chosen components.',
    required: ['entries'],
    rules: [
      {
        rule: "(self.delivery == 'external-secrets') == has(self.secretStoreRef)",
        message: 'secretStoreRef is required with delivery external-secrets and not allowed otherwise',
        check: (s) => (s.delivery === 'external-secrets') === (s.secretStoreRef !== undefined),
      },
    ],
  },
);

/** Whether a component with this name exists in the spec (secrets.consumers). */
function componentExists(s: any, c: string): boolean {
  return c === 'backend' || (c === 'whatsapp' && s.whatsapp !== undefined) || (c === 'admin' && s.admin !== undefined)
    || (s.mcpServers ?? []).some((m: { name: string }) => `mcp-${m.name}` === c) || (s.services ?? []).some((x: { name: string }) => x.name === c);
}

/** The user env of a built-in consumer, where an application secret would shadow (or be shadowed by) a variable. */
const SECRET_CONSUMER_ENVS = ['backend', 'whatsapp', 'admin'] as const;

/**
 * Admin sign-in at the ALB (security/admin-auth): the AWS Load Balancer Controller's authentication
 * on the admin host's own Ingress; the API host stays token-authenticated by the app.
 */
const HTTPS_URL = '^https://[^\\s]+$';
const adminAuth = object(
  {
    cognito: object(
      {
        userPoolArn: string('An existing user pool.', { pattern: '^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[a-z0-9-]+_[0-9a-zA-Z]+$', maxLength: 2048 }),
        userPoolClientId: string('Its app client (with a secret, the code grant, the openid scope and the callback https://<adminHost>/oauth2/idpresponse).', { pattern: '^[\\w+]+$', maxLength: 128 }),
        userPoolDomain: string('Its domain: the prefix of <prefix>.auth.<region>.amazoncognito.com, or a custom domain.', { pattern: '^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$', maxLength: 253 }),
        create: object(
          { deletionPolicy: deletionPolicy('Retain', ['Retain', 'Delete']) },
          { title: 'CognitoCreateSpec', description: 'The operator creates the user pool, app client and domain (provisioner sdk). Retain by default: the pool holds the admins’ accounts.' },
        ),
      },
      {
        title: 'CognitoAuthSpec',
        description: 'Amazon Cognito: an existing user pool (userPoolArn, userPoolClientId, userPoolDomain) or one the operator creates (create).',
        rules: [
          {
            rule: 'has(self.create) ? !(has(self.userPoolArn) || has(self.userPoolClientId) || has(self.userPoolDomain)) : (has(self.userPoolArn) && has(self.userPoolClientId) && has(self.userPoolDomain))',
            message: 'cognito needs either create or all of userPoolArn, userPoolClientId and userPoolDomain',
            check: (s) => (s.create !== undefined ? [s.userPoolArn, s.userPoolClientId, s.userPoolDomain].every((v) => v === undefined) : [s.userPoolArn, s.userPoolClientId, s.userPoolDomain].every((v) => v !== undefined)),
          },
        ],
      },
    ),
    oidc: object(
      {
        issuer: string('The OIDC issuer identifier.', { pattern: HTTPS_URL, maxLength: 2048 }),
        authorizationEndpoint: string('The authorization endpoint.', { pattern: HTTPS_URL, maxLength: 2048 }),
        tokenEndpoint: string('The token endpoint.', { pattern: HTTPS_URL, maxLength: 2048 }),
        userInfoEndpoint: string('The user info endpoint.', { pattern: HTTPS_URL, maxLength: 2048 }),
        clientSecretRef: secretRef('Secret in the platform namespace with keys clientID and clientSecret (the AWS Load Balancer Controller reads it).'),
      },
      { title: 'OidcAuthSpec', description: 'Any OpenID Connect provider.', required: ['issuer', 'authorizationEndpoint', 'tokenEndpoint', 'userInfoEndpoint', 'clientSecretRef'] },
    ),
    scope: string('Claims requested from the identity provider, space-separated; must include openid.', { default: 'openid', pattern: '^[A-Za-z0-9_.:/-]+( [A-Za-z0-9_.:/-]+)*$', maxLength: 512 }),
    sessionTimeoutSeconds: integer('Longest sign-in session at the ALB.', { minimum: 1, maximum: 604800, default: 604800 }),
  },
  {
    title: 'AdminAuthSpec',
    description: 'Sign-in at the ALB in front of the admin host (needs adminHost): Cognito or any OIDC provider.',
    rules: [
      { rule: 'has(self.cognito) != has(self.oidc)', message: 'adminAuth needs exactly one of cognito or oidc', check: (s) => (s.cognito !== undefined) !== (s.oidc !== undefined) },
      { rule: "self.scope.matches('(^| )openid( |$)')", message: 'scope must include openid', check: (s) => /(^| )openid( |$)/.test(s.scope ?? 'openid'), fieldPath: '.scope' },
    ],
  },
);

export const specSchema: Schema = object(
  {
    environment: string('Free-text stage label (production, staging, …), added to labels and AWS tags.', {
      default: 'production',
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      maxLength: 40,
    }),
    paused: boolean('Stop all writes for this platform (maintenance, manual surgery).', { default: false }),
    provisioner: immutable(
      enumOf(PROVISIONERS, 'How AWS data services come to exist: ACK resources, AWS SDK calls, or existing endpoints.', { default: 'ack' }),
      'provisioner',
    ),
    aws: object(
      {
        region: immutable(string('AWS region of the data services.', { pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$' }), 'aws.region'),
        accountId: string('AWS account id, used in ARNs and bucket names.', { pattern: '^[0-9]{12}$' }),
        vpcId: string('VPC of the cluster and the data services.', { pattern: '^vpc-[0-9a-f]+$' }),
        subnetIds: array(string('Subnet id.', { pattern: '^subnet-[0-9a-z]+$' }), 'Private subnets (two or more AZs) for the data services.', {
          minItems: 2,
          maxItems: 16,
          'x-kubernetes-list-type': 'set',
        }),
        securityGroupIds: array(string('Security group id.', { pattern: '^sg-[0-9a-z]+$' }), 'Security groups allowed to reach the data services (the pods).', {
          minItems: 1,
          maxItems: 5,
          'x-kubernetes-list-type': 'set',
        }),
        tags: stringMap('Extra AWS tags on every cloud resource.'),
      },
      { title: 'AwsSpec', description: 'Where the AWS data services live.', required: ['region', 'subnetIds', 'securityGroupIds'] },
    ),
    backend: object(
      {
        image: image('backend (FastAPI, REST + WebSocket)'),
        port: port('backend', 8000),
        healthPath: string('HTTP path for probes and the ALB health check.', { default: '/health', pattern: '^/' }),
        // a default object must satisfy the CEL rules as written (the apiserver checks it unexpanded)
        autoscaling: { ...autoscaling(2, 10), default: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 } },
        resources: { ...resources, default: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } } },
        env,
        iamRoleArn: string('IAM role for the backend ServiceAccount (IRSA).', { pattern: IAM_ROLE_ARN }),
      },
      { title: 'BackendSpec', description: 'The FastAPI backend: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget.', required: ['image'], rules: [autoscalingNeedsCpuRequest] },
    ),
    whatsapp: object(
      {
        enabled: boolean('Run the WhatsApp gateway.', { default: true }),
        image: image('WhatsApp gateway (Baileys)'),
        port: port('WhatsApp gateway', 60007),
        authStorage: {
          ...object(
            {
              size: quantity('Requested size of the session-state volume at /app/auth_info.', {
                default: '1Gi',
                rules: [{ rule: "quantity(string(self)).isGreaterThan(quantity('0'))", message: 'size must be greater than zero', check: (s) => isPositiveQuantity(s) }],
              }),
              storageClassName: string('With provisioner external and no fileSystem.external: a StorageClass for the volume (empty: the cluster default).'),
            },
            { description: 'Persistent session state (EFS access point, mounted at /app/auth_info).' },
          ),
          default: {},
        },
        resources: { ...resources, default: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '512Mi' } } },
        env,
        iamRoleArn: string('IAM role for the gateway ServiceAccount (IRSA).', { pattern: IAM_ROLE_ARN }),
      },
      { title: 'WhatsappSpec', description: 'The WhatsApp gateway: a strict singleton (one pod, Recreate), its session state on EFS.', rules: requiredWhenEnabled(['image']) },
    ),
    mcpServers: array(
      object(
        { ...appService('MCP server', { resources: { cpu: '100m', memory: '256Mi' } }), iamRoleArn: string('IAM role (IRSA).', { pattern: IAM_ROLE_ARN }), ...managedIam },
        { title: 'McpServerSpec', required: ['name'], rules: [...requiredWhenEnabled(['image', 'port']), givenRoleExcludesManaged] },
      ),
      'MCP servers: one Deployment and Service each.',
      {
        maxItems: 20,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
    ),
    admin: object(
      {
        image: image('admin frontend'),
        port: port('admin frontend', 8080),
        replicas: integer('Replicas of the admin frontend.', { minimum: 0, maximum: 20, default: 2 }),
        healthPath: string('HTTP path for probes.', { default: '/', pattern: '^/' }),
        resources: { ...resources, default: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '128Mi' } } },
        env,
      },
      { title: 'AdminSpec', description: 'The admin frontend.', required: ['image'] },
    ),
    services: array(
      object({ ...appService('service', { healthPath: true, resources: { cpu: '250m', memory: '512Mi' } }), autoscaling: autoscaling(1, 3), iamRoleArn: string('IAM role (IRSA).', { pattern: IAM_ROLE_ARN }), ...managedIam }, {
        title: 'AppServiceSpec',
        required: ['name'],
        rules: [
          ...requiredWhenEnabled(['image', 'port']),
          autoscalingNeedsCpuRequest,
          givenRoleExcludesManaged,
          {
            rule: `!(self.name in [${RESERVED_SERVICE_NAMES.map((n) => `'${n}'`).join(', ')}]) && !self.name.startsWith('mcp-') && !self.name.startsWith('migrate-')`,
            message: 'name is reserved for a built-in component',
            check: (s) => !RESERVED_SERVICE_NAMES.includes(s.name) && !s.name.startsWith('mcp-') && !s.name.startsWith('migrate-'),
          },
        ],
      }),
      'Further app services (e.g. a Python chatbot): Deployment, Service, optional HorizontalPodAutoscaler.',
      { maxItems: 20, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ),
    ingress: object(
      {
        host: string('Public host of the API and WebSocket.', { pattern: HOSTNAME, maxLength: 253 }),
        adminHost: string('Public host of the admin frontend.', { pattern: HOSTNAME, maxLength: 253 }),
        certificateArn: string('ACM certificate for HTTPS.', { pattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$' }),
        idleTimeoutSeconds: integer('ALB idle timeout; long enough for WebSocket connections.', { minimum: 1, maximum: 4000, default: 600 }),
        scheme: enumOf(['internet-facing', 'internal'], 'ALB scheme.', { default: 'internet-facing' }),
        groupName: string('ALB IngressGroup to share one load balancer between platforms.', { pattern: '^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
        sslPolicy: string('ALB TLS policy.', { default: 'ELBSecurityPolicy-TLS13-1-2-2021-06' }),
        adminAuth,
      },
      {
        title: 'IngressSpec', description: 'The public ALB Ingress (HTTPS only).', required: ['host', 'certificateArn'],
        rules: [
          { rule: '!has(self.adminAuth) || has(self.adminHost)', message: 'ingress.adminAuth needs ingress.adminHost', check: (s) => s.adminAuth === undefined || s.adminHost !== undefined },
          {
            // the admin host's Ingress must share the API Ingress's ALB: an implicit group of our choosing
            // would move the API Ingress, and the controller would replace its ALB (and hostname)
            rule: '!has(self.adminAuth) || has(self.groupName)',
            message: 'ingress.adminAuth needs ingress.groupName: the admin host gets an Ingress of its own in that IngressGroup, sharing the API’s ALB (a running Ingress moved into another group gets a new ALB and hostname, so keep the groupName it has)',
            check: (s) => s.adminAuth === undefined || s.groupName !== undefined,
          },
        ],
      },
    ),
    database: object(
      {
        engine: immutable(enumOf(DATABASE_ENGINES, 'Database engine.', { default: 'postgres' }), 'database.engine'),
        version: string('Engine version, e.g. "16" or "8.0".', { pattern: '^[0-9]+(\\.[0-9]+)*$' }),
        instanceClass: string('Instance class (provisioned engines and Aurora without serverless).', { default: 'db.t4g.medium', pattern: '^db\\.[a-z0-9]+\\.[a-z0-9]+$' }),
        storageGiB: integer('Allocated storage (RDS only; Aurora grows by itself).', { minimum: 20, maximum: 65536, default: 20 }),
        maxStorageGiB: integer('Storage autoscaling ceiling (RDS only).', { minimum: 20, maximum: 65536 }),
        multiAZ: boolean('Standby in a second AZ (RDS) or a reader instance (Aurora).', { default: true }),
        backupRetentionDays: integer('Automated backup retention.', { minimum: 1, maximum: 35, default: 7 }),
        deletionProtection: boolean('AWS deletion protection. Default: on when environment is production.'),
        serverless: object(
          {
            minCapacity: number('Minimum Aurora capacity units.', { minimum: 0, maximum: 256, default: 0.5 }),
            maxCapacity: number('Maximum Aurora capacity units.', { minimum: 1, maximum: 256, default: 2 }),
          },
          {
            title: 'ServerlessSpec', description: 'Aurora Serverless v2 capacity range (Aurora engines only).',
            rules: [
              {
                rule: 'self.maxCapacity >= self.minCapacity',
                message: 'maxCapacity must be greater than or equal to minCapacity',
                check: (s) => s.maxCapacity >= s.minCapacity,
              },
            ],
          },
        ),
        name: immutable(string('Database created for the apps.', { default: 'booking', pattern: '^[a-zA-Z][a-zA-Z0-9_]*$', maxLength: 63 }), 'database.name'),
        username: immutable(string('Master user name.', { default: 'booking', pattern: '^[a-zA-Z][a-zA-Z0-9_]*$', maxLength: 16 }), 'database.username'),
        deletionPolicy: deletionPolicy('Snapshot'),
        credentials: object(
          {
            // immutable: ACK rds-controller v1.10.0 never sends a change of manageMasterUserPassword
            // to AWS (docs/data-safety.md), so both provisioners refuse the switch at the door
            mode: immutable(
              enumOf(['generated', 'managed'], 'generated: the operator generates the master password into a Kubernetes Secret. managed: RDS keeps it in AWS Secrets Manager (and rotates it); the operator reads it from there (ack and sdk only).', { default: 'generated' }),
              'database.credentials.mode',
            ),
          },
          { title: 'DatabaseCredentialsSpec', description: 'Where the master password lives.', default: {} },
        ),
        external: object({ secretRef: secretRef('Secret with keys host, port, dbname, username, password.') }, {
          description: 'An existing database (provisioner external).',
          required: ['secretRef'],
        }),
      },
      {
        title: 'DatabaseSpec', description: 'The relational database (RDS or Aurora).',
        required: ['version'],
        rules: [
          {
            rule: "!has(self.serverless) || self.engine.startsWith('aurora-')",
            message: 'serverless is only valid with engine aurora-postgresql or aurora-mysql',
            check: (s) => s.serverless === undefined || String(s.engine).startsWith('aurora-'),
          },
          {
            rule: '!has(self.maxStorageGiB) || self.maxStorageGiB >= self.storageGiB',
            message: 'maxStorageGiB must be greater than or equal to storageGiB',
            check: (s) => s.maxStorageGiB === undefined || s.maxStorageGiB >= s.storageGiB,
          },
        ],
      },
    ),
    cache: object(
      {
        engine: immutable(enumOf(['redis', 'valkey'], 'Cache engine.', { default: 'redis' }), 'cache.engine'),
        version: string('Engine version.', { default: '7.1', pattern: '^[0-9]+(\\.[0-9]+)*$' }),
        nodeType: string('ElastiCache node type.', { default: 'cache.t4g.micro', pattern: '^cache\\.[a-z0-9]+\\.[a-z0-9]+$' }),
        replicas: integer('Read replicas per shard; 1 or more enables automatic failover across AZs.', { minimum: 0, maximum: 5, default: 1 }),
        transitEncryption: boolean('TLS in transit (REDIS_URL becomes rediss://).', { default: true }),
        deletionPolicy: deletionPolicy('Delete', ['Retain', 'Delete']),
        external: object({ secretRef: secretRef('Secret with key url (redis:// or rediss://).') }, {
          description: 'An existing Redis (provisioner external).',
          required: ['secretRef'],
        }),
      },
      { title: 'CacheSpec', description: 'The ElastiCache Redis replication group.' },
    ),
    fileSystem: {
      ...object(
      {
        encrypted: immutable(boolean('Encryption at rest.', { default: true }), 'fileSystem.encrypted'),
        performanceMode: immutable(enumOf(['generalPurpose', 'maxIO'], 'EFS performance mode.', { default: 'generalPurpose' }), 'fileSystem.performanceMode'),
        throughputMode: enumOf(['bursting', 'elastic'], 'EFS throughput mode.', { default: 'elastic' }),
        deletionPolicy: deletionPolicy('Retain', ['Retain', 'Delete']),
        external: object(
          {
            fileSystemId: string('Existing EFS file system.', { pattern: '^fs-[0-9a-f]+$' }),
            accessPointId: string('Existing access point for the WhatsApp state.', { pattern: '^fsap-[0-9a-f]+$' }),
          },
          { description: 'An existing EFS file system (provisioner external).', required: ['fileSystemId'] },
        ),
      },
      { title: 'FileSystemSpec', description: 'The EFS file system holding the WhatsApp session state.' },
    ),
    default: {},
  },
    uploads: object(
      {
        enabled: boolean('Create the uploads bucket and grant the backend access.', { default: true }),
        bucketName: immutable(string('Bucket name (default: derived from namespace and name).', { pattern: BUCKET_NAME, minLength: 3, maxLength: 63, rules: BUCKET_NAME_RULES }), 'uploads.bucketName'),
        deletionPolicy: deletionPolicy('Retain', ['Retain', 'Delete']),
      },
      { title: 'UploadsSpec', description: 'A private, encrypted S3 bucket for uploaded files.' },
    ),
    sessionCleanup: object(
      {
        enabled: boolean('Run the cleanup CronJob.', { default: true }),
        schedule: string('Cron schedule.', { default: '0 */6 * * *', minLength: 9, maxLength: 100 }),
        command: array(string('Argument.'), 'Command run in the backend image.', { minItems: 1 }),
      },
      {
        title: 'SessionCleanupSpec', description: 'The session-cleanup CronJob (backend image).',
        rules: [
          ...requiredWhenEnabled(['command']),
          { rule: `!self.enabled || ${celCronSchedule('self.schedule')}`, message: CRON_MESSAGE, check: (s) => !s.enabled || isCronSchedule(s.schedule), fieldPath: '.schedule' },
        ],
      },
    ),
    migrations: object(
      {
        command: array(string('Argument.'), 'Command run in the backend image before the backend rolls out.', { minItems: 1 }),
        backoffLimit: integer('Retries of the migrations Job.', { minimum: 0, maximum: 10, default: 3 }),
      },
      { title: 'MigrationsSpec', description: 'The database migrations Job.', required: ['command'] },
    ),
    networkPolicy: {
      ...object({ enabled: boolean('Only the platform’s own components (and the ALB to the public ones) reach its pods.', { default: true }) }, {
        title: 'NetworkPolicySpec', description: 'NetworkPolicies for the platform.',
      }),
      default: {},
    },
    iam: object(
      {
        mode: enumOf(['managed'], 'managed: the operator creates one least-privilege IAM role per component that needs AWS (the backend; MCP servers and services with iamPolicy or bedrock) and deletes it with the platform.', { default: 'managed' }),
        trust: immutable(
          enumOf(['irsa', 'podIdentity'], 'How pods assume their role: irsa (ServiceAccount annotation, the cluster’s OIDC provider) or podIdentity (an EKS Pod Identity association per ServiceAccount).', { default: 'irsa' }),
          'iam.trust',
        ),
      },
      { title: 'IamSpec', description: 'IAM roles per component, created by the operator (ACK iam-controller or the IAM SDK, as provisioner says). A given iamRoleArn still wins.' },
    ),
    secrets: secretsSpec,
  },
  {
    title: 'BookingPlatformSpec', description: 'One tenant’s chat-and-booking platform.',
    required: ['backend'],
    rules: [
      {
        rule: "self.provisioner == 'external' || has(self.aws)",
        message: 'aws (region, subnetIds, securityGroupIds) is required unless provisioner is external',
        check: (s) => s.provisioner === 'external' || s.aws !== undefined,
      },
      {
        rule: "!has(self.database) || (self.provisioner == 'external') == has(self.database.external)",
        message: 'database.external is required with provisioner external and not allowed otherwise',
        check: (s) => s.database === undefined || (s.provisioner === 'external') === (s.database.external !== undefined),
      },
      {
        rule: "!has(self.database) || !has(self.database.credentials) || self.database.credentials.mode != 'managed' || self.provisioner != 'external'",
        message: 'database.credentials.mode managed needs provisioner ack or sdk (RDS manages the password); with provisioner external the credentials come from database.external.secretRef',
        check: (s) => s.database?.credentials?.mode !== 'managed' || s.provisioner !== 'external',
      },
      {
        rule: "!has(self.cache) || (self.provisioner == 'external') == has(self.cache.external)",
        message: 'cache.external is required with provisioner external and not allowed otherwise',
        check: (s) => s.cache === undefined || (s.provisioner === 'external') === (s.cache.external !== undefined),
      },
      {
        rule: "!has(self.fileSystem) || !has(self.fileSystem.external) || self.provisioner == 'external'",
        message: 'fileSystem.external is only allowed with provisioner external',
        check: (s) => s.fileSystem?.external === undefined || s.provisioner === 'external',
      },
      {
        rule: '!has(self.ingress) || !has(self.ingress.adminHost) || has(self.admin)',
        message: 'ingress.adminHost needs admin',
        check: (s) => s.ingress?.adminHost === undefined || s.admin !== undefined,
      },
      {
        rule: "!has(self.ingress) || !has(self.ingress.adminAuth) || !has(self.ingress.adminAuth.cognito) || !has(self.ingress.adminAuth.cognito.create) || self.provisioner == 'sdk'",
        message: 'ingress.adminAuth.cognito.create needs provisioner sdk',
        check: (s) => s.ingress?.adminAuth?.cognito?.create === undefined || s.provisioner === 'sdk',
      },
      {
        rule: "!has(self.uploads) || !self.uploads.enabled || self.provisioner != 'external' || has(self.uploads.bucketName)",
        message: 'uploads.bucketName is required with provisioner external',
        check: (s) => s.uploads === undefined || !s.uploads.enabled || s.provisioner !== 'external' || s.uploads.bucketName !== undefined,
      },
      {
        rule: "!has(self.iam) || self.provisioner != 'external'",
        message: 'iam needs provisioner ack or sdk (the roles are created through ACK or the AWS SDK)',
        check: (s) => s.iam === undefined || s.provisioner !== 'external',
      },
      {
        rule: '!has(self.iam) || (has(self.aws) && has(self.aws.accountId))',
        message: 'iam needs aws.accountId (the policies name this account’s ARNs)',
        check: (s) => s.iam === undefined || s.aws?.accountId !== undefined,
      },
      {
        rule: "!has(self.iam) || self.iam.trust != 'podIdentity' || self.provisioner == 'sdk'",
        message: 'iam.trust podIdentity needs provisioner sdk (the ACK iam-controller creates no Pod Identity associations)',
        check: (s) => s.iam === undefined || s.iam.trust !== 'podIdentity' || s.provisioner === 'sdk',
      },
      {
        rule: 'has(self.iam) || ((!has(self.mcpServers) || self.mcpServers.all(m, !has(m.iamPolicy) && !has(m.bedrock))) && (!has(self.services) || self.services.all(x, !has(x.iamPolicy) && !has(x.bedrock))))',
        message: 'iamPolicy and bedrock need iam (the operator creates the roles with iam.mode managed)',
        check: (s) => s.iam !== undefined || [...(s.mcpServers ?? []), ...(s.services ?? [])].every((e: { iamPolicy?: unknown; bedrock?: unknown }) => e.iamPolicy === undefined && e.bedrock === undefined),
      },
      {
        rule: "!has(self.secrets) || self.secrets.consumers.all(c, c == 'backend' || (c == 'whatsapp' && has(self.whatsapp)) || (c == 'admin' && has(self.admin)) || (has(self.mcpServers) && self.mcpServers.exists(m, 'mcp-' + m.name == c)) || (has(self.services) && self.services.exists(x, x.name == c)))",
        message: 'secrets.consumers names a component the spec does not have (backend, whatsapp, admin, mcp-<name>, a services[] name)',
        check: (s) => s.secrets === undefined || (s.secrets.consumers ?? []).every((c: string) => componentExists(s, c)),
      },
      {
        rule: `!has(self.secrets) || ${SECRET_CONSUMER_ENVS.map((c) => `!('${c}' in self.secrets.consumers && has(self.${c}) && has(self.${c}.env) && self.${c}.env.exists(e, self.secrets.entries.exists(x, x.name == e.name)))`).join(' && ')}`,
        message: 'secrets.entries repeats a variable of the env of a consumer (backend, whatsapp or admin)',
        check: (s) => s.secrets === undefined || SECRET_CONSUMER_ENVS.every((c) => !(s.secrets.consumers ?? []).includes(c) || !(s[c]?.env ?? []).some((e: { name: string }) => s.secrets.entries.some((x: { name: string }) => x.name === e.name))),
      },
    ],
  },
);

const condition = object(
  {
    type: string('Condition type.', { maxLength: 316 }),
    status: enumOf(['True', 'False', 'Unknown'], 'Condition status.'),
    observedGeneration: integer('Generation the condition was computed from.', { minimum: 0, format: 'int64' }),
    lastTransitionTime: string('When the status last changed.', { format: 'date-time' }),
    reason: string('CamelCase reason.', { maxLength: 1024, minLength: 1, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
    message: string('Human-readable detail.', { maxLength: 32768 }),
  },
  { title: 'Condition', required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
);

export const statusSchema: Schema = object(
  {
    observedGeneration: integer('The spec generation this status describes.', { format: 'int64' }),
    phase: enumOf(['Pending', 'Provisioning', 'Ready', 'Updating', 'Degraded', 'Failed', 'Paused', 'Deleting'], 'Summary of the conditions, for humans.'),
    conditions: array(condition, 'Ready, Reconciling, Stalled, DatabaseReady, CacheReady, FileSystemReady, WorkloadsReady.', {
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    }),
    endpoints: object(
      { api: string('Public API URL.'), admin: string('Admin URL.'), websocket: string('WebSocket URL.') },
      { description: 'Where the platform answers.' },
    ),
    components: array(
      object(
        {
          name: string('Component (backend, whatsapp, mcp-calendar, database, …).'),
          kind: string('Kind of the object behind it.'),
          ready: boolean('Whether it is ready.'),
          message: string('Why not, when not.'),
        },
        { title: 'ComponentStatus', required: ['name', 'kind', 'ready'] },
      ),
      'Per-component readiness.',
      { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ),
    released: array(
      object(
        {
          service: string('The section it came from (database, cache, fileSystem, uploads).'),
          resource: string('What stays in AWS: a retained resource or a final snapshot (kind and identifier).'),
          policy: string('The deletionPolicy that left it.'),
          secret: string('The Secret, no longer owned by the platform, with the credential that opens it.'),
        },
        { title: 'ReleasedResource', required: ['service', 'resource', 'policy'] },
      ),
      'AWS resources the operator created, let go of and left in place by their deletionPolicy: no longer managed, still billed.',
    ),
  },
  {
    title: 'BookingPlatformStatus',
    description: 'Observed state, written by the operator.',
    // served from the first moment (the apiserver defaults on every read; create drops a user's
    // status): generation 1 against 0 is "in progress" for kstatus, Flux and kubectl, where a
    // platform without status would read as current before the operator has even looked at it
    default: { observedGeneration: 0 },
  },
);

/** The root schema of the CRD; the root rule may read metadata.name. */
export const rootSchema: Schema = object(
  {
    apiVersion: string('API version.'),
    kind: string('Kind.'),
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
  {
    description: 'BookingPlatform: a chat-and-booking SaaS tenant on Amazon EKS.',
    required: ['spec'],
    rules: [
      {
        rule: 'self.metadata.name.size() <= 30',
        message: 'metadata.name must be at most 30 characters (it prefixes the names of child objects)',
        check: (s) => String(s.metadata?.name ?? '').length <= 30,
      },
      {
        // Services are named `<platform>-<component>` and must be DNS-1035 labels (no dots, a letter first)
        rule: `self.metadata.name.matches('${DNS_LABEL}')`,
        message: 'metadata.name must be a DNS-1035 label: lower case letters, digits and -, starting with a letter (it prefixes Service names)',
        check: (s) => new RegExp(DNS_LABEL).test(String(s.metadata?.name ?? '')),
      },
    ],
  },
);
