/** Jest runs in ESM mode (see package.json "test"): @kubernetes/client-node is ESM-only. */
const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The workspace package from its TypeScript sources, as typecheck sees it (tsconfig.json "paths").
    '^@fabric-chatops/slack-emulator$': '<rootDir>/packages/slack-emulator/src/index.ts',
    '^@fabric-chatops/slack-emulator/faults$': '<rootDir>/packages/slack-emulator/src/faults.ts',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

export default {
  maxWorkers: 2,
  testTimeout: 60_000,
  projects: [
    // Unit tests and the bot end to end over HTTP, with real redis-servers and the Slack emulator.
    {
      ...base,
      displayName: 'app',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/test/env/', '/test/node/'],
    },
    // Suites on the real Kubernetes control plane and Fabric CAs that global setup starts once.
    {
      ...base,
      displayName: 'env',
      roots: ['<rootDir>/test/env'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/env/global-setup.ts',
      globalTeardown: '<rootDir>/test/env/global-teardown.ts',
    },
    // A real node (kubelet, containerd) joined to the control plane: `npm run test:node`, one file
    // at a time (one real node per machine); each file starts its own environment.
    { ...base, displayName: 'node', roots: ['<rootDir>/test/node'], testMatch: ['**/*.test.ts'] },
  ],
};
