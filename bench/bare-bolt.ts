/**
 * The peer the Slack edge is measured against: a Bolt app with nothing of ours, on the same Bolt
 * version, signing secret and receiver, answering `/fabric` inline with the reply it is given
 * (the bot's own `/fabric help`, so both put the same bytes on the wire).
 *
 *   PORT=… SLACK_SIGNING_SECRET=… ACK_REPLY_FILE=reply.json node .build/bench/bare-bolt.js
 */
import { readFileSync } from 'node:fs';
import bolt from '@slack/bolt';

const { App, HTTPReceiver, LogLevel } = bolt;

const reply = JSON.parse(readFileSync(process.env.ACK_REPLY_FILE ?? '', 'utf8')) as Record<string, unknown>;
const receiver = new HTTPReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  endpoints: '/slack/events',
  customRoutes: [{ path: '/healthz', method: ['GET'], handler: (_req, res) => void res.writeHead(200).end('ok') }],
});
const slackApiUrl = process.env.SLACK_API_URL;
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  logLevel: LogLevel.ERROR,
  ...(slackApiUrl === undefined ? {} : { clientOptions: { slackApiUrl } }),
});
app.command('/fabric', async ({ ack }) => {
  await ack(reply);
});
await app.start(Number(process.env.PORT));
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
