import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient, LogLevel, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import { SlackEmulator, signSlackRequest } from './emulator.js';

// The emulator is the one stand-in the tests use, so its contract is tested against Slack's own
// client library and the documented test vector.

const TOKEN = 'xoxb-emulator-test';
const quiet = (): void => undefined;
const logger: Logger = {
  debug: quiet,
  info: quiet,
  warn: quiet,
  error: quiet,
  setLevel: quiet,
  getLevel: () => LogLevel.ERROR,
  setName: quiet,
};
let slack: SlackEmulator;
let client: WebClient;

beforeAll(async () => {
  slack = await SlackEmulator.start({
    botToken: TOKEN,
    signingSecret: 's3cret',
    channels: ['C1'],
    users: [{ id: 'U1', name: 'una' }],
    usergroups: { S1: ['U1'] },
  });
  client = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger });
});
afterAll(() => slack.stop());

const platformError = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    return (err as WebAPIPlatformError).data?.error ?? String(err);
  }
  throw new Error('expected the call to fail');
};

describe('Slack emulator contract', () => {
  it('signs with Slack’s documented test vector', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('answers API errors as HTTP 200 {ok:false}, as the SDK expects', async () => {
    expect(await platformError(client.chat.postMessage({ channel: 'C404', text: 'x' }))).toBe('channel_not_found');
    expect(
      await platformError(new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger }).auth.test()),
    ).toBe('invalid_auth');
    expect(slack.calls.filter((c) => c.status !== 200)).toEqual([]);
  });

  it('rejects invalid Block Kit with invalid_blocks and a json-pointer', async () => {
    const err = await platformError(
      client.chat.postMessage({
        channel: 'C1',
        text: 'x',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }],
      }),
    );
    expect(err).toBe('invalid_blocks');
    const last = slack.calls.at(-1);
    expect(JSON.stringify(last?.response)).toContain('/blocks/0/text/text');
  });

  it('posts, updates in place and records the edit; refuses to update an ephemeral message', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'one' });
    await client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'two' });
    const m = slack.messages('C1').find((x) => x.ts === posted.ts);
    expect(m?.text).toBe('two');
    expect(m?.edits).toHaveLength(1);
    const eph = await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'psst' });
    expect(await platformError(client.chat.update({ channel: 'C1', ts: eph.message_ts as string, text: 'x' }))).toBe('cant_update_message');
  });

  it('rate-limits with 429 and Retry-After when told to', async () => {
    slack.failNext('users.info', { status: 429, retryAfterSec: 1 });
    const limited = new WebClient(TOKEN, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
      rejectRateLimitedCalls: false,
      logger,
    });
    const t0 = Date.now();
    const res = await limited.users.info({ user: 'U1' });
    expect(res.user?.name).toBe('una');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(slack.calls.some((c) => c.method === 'users.info' && c.status === 429)).toBe(true);
  });

  it('opens a modal once per trigger_id, within 3 s of the click or command', async () => {
    const modal = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Scale peers' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }],
    };
    expect(await platformError(client.views.open({ trigger_id: '1.2.unknown', view: modal }))).toBe('invalid_trigger_id');
    const app = http.createServer((_req, res) => res.writeHead(200).end());
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const { triggerId } = await slack.sendSlashCommand(`http://127.0.0.1:${(app.address() as AddressInfo).port}/`, {
      text: 'x',
      userId: 'U1',
      channelId: 'C1',
    });
    app.close();
    expect(
      await platformError(
        client.views.open({
          trigger_id: triggerId,
          view: { ...modal, title: { type: 'plain_text', text: 'a title far longer than twenty-four characters' } },
        }),
      ),
    ).toBe('invalid_arguments');
    const opened = await client.views.open({ trigger_id: triggerId, view: modal });
    expect(opened.view?.id).toMatch(/^V/);
    expect(await platformError(client.views.open({ trigger_id: triggerId, view: modal }))).toBe('exchanged_trigger_id');
  });

  it('never records a token in its call log', () => {
    expect(JSON.stringify(slack.calls)).not.toContain(TOKEN);
  });

  describe('towards the app', () => {
    let app: http.Server;
    let url: string;
    const seen: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    let answer: { status: number; type?: string; body: string } = { status: 200, body: '' };

    beforeAll(async () => {
      app = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.push({ headers: req.headers, body });
          res.writeHead(answer.status, answer.type === undefined ? {} : { 'Content-Type': answer.type }).end(answer.body);
        });
      });
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`;
    });
    afterAll(() => new Promise<void>((r) => app.close(() => r())));

    it('sends a slash command form-encoded, signed over the exact body', async () => {
      await slack.sendSlashCommand(url, { text: 'help me', userId: 'U1', channelId: 'C1' });
      const req = seen.at(-1);
      expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      const ts = Number(req?.headers['x-slack-request-timestamp']);
      expect(req?.headers['x-slack-signature']).toBe(signSlackRequest('s3cret', ts, req?.body ?? ''));
      const form = new URLSearchParams(req?.body);
      expect(form.get('command')).toBe('/fabric');
      expect(form.get('text')).toBe('help me');
      expect(form.get('response_url')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/response\//);
    });

    it('shows a JSON ack as an ephemeral message to the requester', async () => {
      answer = { status: 200, type: 'application/json', body: JSON.stringify({ response_type: 'ephemeral', text: 'hello there' }) };
      await slack.sendSlashCommand(url, { text: 'x', userId: 'U1', channelId: 'C1' });
      expect(slack.messages('C1').at(-1)).toMatchObject({ ephemeral: true, user: 'U1', text: 'hello there', source: 'ack' });
      answer = { status: 200, body: '' };
    });

    it('honours response_url for five posts, then refuses', async () => {
      const { responseUrl } = await slack.sendSlashCommand(url, { text: 'x', userId: 'U1', channelId: 'C1' });
      for (let i = 0; i < 5; i++) {
        const res = await fetch(responseUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: `answer ${i}` }),
        });
        expect(res.status).toBe(200);
      }
      const sixth = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'too many' }),
      });
      expect(sixth.status).toBe(404);
      expect(await sixth.text()).toBe('used_url');
      expect(slack.messages('C1').filter((m) => m.text?.startsWith('answer '))).toHaveLength(5);
      slack.problems.length = 0;
    });

    it('clicks only buttons that are on the message', async () => {
      const posted = await client.chat.postMessage({
        channel: 'C1',
        text: 'card',
        blocks: [
          {
            type: 'actions',
            block_id: 'b1',
            elements: [{ type: 'button', action_id: 'go', value: 'v1', text: { type: 'plain_text', text: 'Go' } }],
          },
        ],
      });
      await slack.clickButton(url, { userId: 'U1', channelId: 'C1', messageTs: posted.ts as string, actionId: 'go', value: 'v1' });
      const payload = JSON.parse(new URLSearchParams(seen.at(-1)?.body).get('payload') ?? '{}') as {
        type: string;
        actions: { action_id: string; block_id: string; value: string }[];
        container: { message_ts: string };
      };
      expect(payload.type).toBe('block_actions');
      expect(payload.actions[0]).toMatchObject({ action_id: 'go', block_id: 'b1', value: 'v1' });
      expect(payload.container.message_ts).toBe(posted.ts);
      await expect(
        slack.clickButton(url, { userId: 'U1', channelId: 'C1', messageTs: posted.ts as string, actionId: 'stop' }),
      ).rejects.toThrow('has no button stop');
    });
  });
});
