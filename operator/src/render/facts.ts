/** Facts observed in the cluster or in AWS that the pure renderers need (all optional). */
export interface Facts {
  /** Hash of the connection Secret's content; rolls the pods when credentials or endpoints change. */
  connectionHash?: string;
  /** EFS file system and access point of the WhatsApp session state (from ACK status, SDK or spec). */
  fileSystemId?: string;
  accessPointId?: string;
  /** The Secret holding the database master password (the ledger's; a regenerated one has a new name). */
  masterSecretName?: string;
  /** IAM role ARN per component ServiceAccount (`backend`, `whatsapp`, `mcp-<name>`, a service's name), from managed roles (security/iam). */
  roleArns?: Record<string, string>;
  /**
   * Application secrets (security/secrets): each variable and the Secret holding it (only those
   * present there, so no pod waits on a missing key), the components that get them, and a hash of
   * the values that rolls those components when one changes.
   */
  appSecrets?: { env: Array<{ name: string; secretName: string }>; hash?: string; consumers: string[] };
  /**
   * Admin sign-in in place (security/admin-auth): the admin host's Ingress is rendered only with it,
   * so the admin frontend is never served without sign-in. `cognito`: the user pool the operator
   * created (ids only; its client secret stays in AWS, where the ALB reads it).
   */
  adminAuth?: { cognito?: { userPoolArn: string; userPoolClientId: string; userPoolDomain: string } };
}
