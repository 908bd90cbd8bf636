/** Facts observed in the cluster or in AWS that the pure renderers need (all optional). */
export interface Facts {
  /** Hash of the connection Secret's content; rolls the pods when credentials or endpoints change. */
  connectionHash?: string;
  /** EFS file system and access point of the WhatsApp session state (from ACK status, SDK or spec). */
  fileSystemId?: string;
  accessPointId?: string;
  /** The Secret holding the database master password (the ledger's; a regenerated one has a new name). */
  masterSecretName?: string;
}
