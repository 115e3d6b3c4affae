import type { Environment } from '../infra/env/environment.js';

declare global {
  var fcoTestEnvironment: Environment | undefined;
}

// Jest loads global setup outside its module mapper, so it takes the harness as compiled by
// `npm run build:infra` (the test script runs it first).
const compiled = new URL('../../.build/test/infra/env/environment.js', import.meta.url).href;

/** Starts the environment once for every env suite; FCO_TEST_ENV names its details file. */
export default async function globalSetup(): Promise<void> {
  const { startEnvironment } = (await import(compiled)) as typeof import('../infra/env/environment.js');
  const env = await startEnvironment();
  globalThis.fcoTestEnvironment = env;
  process.env.FCO_TEST_ENV = env.detailsPath;
  process.stdout.write(`\ntest environment up in ${(env.startedInMs / 1000).toFixed(1)} s (${env.details.dir})\n`);
}
