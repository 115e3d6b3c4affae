/**
 * The Slack emulator the tests use: the workspace package with its fault injection plug-in
 * installed, so `SlackEmulator.start(...)` gives an emulator that also has `storm` and `failNext`.
 */
export * from '@fabric-chatops/slack-emulator';
export { Faults, FaultySlackEmulator as SlackEmulator, type InjectedFailure } from '@fabric-chatops/slack-emulator/faults';
