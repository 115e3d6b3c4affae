import { readFileSync } from 'node:fs';
import path from 'node:path';
import { binary, type Binary, fabricConfigDir, fabricWrapper, infraDir } from '../binaries.js';
import {
  BUSYBOX,
  busyboxRootfs,
  copyTree,
  glibcRootfs,
  IMAGE_UID,
  type ImageUser,
  ownedDirs,
  sharedLibraries,
  writeAccounts,
} from './rootfs.js';
import type { ImageRecipe } from './umoci.js';

const USER: ImageUser = { name: 'fabric', uid: IMAGE_UID, home: '/var/hyperledger' };
/** Where Fabric's own images keep these, so Fabric's sample configuration applies unchanged. */
const CONFIG_DIR = '/etc/hyperledger/fabric';
const CCAAS_BUILDER = '/opt/hyperledger/ccaas_builder';
const DATA_DIR = '/var/hyperledger/production';
const CA_HOME = '/etc/hyperledger/fabric-ca-server';

/**
 * The version an image is tagged with: Fabric's as its binaries report it (2.5.9, or
 * 3.0.0-snapshot-695dd57e01c2; test/infra/<wrapper>/VERSION), Fabric CA's from its cache
 * directory's name (fabric-ca-v1.5.22).
 */
const versionOf = (program: Binary): string => {
  if (program !== 'fabric-ca-server') return readFileSync(path.join(infraDir, fabricWrapper(), 'VERSION'), 'utf8').trim();
  const dir = path.basename(path.dirname(binary(program)));
  return dir.slice(dir.lastIndexOf('-') + 1);
};

/**
 * A Fabric program, linked against glibc, with the host's libc and loader beside it, busybox for
 * a shell (the external builders are shell scripts), and a non-root user owning the data dirs.
 */
function fabricRecipe(
  image: string,
  program: Binary,
  opts: { cmd: string[]; env: string[]; dirs: string[]; inputs?: string[]; fill?: (rootfs: string) => void; alongside?: Binary[] },
): ImageRecipe {
  const file = binary(program);
  const others = (opts.alongside ?? []).map((b) => [binary(b), `usr/local/bin/${b}`] as [string, string]);
  const programs = [file, ...others.map(([f]) => f)];
  return {
    ref: `fabric-chatops.local/${image}:${versionOf(program)}`,
    files: [[BUSYBOX, 'bin/busybox'], [file, `usr/local/bin/${program}`], ...others],
    entrypoint: [],
    cmd: opts.cmd,
    env: opts.env,
    user: `${USER.uid}:${USER.uid}`,
    workdir: USER.home,
    inputs: [...new Set(programs.flatMap(sharedLibraries)), ...(opts.inputs ?? [])],
    recipes: ['fabric-images.ts'],
    fillRootfs: (rootfs) => {
      busyboxRootfs(rootfs);
      writeAccounts(rootfs, USER);
      glibcRootfs(rootfs, programs);
      ownedDirs(rootfs, USER, opts.dirs);
      opts.fill?.(rootfs);
    },
  };
}

/** core.yaml and orderer.yaml (Fabric's sample configuration, as build.sh copies it). */
const withConfig = (rootfs: string): void => copyTree(fabricConfigDir(), rootfs, CONFIG_DIR);

/** The peer, with the chaincode-as-a-service builder where core.yaml's externalBuilders names it. */
export const peerRecipe = (): ImageRecipe =>
  fabricRecipe('fabric-peer', 'peer', {
    cmd: ['peer', 'node', 'start'],
    env: [`FABRIC_CFG_PATH=${CONFIG_DIR}`],
    dirs: [DATA_DIR],
    inputs: [fabricConfigDir(), path.join(infraDir, 'ccaas-builder')],
    fill: (rootfs) => {
      withConfig(rootfs);
      copyTree(path.join(infraDir, 'ccaas-builder'), rootfs, CCAAS_BUILDER);
    },
  });

export const ordererRecipe = (): ImageRecipe =>
  fabricRecipe('fabric-orderer', 'orderer', {
    cmd: ['orderer'],
    env: [`FABRIC_CFG_PATH=${CONFIG_DIR}`],
    dirs: [`${DATA_DIR}/orderer`],
    inputs: [fabricConfigDir()],
    fill: withConfig,
  });

/**
 * fabric-ca-server (cgo: sqlite) with its home, where it writes its database and keys, the user's;
 * fabric-ca-client beside it, as in Hyperledger's image (an operator enrolls the first registrar
 * from inside the pod: see README, Deploy on Kubernetes).
 */
export const caRecipe = (): ImageRecipe =>
  fabricRecipe('fabric-ca', 'fabric-ca-server', {
    alongside: ['fabric-ca-client'],
    cmd: ['fabric-ca-server', 'start'],
    env: [`FABRIC_CA_HOME=${CA_HOME}`, `FABRIC_CA_SERVER_HOME=${CA_HOME}`],
    dirs: [CA_HOME],
  });
