/**
 * @fabric-chatops/slack-emulator: a local Slack (Web API, Socket Mode, response URLs, signed
 * requests to the app, Block Kit checks). Fault injection for tests is the separate entry point
 * @fabric-chatops/slack-emulator/faults.
 */
export {
  SlackEmulator,
  SOCKET_MODE,
  type ApiCallRecord,
  type ClickInput,
  type EmulatorOptions,
  type InterceptedAnswer,
  type InterceptedCall,
  type Interceptor,
  type SlashCommandInput,
} from './emulator.js';
export { LIMITS, validateBlocks } from './block-kit.js';
export { signSlackRequest, type AppReply, type SignOptions } from './requests.js';
export { webApiMethods } from './web-api.js';
export type { MessageEdit, StoredMessage } from './workspace.js';
