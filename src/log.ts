import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACTED = '[Redacted]';

/** Keys whose values are secrets wherever they appear. */
const secretKey = /(secret|password|passwd|token|authorization|private_?key|privatekey|^key$|^keypem$|credentials|cookie)/i;

/** Secrets recognisable by their shape, even inside error messages and free text. */
const secretPatterns: RegExp[] = [
  /xox[abposre]-[A-Za-z0-9-]{6,}/g, // Slack bot, user, config and refresh tokens
  /xapp-[A-Za-z0-9-]{6,}/g, // Slack app-level tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /(enrollment_?secret|enrollmentSecret|secret)(["']?\s*[:=]\s*["']?)[^\s"',}&]+/gi, // key=value forms in text
  /(https?:\/\/[^:/\s]+:)[^@/\s]+@/g, // credentials embedded in URLs (enroll URLs: https://id:secret@ca)
];

export function scrubText(text: string): string {
  let out = text;
  for (const pattern of secretPatterns) {
    out = out.replace(pattern, (match: string, ...groups: unknown[]) => {
      const first = groups[0];
      const second = groups[1];
      if (pattern.source.startsWith('(https?')) return `${String(first)}${REDACTED}@`;
      if (typeof first === 'string' && typeof second === 'string' && /secret/i.test(first)) return `${first}${second}${REDACTED}`;
      return REDACTED;
    });
  }
  return out;
}

/** Deep copy with secret keys replaced and secret-shaped strings masked. */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  if (value instanceof Error) {
    return { type: value.name, message: scrubText(value.message), stack: value.stack === undefined ? undefined : scrubText(value.stack) };
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = secretKey.test(k) && v !== undefined && v !== null && v !== '' ? REDACTED : scrubSecrets(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function createLogger(opts: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      name: opts.name ?? 'fabric-chatops',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Serializers run before formatters; the err serializer must not let a raw stack through.
      serializers: { err: (e: unknown) => scrubSecrets(e), error: (e: unknown) => scrubSecrets(e) },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrubSecrets(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    destination,
  );
}
