import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { freePort } from '../infra/env/net.js';
import { startStack, type Stack } from '../support/stack.js';
import { testEnvironment } from './support.js';

/**
 * The local console in a real browser, on the real cluster: what a newcomer does in the README's
 * walkthrough. The screenshots it takes are the ones in docs/ when asked to (`npm run
 * docs:screenshots`); otherwise they go to a temporary directory, and a test run leaves the tree as it was.
 */
const env = testEnvironment();
const UPDATE_DOCS = process.env.FCO_UPDATE_SCREENSHOTS === '1';
const DOCS = UPDATE_DOCS ? path.resolve('docs') : mkdtempSync(path.join(os.tmpdir(), 'fco-console-shots-'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let stack: Stack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  mkdirSync(DOCS, { recursive: true });
  // No SLACK_* variable at all: the bot starts the local console and talks to it as to Slack.
  stack = await startStack({ slack: false, config: env.botConfig, env: { KUBECONFIG: env.kubeconfig } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${stack.bot.url}/?as=U0ALICE&channel=C0OPS`);
});

afterAll(async () => {
  if (!UPDATE_DOCS) rmSync(DOCS, { recursive: true, force: true });
  await browser?.close();
  await stack?.stop();
});

async function type(command: string): Promise<void> {
  await page.fill('[data-testid=command]', command);
  await page.press('[data-testid=command]', 'Enter');
  // The console clears the input once the bot has acknowledged, and shows an error otherwise.
  await page.waitForFunction(
    "document.querySelector('[data-testid=command]').value === '' || document.getElementById('composer-error').textContent !== ''",
  );
  expect(await page.textContent('#composer-error')).toBe('');
}

async function actAs(user: string): Promise<void> {
  await page.selectOption('[data-testid=member]', user);
}

const messageWith = (text: string | RegExp): Locator => page.locator('[data-testid=message]', { hasText: text });
const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(DOCS, `console-${name}.png`) });

it('shows the status card for /fabric status', async () => {
  await type('/fabric status');
  const card = messageWith('org1-peer-0').last();
  await card.waitFor({ timeout: 20_000 });
  await expect(card.textContent()).resolves.toContain('org2-peer-0');
  await shot('1-status');
});

it('refuses a command typed as someone without the role, and says why', async () => {
  await actAs('U0VIEWER');
  await type('/fabric pods restart org2-peer-0');
  await messageWith('needs the operator role; you are viewer in org2').last().waitFor({ timeout: 20_000 });
  await actAs('U0ALICE');
});

it('deploys a chaincode requested by an org1 operator once both orgs’ admins approve in the console', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  await type(`/fabric chaincode deploy kv 1.0 --address ${address}`);
  const card = messageWith('Approval needed').filter({ hasText: 'chaincode deploy kv 1.0' }).last();
  await card.getByRole('button', { name: 'Approve' }).waitFor({ timeout: 20_000 });
  await shot('2-approval-requested');

  await actAs('U0ADMIN1');
  await card.getByRole('button', { name: 'Approve' }).click();
  await card.getByText(/Org1MSP ✅ approved/).waitFor({ timeout: 60_000 });
  await shot('3-org1-approved');

  await actAs('U0ADMIN2');
  await card.getByRole('button', { name: 'Approve' }).click();
  // The deploy job's own status message (the card lists the job's steps too).
  const status = messageWith(/— . (succeeded|failed)/)
    .filter({ hasText: 'chaincode deploy kv 1.0' })
    .filter({ hasNotText: 'Approval needed' })
    .filter({ hasNotText: /'s approval/ });
  await status.last().waitFor({ timeout: 150_000 });
  const finished = (await status.last().textContent()) ?? '';
  expect(finished).toMatch(/succeeded.*Install the package on every peer.*Commit the definition/s);
  expect(finished).toContain('committed on mychannel at sequence 1');
  await status.last().scrollIntoViewIfNeeded();
  await shot('4-committed');
}, 240_000);

it('broke no rule of Slack’s contract on the way', async () => {
  const state = (await (await fetch(`${stack.bot.url}/console/api/state?user=U0ALICE`)).json()) as { problems: string[] };
  expect(state.problems).toEqual([]);
  expect(await page.locator('#problems').isHidden()).toBe(true);
});
