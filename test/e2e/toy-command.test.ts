import { afterAll, beforeAll, expect, it } from '@jest/globals';
import path from 'node:path';
import { commands } from '../../src/bot/commands/index.js';
import { loadConfig, loadEnv } from '../../src/config/load.js';
import { jobHandlers } from '../../src/jobs/catalog/handlers/index.js';
import { jobKinds } from '../../src/jobs/catalog/kinds.js';
import { createLogger } from '../../src/log.js';
import { freePort } from '../../src/runtime/embedded-redis.js';
import { startProcess, type Running } from '../../src/start.js';
import { echoCommand, echoHandler, echoJob } from '../fixtures/toy/echo.js';
import { SlackEmulator } from '../slack/emulator.js';
import { eventually } from '../support/app-process.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

/** A command added in a fixture, with nothing but its declaration and its job: queued, run, reported. */
const SECRET = 'toy-secret';
const TOKEN = 'xoxb-toy-token';

let redis: TestRedis;
let slack: SlackEmulator;
let running: Running;

beforeAll(async () => {
  redis = await startTestRedis();
  slack = await SlackEmulator.start({
    botToken: TOKEN,
    signingSecret: SECRET,
    channels: ['C0OPS'],
    users: [{ id: 'U0ALICE', name: 'alice' }],
  });
  const { config } = await loadConfig(path.resolve('test/support/test-config.yaml'));
  const env = loadEnv({
    ROLE: 'all',
    PORT: String(await freePort()),
    OPS_PORT: String(await freePort()),
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    REDIS_URL: redis.url,
    STATUS_UPDATE_INTERVAL_MS: '100',
  });
  running = await startProcess({
    env,
    config,
    log: createLogger({ level: 'silent' }),
    commands: [...commands, echoCommand],
    kinds: [...jobKinds, echoJob],
    handlers: [...jobHandlers, echoHandler],
  });
});

afterAll(async () => {
  await running?.stop();
  await slack?.stop();
  await redis?.stop();
});

it('runs a command declared in a fixture end to end, with its help and its usage errors', async () => {
  const events = `http://127.0.0.1:${running.port}/slack/events`;
  const help = await slack.sendSlashCommand(events, { text: 'help echo', userId: 'U0ALICE', channelId: 'C0OPS' }, { secret: SECRET });
  expect(help.body).toContain('/fabric echo WORD [--times N]');
  const wrong = await slack.sendSlashCommand(
    events,
    { text: 'echo hello --times 9', userId: 'U0ALICE', channelId: 'C0OPS' },
    { secret: SECRET },
  );
  expect(wrong.body).toContain('--times must be a whole number from 1 to 5');
  await slack.sendSlashCommand(events, { text: 'echo hello --times 3', userId: 'U0ALICE', channelId: 'C0OPS' }, { secret: SECRET });
  const status = await eventually(
    'the echo job to succeed',
    () => slack.messages('C0OPS').find((m) => !m.ephemeral && JSON.stringify(m.blocks ?? []).includes('said hello hello hello')),
    20_000,
  );
  expect(JSON.stringify(status.blocks)).toContain('succeeded');
  expect(slack.problems).toEqual([]);
});
