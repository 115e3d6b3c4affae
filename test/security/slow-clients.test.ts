import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { eventually } from '../support/app-process.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Clients that never finish a request (headers or body trickled a byte at a time, or nothing
 * sent at all) hold no more than a socket each, are cut off, and cost the bot no more memory than
 * the manifest gives its pod; signed requests are answered meanwhile.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ secret: 'slow-secret', token: 'xoxb-slow-token', bot: 'bot' });
});

afterAll(async () => {
  await stack?.stop();
});

/** The memory limit of the bot's container in manifests/base/bot.yaml, in bytes. */
function manifestLimit(): number {
  const docs = parseAllDocuments(readFileSync(path.resolve('manifests/base/bot.yaml'), 'utf8')).map(
    (d) =>
      d.toJS() as { kind: string; spec?: { template?: { spec?: { containers?: { resources?: { limits?: { memory?: string } } }[] } } } },
  );
  const limit = docs.find((d) => d.kind === 'Deployment')?.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory ?? '';
  const m = /^(\d+)Mi$/.exec(limit);
  if (m === null) throw new Error(`unexpected memory limit ${limit}`);
  return Number(m[1]) * 1024 * 1024;
}

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

it('survives 150 slow unauthenticated connections within the manifest’s memory limit, and cuts them off', async () => {
  const limit = manifestLimit();
  const bot = stack.bot;
  const pid = bot.child.pid as number;
  const port = bot.port;
  const closed = new Set<number>();
  const sockets: net.Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < 150; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', () => closed.add(i));
    sockets.push(s);
    const kind = i % 3;
    if (kind === 0) s.write('POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slack-Request-Timestamp: 1'); // headers, never finished
    if (kind === 1)
      s.write(
        'POST /slack/events HTTP/1.1\r\nHost: bot\r\n' +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 900000\r\n\r\n${'a'.repeat(60_000)}`,
      ); // a body that never ends
    // kind 2: connects and sends nothing
    timers.push(setInterval(() => void (s.writable && kind !== 2 ? s.write('a') : undefined), 1000));
  }
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 200);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    // Slack's requests still get through, quickly.
    const res = await stack.command('help');
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    await eventually('every slow connection cut off', () => closed.size === 150, 30_000).catch((err: unknown) => {
      const open = [0, 1, 2].map((k) => sockets.filter((_, i) => i % 3 === k && !closed.has(i)).length);
      throw new Error(`${String(err)}: still open by kind ${open.join('/')}`);
    });
  } finally {
    clearInterval(sampler);
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
  }
  if (process.env.FCO_PRINT_FIGURES === '1')
    process.stdout.write(`peak RSS under 150 slow connections: ${(peak / 1048576).toFixed(1)} MiB of ${limit / 1048576} MiB\n`);
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(limit);
  expect(bot.child.exitCode).toBeNull();
}, 60_000);
