/** A protobuf map field (jspb.Map) as a plain Map, to iterate and compare. */
export function mapEntries<T>(m: { forEach(f: (v: T, k: string) => void): void }): Map<string, T> {
  const out = new Map<string, T>();
  m.forEach((v, k) => {
    out.set(k, v);
  });
  return out;
}

/** Byte-for-byte equality of two protobuf bytes fields; absent counts as empty. */
export const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  Buffer.from(a ?? new Uint8Array()).equals(Buffer.from(b ?? new Uint8Array()));
