// Generated from operator/src/api/schema.ts by `npm run generate`. Do not edit.

/** Where the AWS data services live. */
export interface AwsSpec {
  /** AWS region of the data services. */
  region: string;
  /** AWS account id, used in ARNs and bucket names. */
  accountId?: string;
  /** VPC of the cluster and the data services. */
  vpcId?: string;
  /** Private subnets (two or more AZs) for the data services. */
  subnetIds: Array<string>;
  /** Security groups allowed to reach the data services (the pods). */
  securityGroupIds: Array<string>;
  /** Extra AWS tags on every cloud resource. */
  tags?: Record<string, string>;
}

/** Horizontal autoscaling on CPU. Default: {"minReplicas":2,"maxReplicas":10,"targetCPUUtilizationPercentage":70}. */
export interface AutoscalingSpec {
  /** Fewest replicas the HorizontalPodAutoscaler keeps. Default: 2. */
  minReplicas: number;
  /** Most replicas the HorizontalPodAutoscaler scales to. Default: 10. */
  maxReplicas: number;
  /** Average CPU utilization (of requests) the autoscaler aims for. Default: 70. */
  targetCPUUtilizationPercentage: number;
}

/** Compute resources of the container. Default: {"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"memory":"1Gi"}}. */
export interface Resources {
  /** Requested resources (cpu, memory, ephemeral-storage). */
  requests?: Record<string, string | number>;
  /** Resource limits. A memory limit equal to the request is recommended. */
  limits?: Record<string, string | number>;
}

export interface EnvVar {
  /** Variable name. */
  name: string;
  /** Literal value. Never put secrets here: use valueFrom.secretKeyRef. */
  value?: string;
  /** Take the value from a Secret or ConfigMap key. */
  valueFrom?: {
    secretKeyRef?: {
      /** Name of the Secret. */
      name: string;
      /** Key in the Secret. */
      key: string;
      /** Whether the reference may be missing. */
      optional?: boolean;
    };
    configMapKeyRef?: {
      /** Name of the ConfigMap. */
      name: string;
      /** Key in the ConfigMap. */
      key: string;
      /** Whether the reference may be missing. */
      optional?: boolean;
    };
  };
}

/** The FastAPI backend: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget. */
export interface BackendSpec {
  /** Container image of the backend (FastAPI, REST + WebSocket), pinned by tag or digest. */
  image: string;
  /** Container port the backend listens on. Default: 8000. */
  port: number;
  /** HTTP path for probes and the ALB health check. Default: "/health". */
  healthPath: string;
  /** Horizontal autoscaling on CPU. Default: {"minReplicas":2,"maxReplicas":10,"targetCPUUtilizationPercentage":70}. */
  autoscaling: AutoscalingSpec;
  /** Compute resources of the container. Default: {"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"memory":"1Gi"}}. */
  resources: Resources;
  /** Extra environment variables for the container. */
  env?: Array<EnvVar>;
  /** IAM role for the backend ServiceAccount (IRSA). */
  iamRoleArn?: string;
}

/** The WhatsApp gateway: a strict singleton (one pod, Recreate), its session state on EFS. */
export interface WhatsappSpec {
  /** Run the WhatsApp gateway. Default: true. */
  enabled: boolean;
  /** Container image of the WhatsApp gateway (Baileys), pinned by tag or digest. */
  image?: string;
  /** Container port the WhatsApp gateway listens on. Default: 60007. */
  port: number;
  /** Persistent session state (EFS access point, mounted at /app/auth_info). Default: {}. */
  authStorage: {
    /** Requested size of the session-state volume at /app/auth_info. Default: "1Gi". */
    size: string | number;
    /** With provisioner external and no fileSystem.external: a StorageClass for the volume (empty: the cluster default). */
    storageClassName?: string;
  };
  /** Compute resources of the container. Default: {"requests":{"cpu":"250m","memory":"512Mi"},"limits":{"memory":"512Mi"}}. */
  resources: Resources;
  /** Extra environment variables for the container. */
  env?: Array<EnvVar>;
  /** IAM role for the gateway ServiceAccount (IRSA). */
  iamRoleArn?: string;
}

export interface IamStatement {
  /** Allow or Deny. Default: "Allow". */
  effect: "Allow" | "Deny";
  /** Actions. */
  actions: Array<string>;
  /** Resources. */
  resources: Array<string>;
}

/** The inline policy of this component’s managed role (needs iam). */
export interface IamPolicySpec {
  /** Statements of the role’s inline policy. */
  statements: Array<IamStatement>;
}

