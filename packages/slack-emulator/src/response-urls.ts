/**
 * Response URLs: each slash command and click comes with one, good for 5 posts within 30 minutes.
 * A post may answer ephemerally or in the channel, replace or delete the message clicked on; what
 * Slack would refuse is answered with its error and recorded in `problems`.
 */
import { randomBytes } from 'node:crypto';
import { asString, messageProblems, replaceContent, truthy, type Args, type Workspace } from './workspace.js';

const RESPONSE_URL_USES = 5;
const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;

export interface ResponseTarget {
  channel: string;
  user: string;
  /** The message a button was clicked on; absent for slash commands. */
  messageTs?: string;
}

interface ResponseUrl extends ResponseTarget {
  uses: number;
  expiresAt: number;
}

/** How the emulator answers a post: HTTP status and a plain-text body. */
export interface TextAnswer {
  status: number;
  body: string;
}

export class ResponseUrls {
  private readonly urls = new Map<string, ResponseUrl>();

  constructor(
    private readonly workspace: Workspace,
    private readonly problems: string[],
  ) {}

  /** A new response URL under `baseUrl` for answers to `target`. */
  mint(baseUrl: string, target: ResponseTarget): string {
    const id = randomBytes(12).toString('hex');
    this.urls.set(id, { ...target, uses: 0, expiresAt: Date.now() + RESPONSE_URL_LIFETIME_MS });
    return `${baseUrl}/response/${id}`;
  }

  /** A post to the response URL `id` with the parsed body `args`. */
  post(id: string, args: () => Args): TextAnswer {
    const target = this.urls.get(id);
    const fail = (status: number, error: string): TextAnswer => {
      this.problems.push(`response_url: ${error}`);
      return { status, body: error };
    };
    if (target === undefined) return fail(404, 'no_such_url');
    if (Date.now() > target.expiresAt) return fail(404, 'expired_url');
    if (target.uses >= RESPONSE_URL_USES) return fail(404, 'used_url');
    const body = args();
    const deleteOriginal = truthy(body.delete_original);
    const problems = messageProblems(body, deleteOriginal);
    if (problems.length > 0) return fail(400, problems.join('; '));
    target.uses++;
    const { workspace } = this;
    const original =
      target.messageTs === undefined ? undefined : workspace.store.find((m) => m.ts === target.messageTs && m.channel === target.channel);
    if (deleteOriginal && original !== undefined) original.deleted = true;
    const blocks = body.blocks as unknown[] | undefined;
    const text = asString(body.text);
    if (text !== undefined || blocks !== undefined) {
      if (truthy(body.replace_original) && original !== undefined && !original.deleted) {
        replaceContent(original, text, blocks);
      } else {
        const ephemeral = body.response_type !== 'in_channel';
        const user = ephemeral ? { user: target.user } : {};
        workspace.post({ channel: target.channel, text, blocks, ephemeral, ...user, source: 'response_url' });
      }
    }
    workspace.touch();
    return { status: 200, body: 'ok' };
  }
}
