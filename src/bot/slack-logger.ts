import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import type { Logger } from '../log.js';

/** Lets Bolt and the Web API client log through pino (and so through its redaction). */
export function slackLogger(log: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const child = log.child({ component: 'slack' });
  const join = (msg: unknown[]): string => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => child.debug(join(msg)),
    info: (...msg) => child.info(join(msg)),
    warn: (...msg) => child.warn(join(msg)),
    error: (...msg) => child.error(join(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