/** Bedrock access of this component’s managed role (needs iam): the actions on exactly these models and agents. */
export interface BedrockSpec {
  /** Actions on the models (Converse and ConverseStream are authorized by these two). Default: ["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"]. */
  actions: Array<string>;
  /** Foundation models in aws.region (the ARNs are built from the ids). */
  modelIds?: Array<string>;
  /** Models and inference profiles by ARN. */
  modelArns?: Array<string>;
  /** Agent aliases this component may call (bedrock:InvokeAgent). */
  agentAliasArns?: Array<string>;
}

export interface McpServerSpec {
  /** Name of the MCP server; prefixes its Deployment and Service names. */
  name: string;
  /** Container image of the MCP server, pinned by tag or digest. */
  image?: string;
  /** Container port the MCP server listens on. */
  port?: number;
  /** Set false to keep the entry but run nothing (its objects are pruned). Default: true. */
  enabled: boolean;
  /** Replicas when autoscaling is not set. Default: 1. */
  replicas: number;
  /** Compute resources of the container. Default: {"requests":{"cpu":"100m","memory":"256Mi"},"limits":{"memory":"256Mi"}}. */
  resources: Resources;
  /** Extra environment variables for the container. */
  env?: Array<EnvVar>;
  /** IAM role (IRSA). */
  iamRoleArn?: string;
  /** The inline policy of this component’s managed role (needs iam). */
  iamPolicy?: IamPolicySpec;
  /** Bedrock access of this component’s managed role (needs iam): the actions on exactly these models and agents. */
  bedrock?: BedrockSpec;
}

/** The admin frontend. */
export interface AdminSpec {
  /** Container image of the admin frontend, pinned by tag or digest. */
  image: string;
  /** Container port the admin frontend listens on. Default: 8080. */
  port: number;
  /** Replicas of the admin frontend. Default: 2. */
  replicas: number;
  /** HTTP path for probes. Default: "/". */
  healthPath: string;
  /** Compute resources of the container. Default: {"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"128Mi"}}. */
  resources: Resources;
  /** Extra environment variables for the container. */
  env?: Array<EnvVar>;
}

export interface AppServiceSpec {
  /** Name of the service; prefixes its Deployment and Service names. */
  name: string;
  /** Container image of the service, pinned by tag or digest. */
  image?: string;
  /** Container port the service listens on. */
  port?: number;
  /** Set false to keep the entry but run nothing (its objects are pruned). Default: true. */
  enabled: boolean;
  /** Replicas when autoscaling is not set. Default: 1. */
  replicas: number;
  /** HTTP path for readiness and liveness probes; TCP probes when empty. */
  healthPath?: string;
  /** Compute resources of the container. Default: {"requests":{"cpu":"250m","memory":"512Mi"},"limits":{"memory":"512Mi"}}. */
  resources: Resources;
  /** Extra environment variables for the container. */
  env?: Array<EnvVar>;
  /** Horizontal autoscaling on CPU. */
  autoscaling?: AutoscalingSpec;
  /** IAM role (IRSA). */
  iamRoleArn?: string;
  /** The inline policy of this component’s managed role (needs iam). */
  iamPolicy?: IamPolicySpec;
  /** Bedrock access of this component’s managed role (needs iam): the actions on exactly these models and agents. */
  bedrock?: BedrockSpec;
}

/** The operator creates the user pool, app client and domain (provisioner sdk). Retain by default: the pool holds the admins’ accounts. */
export interface CognitoCreateSpec {
  /** What happens to the cloud resource when the platform is deleted (default Retain). Default: "Retain". */
  deletionPolicy: "Retain" | "Delete";
}

/** Amazon Cognito: an existing user pool (userPoolArn, userPoolClientId, userPoolDomain) or one the operator creates (create). */
export interface CognitoAuthSpec {
  /** An existing user pool. */
  userPoolArn?: string;
  /** Its app client (with a secret, the code grant, the openid scope and the callback https://<adminHost>/oauth2/idpresponse). */
  userPoolClientId?: string;
  /** Its domain: the prefix of <prefix>.auth.<region>.amazoncognito.com, or a custom domain. */
  userPoolDomain?: string;
  /** The operator creates the user pool, app client and domain (provisioner sdk). Retain by default: the pool holds the admins’ accounts. */
  create?: CognitoCreateSpec;
}

/** Secret in the platform namespace with keys clientID and clientSecret (the AWS Load Balancer Controller reads it). */
export interface SecretReference {
  /** Name of the Secret in the platform namespace. */
  name: string;
}

