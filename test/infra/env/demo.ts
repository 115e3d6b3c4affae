import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { startEnvironment } from './environment.js';
import { freePort } from './net.js';

// npm run demo: the real local environment, the bot on it in local mode, and the console.
// Ctrl-C stops everything. DEMO_PORT picks the console's port (default 3000).
const port = Number(process.env.DEMO_PORT ?? 3000);
const say = (line: string): void => void process.stdout.write(`[demo] ${line}\n`);

say('starting Kubernetes (etcd, apiserver, controllers, kwok nodes, metrics-server), three Fabric CAs, an orderer and two peers…');
const env = await startEnvironment();
const d = env.details;
say(`environment up in ${(env.startedInMs / 1000).toFixed(1)} s (logs in ${d.dir}/logs)`);

const botLog = path.join(d.dir, 'logs', 'bot.log');
const out = openSync(botLog, 'a');
const bot = spawn(process.execPath, [path.resolve('dist/main.js')], {
  env: {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ROLE: 'all',
    PORT: String(port),
    KUBECONFIG: d.kubeconfig,
    FABRIC_CHATOPS_CONFIG: d.botConfig,
    ALERT_RECHECK_MS: '5000',
  },
  stdio: ['ignore', out, out],
});
const url = `http://127.0.0.1:${port}`;
const deadline = Date.now() + 30_000;
for (;;) {
  if (bot.exitCode !== null) {
    say(`the bot exited (code ${bot.exitCode}); see ${botLog}`);
    await env.stop();
    process.exit(1);
  }
  if (
    await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (Date.now() > deadline) {
    say(`the bot did not come up within 30 s; see ${botLog}`);
    bot.kill('SIGKILL');
    await env.stop();
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}

say(`console ready: open ${url}
       Try, as alice (org1 operator):   /fabric status
                                        /fabric chaincode deploy kv 1.0 --address 127.0.0.1:${await freePort()}
       then switch "Acting as" to admin1 and admin2 and press Approve on the card.
       Bot log: ${botLog}. Ctrl-C stops everything.`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  say('stopping the bot and the environment…');
  const exited = new Promise((r) => bot.once('exit', r));
  bot.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (bot.exitCode === null) bot.kill('SIGKILL');
  await env.stop();
  say('stopped; nothing left running');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
bot.once('exit', (code) => {
  if (!stopping) {
    say(`the bot exited unexpectedly (code ${code}); see ${botLog}`);
    void stop();
  }
});
