import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACTED = '[Redacted]';

/** Keys whose values are secrets wherever they appear (the identity fields included: keyPem, tlsKeyPem, key.pem, tls.key). */
const secretKey =
  /(secret|password|passwd|pwd|token|authorization|private_?key|privatekey|^key$|keypem$|^(tls\.)?key(\.pem)?$|credentials|cookie)/i;

/**
 * Secrets recognisable by their shape, even inside error messages, free text and pod logs. Each
 * pattern's first group is what stays (the name before the secret), or none: all of it goes.
 */
const secretPatterns: RegExp[] = [
  /xox[abposre]-[A-Za-z0-9-]{6,}/g, // Slack bot, user, config and refresh tokens
  /xapp-[A-Za-z0-9-]{6,}/g, // Slack app-level tokens
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /LS0tLS1CRUdJTi[A-Za-z0-9+/=]*/g, // a PEM block in base64 ("-----BEGIN"), as Secrets and kubeconfigs hold them
  // "name": "a quoted value, spaces and all"
  new RegExp(
    [
      '("(?:enrollment_?secret|enrollmentSecret|secret|password|passwd|token|',
      String.raw`api_?key|(?:tls)?keyPem|tls\.key|key\.pem|private_?key)"\s*:\s*")[^"]*`,
    ].join(''),
    'gi',
  ),
  // name=value, name: value, "name":"value"
  new RegExp(
    [
      `((?:["']?)(?:enrollment_?secret|enrollmentSecret|secret|password|passwd|pwd|token|`,
      String.raw`api_?key|(?:tls)?keyPem|tls\.key|key\.pem|private_?key)(?:["']?\s*[:=]\s*["']?))[^\s"',}&]+`,
    ].join(''),
    'gi',
  ),
  /((?:^|\s)(?:-b|--boot|-u)\s+[^\s:/]+:)[^\s@]+/g, // fabric-ca-server -b user:pass (and -u user:pass)
  /((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi, // Authorization headers
  /(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@/\s]+@/gi, // credentials in URLs (https://id:secret@ca, redis://user:pass@host)
];

export function scrubText(text: string): string {
  let out = text;
  for (const pattern of secretPatterns) {
    out = out.replace(pattern, (...args: unknown[]) => {
      const kept = args.length > 3 ? args[1] : undefined; // the first group, when the pattern has one
      if (typeof kept !== 'string') return REDACTED;
      return pattern.source.includes(':\\/\\/') ? `${kept}${REDACTED}@` : `${kept}${REDACTED}`;
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