/** Any OpenID Connect provider. */
export interface OidcAuthSpec {
  /** The OIDC issuer identifier. */
  issuer: string;
  /** The authorization endpoint. */
  authorizationEndpoint: string;
  /** The token endpoint. */
  tokenEndpoint: string;
  /** The user info endpoint. */
  userInfoEndpoint: string;
  /** Secret in the platform namespace with keys clientID and clientSecret (the AWS Load Balancer Controller reads it). */
  clientSecretRef: SecretReference;
}

/** Sign-in at the ALB in front of the admin host (needs adminHost): Cognito or any OIDC provider. */
export interface AdminAuthSpec {
  /** Amazon Cognito: an existing user pool (userPoolArn, userPoolClientId, userPoolDomain) or one the operator creates (create). */
  cognito?: CognitoAuthSpec;
  /** Any OpenID Connect provider. */
  oidc?: OidcAuthSpec;
  /** Claims requested from the identity provider, space-separated; must include openid. Default: "openid". */
  scope: string;
  /** Longest sign-in session at the ALB. Default: 604800. */
  sessionTimeoutSeconds: number;
}

/** The public ALB Ingress (HTTPS only). */
export interface IngressSpec {
  /** Public host of the API and WebSocket. */
  host: string;
  /** Public host of the admin frontend. */
  adminHost?: string;
  /** ACM certificate for HTTPS. */
  certificateArn: string;
  /** ALB idle timeout; long enough for WebSocket connections. Default: 600. */
  idleTimeoutSeconds: number;
  /** ALB scheme. Default: "internet-facing". */
  scheme: "internet-facing" | "internal";
  /** ALB IngressGroup to share one load balancer between platforms. */
  groupName?: string;
  /** ALB TLS policy. Default: "ELBSecurityPolicy-TLS13-1-2-2021-06". */
  sslPolicy: string;
  /** Sign-in at the ALB in front of the admin host (needs adminHost): Cognito or any OIDC provider. */
  adminAuth?: AdminAuthSpec;
}

/** Aurora Serverless v2 capacity range (Aurora engines only). */
export interface ServerlessSpec {
  /** Minimum Aurora capacity units. Default: 0.5. */
  minCapacity: number;
  /** Maximum Aurora capacity units. Default: 2. */
  maxCapacity: number;
}

/** Where the master password lives. Default: {}. */
export interface DatabaseCredentialsSpec {
  /** generated: the operator generates the master password into a Kubernetes Secret. managed: RDS keeps it in AWS Secrets Manager (and rotates it); the operator reads it from there (ack and sdk only). Default: "generated". */
  mode: "generated" | "managed";
}

/** The relational database (RDS or Aurora). */
export interface DatabaseSpec {
  /** Database engine. Default: "postgres". */
  engine: "postgres" | "mysql" | "aurora-postgresql" | "aurora-mysql";
  /** Engine version, e.g. "16" or "8.0". */
  version: string;
  /** Instance class (provisioned engines and Aurora without serverless). Default: "db.t4g.medium". */
  instanceClass: string;
  /** Allocated storage (RDS only; Aurora grows by itself). Default: 20. */
  storageGiB: number;
  /** Storage autoscaling ceiling (RDS only). */
  maxStorageGiB?: number;
  /** Standby in a second AZ (RDS) or a reader instance (Aurora). Default: true. */
  multiAZ: boolean;
  /** Automated backup retention. Default: 7. */
  backupRetentionDays: number;
  /** AWS deletion protection. Default: on when environment is production. */
  deletionProtection?: boolean;
  /** Aurora Serverless v2 capacity range (Aurora engines only). */
  serverless?: ServerlessSpec;
  /** Database created for the apps. Default: "booking". */
  name: string;
  /** Master user name. Default: "booking". */
  username: string;
  /** What happens to the cloud resource when the platform is deleted (default Snapshot). Default: "Snapshot". */
  deletionPolicy: "Snapshot" | "Retain" | "Delete";
  /** Where the master password lives. Default: {}. */
  credentials: DatabaseCredentialsSpec;
  /** An existing database (provisioner external). */
  external?: {
    /** Secret with keys host, port, dbname, username, password. */
    secretRef: SecretReference;
  };
}

/** The ElastiCache Redis replication group. */
export interface CacheSpec {
  /** Cache engine. Default: "redis". */
  engine: "redis" | "valkey";
  /** Engine version. Default: "7.1". */
  version: string;
  /** ElastiCache node type. Default: "cache.t4g.micro". */
  nodeType: string;
  /** Read replicas per shard; 1 or more enables automatic failover across AZs. Default: 1. */
  replicas: number;
  /** TLS in transit (REDIS_URL becomes rediss://). Default: true. */
  transitEncryption: boolean;
  /** What happens to the cloud resource when the platform is deleted (default Delete). Default: "Delete". */
  deletionPolicy: "Retain" | "Delete";
  /** An existing Redis (provisioner external). */
  external?: {
    /** Secret with key url (redis:// or rediss://). */
    secretRef: SecretReference;
  };
}

