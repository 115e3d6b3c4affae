import { statSync } from 'node:fs';
import { buildNodeImages, NODE_IMAGES, type NodeImage } from './real-node/images.js';

// Builds the real node's on-request images into the cache (or finds them there), no registry:
//   npm run build:infra && node .build/test/infra/env/images-cli.js [image...]   (all by default)
// Rootful: umoci and buildah write files owned by other users. Prints each image's reference,
// archive, size (compressed layers) and whether it was built or taken from the cache.
const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !(NODE_IMAGES as readonly string[]).includes(a));
if (unknown.length > 0) throw new Error(`unknown images ${unknown.join(', ')}; the images are ${NODE_IMAGES.join(', ')}`);
const names = asked.length > 0 ? (asked as NodeImage[]) : NODE_IMAGES;
for (const image of await buildNodeImages(names)) {
  const mb = (statSync(image.file).size / 1e6).toFixed(1);
  const how = image.built ? 'built' : 'cached';
  console.log(`${image.ref}  ${mb} MB  ${how} in ${(image.ms / 1000).toFixed(1)} s  ${image.file}`);
}
