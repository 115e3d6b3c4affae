import { binary } from '../binaries.js';
import { botArchive } from './bot-image.js';
import { caRecipe, ordererRecipe, peerRecipe } from './fabric-images.js';
import { IMAGES } from './layout.js';
import { chaincodeRecipe, nodeBaseRecipe, redisRecipe } from './node-images.js';
import { BUSYBOX, busyboxRootfs } from './rootfs.js';
import { shAsync } from './sh.js';
import { type ImageRecipe, recipeArchive, splitRef } from './umoci.js';

/** The images every real node has: the sandbox (pause) and busybox. */
const recipes = (): ImageRecipe[] => [
  { ref: IMAGES.pause, files: [[binary('pause'), 'pause']], entrypoint: ['/pause'] },
  { ref: IMAGES.busybox, files: [[BUSYBOX, 'bin/busybox']], entrypoint: ['/bin/sh'], fillRootfs: busyboxRootfs },
];

/** Images built on request (they take longer): Fabric's servers, the chaincode fixture, the bot, Redis. */
export const NODE_IMAGES = ['node', 'fabric-peer', 'fabric-orderer', 'fabric-ca', 'chaincode-basic', 'fabric-chatops', 'redis'] as const;
export type NodeImage = (typeof NODE_IMAGES)[number];

/** An image's OCI archive in the cache; `built`: this call built it (the cache did not have it). */
export interface BuiltImage {
  name: NodeImage;
  ref: string;
  file: string;
  built: boolean;
  ms: number;
}

const umociImages: Record<Exclude<NodeImage, 'fabric-chatops'>, () => ImageRecipe> = {
  node: nodeBaseRecipe,
  'fabric-peer': peerRecipe,
  'fabric-orderer': ordererRecipe,
  'fabric-ca': caRecipe,
  'chaincode-basic': chaincodeRecipe,
  redis: redisRecipe,
};

async function buildOne(name: NodeImage): Promise<BuiltImage> {
  if (!NODE_IMAGES.includes(name)) throw new Error(`no image ${name}; the images are ${NODE_IMAGES.join(', ')}`);
  const t0 = Date.now();
  if (name === 'fabric-chatops') {
    const base = await buildOne('node');
    return { name, ...(await botArchive(base)), ms: Date.now() - t0 };
  }
  const recipe = umociImages[name]();
  return { name, ref: recipe.ref, ...(await recipeArchive(recipe)), ms: Date.now() - t0 };
}

/** Builds (or finds in the cache) each image, one after the other: the machine is shared. */
export async function buildNodeImages(names: readonly NodeImage[]): Promise<BuiltImage[]> {
  const built: BuiltImage[] = [];
  for (const name of names) built.push(await buildOne(name));
  return built;
}

async function importArchive(containerdSocket: string, ref: string, file: string): Promise<void> {
  const [name] = splitRef(ref);
  const args = ['--address', containerdSocket, '--namespace', 'k8s.io', 'images', 'import', '--base-name', name, file];
  await shAsync('ctr', args, { timeoutMs: 300_000 });
}

/**
 * Imports the pause and busybox images, and the requested ones, into containerd's CRI
 * namespace; returns the requested images' references by name.
 */
export async function importImages(
  containerdSocket: string,
  extra: readonly NodeImage[] = [],
): Promise<Partial<Record<NodeImage, string>>> {
  for (const recipe of recipes()) await importArchive(containerdSocket, recipe.ref, (await recipeArchive(recipe)).file);
  const refs: Partial<Record<NodeImage, string>> = {};
  for (const image of await buildNodeImages(extra)) {
    await importArchive(containerdSocket, image.ref, image.file);
    refs[image.name] = image.ref;
  }
  return refs;
}
