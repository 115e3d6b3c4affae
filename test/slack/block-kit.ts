/** Slack's Block Kit checks, from the Slack emulator package. */
export { LIMITS, validateBlocks } from '@fabric-chatops/slack-emulator';
