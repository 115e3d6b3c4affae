/**
 * The labels the bot relies on to find a network's parts; the reference layout in
 * manifests/fabric-org/ sets them. Kubernetes' recommended app.kubernetes.io keys where one fits.
 */
export const LABELS = {
  partOf: 'app.kubernetes.io/part-of',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  network: 'fabric-chatops.io/network',
  org: 'fabric-chatops.io/org',
  identity: 'fabric-chatops.io/identity',
  chaincode: 'fabric-chatops.io/chaincode',
} as const;

export const PART_OF_FABRIC = 'hyperledger-fabric';
export const FIELD_MANAGER = 'fabric-chatops';

export type Component = 'ca' | 'peer' | 'orderer' | 'chaincode';

export const fabricSelector = `${LABELS.partOf}=${PART_OF_FABRIC}`;

/**
 * Set on a peer Pod by whatever runs it when the Pod's own DNS name is not how peers are reached
 * (the test environment's runner); otherwise the bot dials the org's peers.podAddress.
 */
export const PEER_ADDRESS_ANNOTATION = 'fabric-chatops.io/peer-address';