/** The EFS file system holding the WhatsApp session state. Default: {}. */
export interface FileSystemSpec {
  /** Encryption at rest. Default: true. */
  encrypted: boolean;
  /** EFS performance mode. Default: "generalPurpose". */
  performanceMode: "generalPurpose" | "maxIO";
  /** EFS throughput mode. Default: "elastic". */
  throughputMode: "bursting" | "elastic";
  /** What happens to the cloud resource when the platform is deleted (default Retain). Default: "Retain". */
  deletionPolicy: "Retain" | "Delete";
  /** An existing EFS file system (provisioner external). */
  external?: {
    /** Existing EFS file system. */
    fileSystemId: string;
    /** Existing access point for the WhatsApp state. */
    accessPointId?: string;
  };
}

/** A private, encrypted S3 bucket for uploaded files. */
export interface UploadsSpec {
  /** Create the uploads bucket and grant the backend access. Default: true. */
  enabled: boolean;
  /** Bucket name (default: derived from namespace and name). */
  bucketName?: string;
  /** What happens to the cloud resource when the platform is deleted (default Retain). Default: "Retain". */
  deletionPolicy: "Retain" | "Delete";
}

/** The session-cleanup CronJob (backend image). */
export interface SessionCleanupSpec {
  /** Run the cleanup CronJob. Default: true. */
  enabled: boolean;
  /** Cron schedule. Default: "0 *\/6 * * *". */
  schedule: string;
  /** Command run in the backend image. */
  command?: Array<string>;
}

/** The database migrations Job. */
export interface MigrationsSpec {
  /** Command run in the backend image before the backend rolls out. */
  command: Array<string>;
  /** Retries of the migrations Job. Default: 3. */
  backoffLimit: number;
}

/** NetworkPolicies for the platform. Default: {}. */
export interface NetworkPolicySpec {
  /** Only the platform’s own components (and the ALB to the public ones) reach its pods. Default: true. */
  enabled: boolean;
}

/** IAM roles per component, created by the operator (ACK iam-controller or the IAM SDK, as provisioner says). A given iamRoleArn still wins. */
export interface IamSpec {
  /** managed: the operator creates one least-privilege IAM role per component that needs AWS (the backend; MCP servers and services with iamPolicy or bedrock) and deletes it with the platform. Default: "managed". */
  mode: "managed";
  /** How pods assume their role: irsa (ServiceAccount annotation, the cluster’s OIDC provider) or podIdentity (an EKS Pod Identity association per ServiceAccount). Default: "irsa". */
  trust: "irsa" | "podIdentity";
}

/** The External Secrets Operator store that reads Secrets Manager (delivery external-secrets). */
export interface SecretStoreRef {
  /** Name of the SecretStore or ClusterSecretStore. */
  name: string;
  /** Kind of the store. Default: "SecretStore". */
  kind: "SecretStore" | "ClusterSecretStore";
}

/** Generated once by the operator and never again (not even when the spec changes). */
export interface GeneratedSecret {
  /** Characters (A–Z, a–z, 0–9, - and _). Default: 64. */
  length: number;
}

/** An existing AWS Secrets Manager secret. */
export interface SecretsManagerRef {
  /** Name or ARN of the Secrets Manager secret. */
  secretId: string;
  /** A key of the secret's JSON value; absent: the whole value. */
  key?: string;
}

export interface SecretEntry {
  /** Environment variable name, and key in the Secret. */
  name: string;
  /** Generated once by the operator and never again (not even when the spec changes). */
  generate?: GeneratedSecret;
  /** An existing AWS Secrets Manager secret. */
  secretsManager?: SecretsManagerRef;
}

/** Application secrets (SESSION_SECRET, JWT_SECRET, API keys) as environment variables of the chosen components. */
export interface SecretsSpec {
  /** Components whose containers get every entry as an environment variable. Default: ["backend"]. */
  consumers: Array<string>;
  /** Who copies secretsManager entries into the cluster: the operator itself, or External Secrets Operator (an ExternalSecret is rendered). Default: "operator". */
  delivery: "operator" | "external-secrets";
  /** How often secretsManager entries are read again (the ExternalSecret's refreshInterval with external-secrets). Default: 3600. */
  refreshIntervalSeconds: number;
  /** The External Secrets Operator store that reads Secrets Manager (delivery external-secrets). */
  secretStoreRef?: SecretStoreRef;
  /** The variables: each is generated or read from Secrets Manager. */
  entries: Array<SecretEntry>;
}

