/** The Slack emulator lives in src/console (the local console serves it too). */
export * from '../../src/console/slack-emulator.js';
