import { commandsUnder } from '../grammar.js';
import { renderHelp, renderUsageError } from '../render/help.js';
import { ephemeral, type CommandSpec } from './types.js';

export const help: CommandSpec = {
  path: ['help'],
  summary: 'List the commands, or explain one',
  args: [{ name: 'COMMAND', type: { kind: 'string', pattern: /^[a-z -]+$/, hint: 'a command name' }, optional: true, rest: true }],
  access: 'anyone',
  instant: true,
  async run(ctx, args) {
    const { commands, commandName } = ctx.services;
    const word = args.optionalString('COMMAND');
    const chosen = word === undefined ? commands : commandsUnder(commands, word.split(' '));
    if (chosen.length === 0) {
      return ephemeral(renderUsageError(`there is no command \`${word}\``, [`${commandName} help`]));
    }
    return ephemeral(renderHelp(commandName, chosen, word !== undefined));
  },
};
