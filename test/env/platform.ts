import { loadConfig } from '../../src/config/load.js';
import { createPlatform, type Platform } from '../../src/jobs/services/platform.js';
import type { EnvDetails } from '../infra/env/environment.js';

/** The bot's Platform on the test environment: its config file and kubeconfig. */
export async function platformFor(env: EnvDetails): Promise<Platform> {
  const { config } = await loadConfig(env.botConfig);
  return createPlatform(config, env.kubeconfig);
}
