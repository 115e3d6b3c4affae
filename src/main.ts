import { commands } from './bot/commands/index.js';
import type { Env } from './config/env.js';
import { ConfigError, loadConfig, loadEnv } from './config/load.js';
import { jobKinds } from './jobs/catalog/kinds.js';
import { createLogger } from './log.js';
import { startProcess } from './start.js';

const commandPaths = commands.map((c) => c.path.join(' '));

async function main(argv: string[]): Promise<void> {
  const checkOnly = argv.includes('--check-config');
  let env: Env;
  let loaded: Awaited<ReturnType<typeof loadConfig>>;
  try {
    loaded = await loadConfig(process.env.FABRIC_CHATOPS_CONFIG?.trim() || undefined, commandPaths);
    if (checkOnly) {
      process.stdout.write(`${loaded.file}: ok (${loaded.config.networks.length} networks, ${loaded.config.members.length} members)\n`);
      return;
    }
    env = loadEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`fabric-chatops: invalid configuration\n${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: env.LOG_LEVEL, name: `fabric-chatops-${env.ROLE}` });
  const running = await startProcess({
    env,
    config: loaded.config,
    log,
    commands,
    kinds: jobKinds,
    // The handlers bring the Kubernetes and Fabric clients: loaded by workers only.
    handlers: async () => (await import('./jobs/catalog/handlers/index.js')).jobHandlers,
    exampleConfig: loaded.isExample,
  });
  let signalled = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down: no new requests; active jobs finish or return to the queue');
    await running.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`fabric-chatops: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
