import { commandsUnder } from '../grammar.js';
import { renderHelp, renderUsageError } from '../render/help.js';
import { ephemeral, type CommandSpec, type Reply } from './types.js';

/** Help is the same for everyone: rendered once per command set, prefix and choice of commands. */
const rendered = new WeakMap<readonly CommandSpec[], Map<string, Reply>>();

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
    const key = `${commandName}\n${word !== undefined}\n${chosen.map((c) => c.path.join(' ')).join('\n')}`;
    const known = rendered.get(commands) ?? new Map<string, Reply>();
    rendered.set(commands, known);
    const reply = known.get(key) ?? ephemeral(renderHelp(commandName, chosen, word !== undefined));
    known.set(key, reply);
    return reply;
  },
};