/** One tenant’s chat-and-booking platform. */
export interface BookingPlatformSpec {
  /** Free-text stage label (production, staging, …), added to labels and AWS tags. Default: "production". */
  environment: string;
  /** Stop all writes for this platform (maintenance, manual surgery). Default: false. */
  paused: boolean;
  /** How AWS data services come to exist: ACK resources, AWS SDK calls, or existing endpoints. Default: "ack". */
  provisioner: "ack" | "sdk" | "external";
  /** Where the AWS data services live. */
  aws?: AwsSpec;
  /** The FastAPI backend: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget. */
  backend: BackendSpec;
  /** The WhatsApp gateway: a strict singleton (one pod, Recreate), its session state on EFS. */
  whatsapp?: WhatsappSpec;
  /** MCP servers: one Deployment and Service each. */
  mcpServers?: Array<McpServerSpec>;
  /** The admin frontend. */
  admin?: AdminSpec;
  /** Further app services (e.g. a Python chatbot): Deployment, Service, optional HorizontalPodAutoscaler. */
  services?: Array<AppServiceSpec>;
  /** The public ALB Ingress (HTTPS only). */
  ingress?: IngressSpec;
  /** The relational database (RDS or Aurora). */
  database?: DatabaseSpec;
  /** The ElastiCache Redis replication group. */
  cache?: CacheSpec;
  /** The EFS file system holding the WhatsApp session state. Default: {}. */
  fileSystem: FileSystemSpec;
  /** A private, encrypted S3 bucket for uploaded files. */
  uploads?: UploadsSpec;
  /** The session-cleanup CronJob (backend image). */
  sessionCleanup?: SessionCleanupSpec;
  /** The database migrations Job. */
  migrations?: MigrationsSpec;
  /** NetworkPolicies for the platform. Default: {}. */
  networkPolicy: NetworkPolicySpec;
  /** IAM roles per component, created by the operator (ACK iam-controller or the IAM SDK, as provisioner says). A given iamRoleArn still wins. */
  iam?: IamSpec;
  /** Application secrets (SESSION_SECRET, JWT_SECRET, API keys) as environment variables of the chosen components. */
  secrets?: SecretsSpec;
}

export interface Condition {
  /** Condition type. */
  type: string;
  /** Condition status. */
  status: "True" | "False" | "Unknown";
  /** Generation the condition was computed from. */
  observedGeneration?: number;
  /** When the status last changed. */
  lastTransitionTime: string;
  /** CamelCase reason. */
  reason: string;
  /** Human-readable detail. */
  message: string;
}

export interface ComponentStatus {
  /** Component (backend, whatsapp, mcp-calendar, database, …). */
  name: string;
  /** Kind of the object behind it. */
  kind: string;
  /** Whether it is ready. */
  ready: boolean;
  /** Why not, when not. */
  message?: string;
}

export interface ReleasedResource {
  /** The section it came from (database, cache, fileSystem, uploads). */
  service: string;
  /** What stays in AWS: a retained resource or a final snapshot (kind and identifier). */
  resource: string;
  /** The deletionPolicy that left it. */
  policy: string;
  /** The Secret, no longer owned by the platform, with the credential that opens it. */
  secret?: string;
}

/** Observed state, written by the operator. Default: {"observedGeneration":0}. */
export interface BookingPlatformStatus {
  /** The spec generation this status describes. */
  observedGeneration?: number;
  /** Summary of the conditions, for humans. */
  phase?: "Pending" | "Provisioning" | "Ready" | "Updating" | "Degraded" | "Failed" | "Paused" | "Deleting";
  /** Ready, Reconciling, Stalled, DatabaseReady, CacheReady, FileSystemReady, WorkloadsReady. */
  conditions?: Array<Condition>;
  /** Where the platform answers. */
  endpoints?: {
    /** Public API URL. */
    api?: string;
    /** Admin URL. */
    admin?: string;
    /** WebSocket URL. */
    websocket?: string;
  };
  /** Per-component readiness. */
  components?: Array<ComponentStatus>;
  /** AWS resources the operator created, let go of and left in place by their deletionPolicy: no longer managed, still billed. */
  released?: Array<ReleasedResource>;
}

/** A BookingPlatform as stored by the apiserver (after defaulting). */
export interface BookingPlatform {
  apiVersion: 'platform.booking.io/v1alpha1';
  kind: 'BookingPlatform';
  metadata: ObjectMeta;
  spec: BookingPlatformSpec;
  status?: BookingPlatformStatus;
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
