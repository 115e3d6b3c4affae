/**
 * Names and addresses of the one real node an environment may have. The node lives on its own
 * bridge, reachable from this machine only; the Service range is the API server's.
 */
export const NODE_NAME = 'fco-real-node';
export const BRIDGE = 'fco-cni0';
export const BRIDGE_IP = '10.244.0.1';
export const POD_SUBNET = '10.244.0.0/24';
export const SERVICE_RANGE = '10.0.0.0/24';
export const CLUSTER_DOMAIN = 'cluster.local';
/** The CNI network's name; containerd's CNI library caches results under it in /var/lib/cni. */
export const CNI_NETWORK = 'fabric-chatops';
/** Pods' cgroups go under this directory of every cgroup v1 hierarchy (kubelet's cgroupRoot). */
export const CGROUP_ROOT = 'fabric-chatops-node';
/** Keeps pods meant for kwok's fake nodes (images that exist nowhere) off the real node. */
export const TAINT = { key: 'fabric-chatops.dev/real-node', value: 'true', effect: 'NoSchedule' } as const;
/** Images imported into containerd; pods use them with imagePullPolicy: Never. */
export const IMAGES = { pause: 'fabric-chatops.local/pause:3.10.1', busybox: 'fabric-chatops.local/busybox:1.35' } as const;
/** Host-wide: the lock that lets one environment per machine have the real node, and its record. */
export const LOCK_FILE = '/run/fabric-chatops-real-node.json';
