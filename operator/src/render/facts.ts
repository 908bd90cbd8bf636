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
  /** Application secrets (security/secrets): the Secret consumers read, its keys, and a hash of its content that rolls them. */
  appSecrets?: { secretName: string; keys: string[]; hash?: string; consumers: string[] };
  /** Admin sign-in the operator created (security/admin-auth), for the admin Ingress's annotations. */
  adminAuth?: { userPoolArn: string; userPoolClientId: string; userPoolDomain: string };
}
