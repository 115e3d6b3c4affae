/** Block Kit checks now live in the Slack emulator package; this path stays for its importers. */
export { LIMITS, validateBlocks } from '@fabric-chatops/slack-emulator';
