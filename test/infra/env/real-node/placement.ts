import { NODE_NAME, TAINT } from './layout.js';

/** Where a pod goes to run on the real node: selected by its hostname label, tolerating its taint. */
export const realNodePlacement = (node: { name: string; taint: { key: string; effect: string } } = { name: NODE_NAME, taint: TAINT }) => ({
  nodeSelector: { 'kubernetes.io/hostname': node.name },
  tolerations: [{ key: node.taint.key, operator: 'Exists', effect: node.taint.effect }],
});

interface Container {
  image: string;
  imagePullPolicy?: string;
}

/**
 * A shipped manifest's pod spec made to run on the real node: placed there, and each image it
 * names replaced by the one built here (`images`: shipped reference → built reference), never pulled.
 */
export function onRealNode(spec: { initContainers?: Container[]; containers: Container[] }, images: Record<string, string>): void {
  Object.assign(spec, realNodePlacement());
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    c.image = images[c.image] ?? c.image;
    c.imagePullPolicy = 'Never';
  }
}
