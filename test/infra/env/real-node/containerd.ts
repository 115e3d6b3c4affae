import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManagedProcess } from '../proc.js';
import { BRIDGE, CNI_NETWORK, IMAGES, POD_SUBNET, SERVICE_RANGE, BRIDGE_IP } from './layout.js';
import { shQuiet } from './sh.js';

export const containerdSocket = (nodeDir: string): string => path.join(nodeDir, 'containerd', 'containerd.sock');

/**
 * The CNI network: the pods' bridge with host-local addresses, a route to the Service range
 * through the bridge and no default route (nothing leaves the machine), no masquerading.
 */
function cniConfig(nodeDir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: POD_SUBNET, gateway: BRIDGE_IP }]],
          routes: [{ dst: SERVICE_RANGE }],
          dataDir: path.join(nodeDir, 'cni', 'ipam'),
        },
      },
    ],
  });
}

/**
 * containerd's configuration, with its root, state, socket and CNI configuration in the node's
 * directory. restrict_oom_score_adj: this VM lacks CAP_SYS_RESOURCE, so runc cannot give the
 * sandbox the score the kubelet asks for (-998). cgroup v1 here: cgroupfs, not systemd.
 */
function containerdConfig(nodeDir: string): string {
  const dir = path.join(nodeDir, 'containerd');
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = [${['aufs', 'btrfs', 'devmapper', 'zfs'].map((s) => `"io.containerd.snapshotter.v1.${s}"`).join(', ')}]

[grpc]
  address = "${containerdSocket(nodeDir)}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[${cri}]
  sandbox_image = "${IMAGES.pause}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"

[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${nodeDir}/cni/net.d"
  max_conf_num = 1

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "${dir}/runc"
`;
}

export async function startContainerd(nodeDir: string, logDir: string): Promise<ManagedProcess> {
  mkdirSync(path.join(nodeDir, 'cni', 'net.d'), { recursive: true });
  mkdirSync(path.join(nodeDir, 'containerd'), { recursive: true });
  writeFileSync(path.join(nodeDir, 'cni', 'net.d', `10-${CNI_NETWORK}.conflist`), cniConfig(nodeDir));
  const config = path.join(nodeDir, 'containerd', 'config.toml');
  writeFileSync(config, containerdConfig(nodeDir));
  const containerd = ManagedProcess.start('containerd', '/usr/bin/containerd', ['--config', config], { logDir });
  const socket = containerdSocket(nodeDir);
  await containerd.waitUntil('its socket answered', async () => shQuiet('ctr', ['--address', socket, 'version']), 30_000);
  return containerd;
}
