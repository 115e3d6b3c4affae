/**
 * The slash-command grammar. Each subcommand declares its words, arguments and flags once;
 * parsing, usage errors and help text are all derived from that declaration.
 */

export type ValueType =
  | { kind: 'string'; pattern?: RegExp; hint?: string; maxLength?: number }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'enum'; values: readonly string[] };

export interface ArgSpec {
  /** Upper-case placeholder shown in usage, e.g. ORG. */
  name: string;
  type: ValueType;
  optional?: boolean;
  /** The last argument may take all remaining words, joined by single spaces. */
  rest?: boolean;
}

export interface FlagSpec {
  /** Without the leading dashes, e.g. "org". */
  name: string;
  /** Absent for a boolean switch. */
  value?: { placeholder: string; type: ValueType };
  help?: string;
}

export interface Grammar {
  /** The words that select the subcommand, e.g. ['peers', 'scale']. */
  path: readonly string[];
  summary: string;
  args?: readonly ArgSpec[];
  flags?: readonly FlagSpec[];
  /** Extra lines for `help <command>`. */
  details?: string;
}

export type ArgValue = string | number | boolean;

export class ParsedArgs {
  constructor(private readonly values: ReadonlyMap<string, ArgValue>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  string(name: string): string {
    const v = this.values.get(name);
    if (typeof v !== 'string') throw new Error(`argument ${name} is not a string`);
    return v;
  }
  optionalString(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  int(name: string): number {
    const v = this.values.get(name);
    if (typeof v !== 'number') throw new Error(`argument ${name} is not a number`);
    return v;
  }
  optionalInt(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  flag(name: string): boolean {
    return this.values.get(name) === true;
  }
  toJSON(): Record<string, ArgValue> {
    return Object.fromEntries(this.values);
  }
}

export type ParseResult<C extends Grammar> = { ok: true; command: C; args: ParsedArgs } | { ok: false; problem: string; usage: string[] };

const MAX_TEXT = 2000;
const DEFAULT_MAX_LENGTH = 200;

/** Splits on white space; "double", 'single' and Slack's curly quotes group words. */
export function tokenize(text: string): { tokens: string[] } | { problem: string } {
  const normalized = text.replace(/[\u201C\u201D]/g, '"').replace(/[\u2018\u2019]/g, "'");
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quote: '"' | "'" | undefined;
  for (const ch of normalized) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quote !== undefined) return { problem: `a ${quote} quote is not closed` };
  if (inToken) tokens.push(current);
  return { tokens };
}

export function usageOf(prefix: string, g: Grammar): string {
  const parts = [prefix, ...g.path];
  for (const a of g.args ?? []) {
    const name = a.rest === true ? `${a.name}…` : a.name;
    parts.push(a.optional === true ? `[${name}]` : name);
  }
  for (const f of g.flags ?? []) parts.push(f.value === undefined ? `[--${f.name}]` : `[--${f.name} ${f.value.placeholder}]`);
  return parts.join(' ');
}

function describeType(t: ValueType): string {
  switch (t.kind) {
    case 'int':
      if (t.min !== undefined && t.max !== undefined) return `a whole number from ${t.min} to ${t.max}`;
      if (t.min !== undefined) return `a whole number of at least ${t.min}`;
      return 'a whole number';
    case 'enum':
      return `one of ${t.values.join(', ')}`;
    case 'string':
      return t.hint ?? 'text';
  }
}

function convert(raw: string, t: ValueType, label: string): { value: ArgValue } | { problem: string } {
  switch (t.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) return { problem: `${label} must be ${describeType(t)}, not \`${quoteInput(raw)}\`` };
      const n = Number(raw);
      if ((t.min !== undefined && n < t.min) || (t.max !== undefined && n > t.max)) {
        return { problem: `${label} must be ${describeType(t)}, not ${n}` };
      }
      return { value: n };
    }
    case 'enum':
      return t.values.includes(raw) ? { value: raw } : { problem: `${label} must be ${describeType(t)}, not \`${quoteInput(raw)}\`` };
    case 'string': {
      const max = t.maxLength ?? DEFAULT_MAX_LENGTH;
      if (raw.length > max) return { problem: `${label} is too long (${raw.length} characters, at most ${max})` };
      if (t.pattern !== undefined && !t.pattern.test(raw)) {
        return { problem: `${label} must be ${describeType(t)}, not \`${quoteInput(raw)}\`` };
      }
      return { value: raw };
    }
  }
}

/** Shown in messages: long or odd user input is cut and stripped of backticks. */
export function quoteInput(raw: string): string {
  const chars = [...raw.replace(/`/g, "'")];
  return chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : chars.join('');
}

export function parseCommand<C extends Grammar>(commands: readonly C[], text: string, prefix: string): ParseResult<C> {
  if (text.length > MAX_TEXT) {
    return { ok: false, problem: `the command is too long (${text.length} characters, at most ${MAX_TEXT})`, usage: [] };
  }
  const tokenized = tokenize(text);
  if ('problem' in tokenized) return { ok: false, problem: tokenized.problem, usage: [] };
  const tokens = tokenized.tokens;

  const matching = commands
    .filter((c) => c.path.every((word, i) => tokens[i]?.toLowerCase() === word))
    .sort((a, b) => b.path.length - a.path.length);
  const command = matching[0];
  if (command === undefined) {
    const first = tokens[0] ?? '';
    const group = commands.filter((c) => c.path.length > 1 && c.path[0] === first.toLowerCase());
    if (group.length > 0) {
      const sub = tokens[1];
      return {
        ok: false,
        problem: sub === undefined ? `\`${first}\` needs a subcommand` : `\`${first} ${quoteInput(sub)}\` is not a command`,
        usage: group.map((c) => usageOf(prefix, c)),
      };
    }
    return {
      ok: false,
      problem: `\`${quoteInput(first)}\` is not a command`,
      usage: [`${prefix} help`, ...topLevelWords(commands).map((w) => `${prefix} ${w} …`)].slice(0, 12),
    };
  }

  const usage = [usageOf(prefix, command)];
  const values = new Map<string, ArgValue>();
  const positionals: string[] = [];
  const rest = tokens.slice(command.path.length);
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = (eq === -1 ? token.slice(2) : token.slice(2, eq)).toLowerCase();
    const spec = command.flags?.find((f) => f.name === name);
    if (spec === undefined) return { ok: false, problem: `unknown option \`--${quoteInput(name)}\``, usage };
    if (values.has(name)) return { ok: false, problem: `option \`--${name}\` is given twice`, usage };
    if (spec.value === undefined) {
      if (eq !== -1) return { ok: false, problem: `option \`--${name}\` takes no value`, usage };
      values.set(name, true);
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) raw = token.slice(eq + 1);
    else {
      raw = rest[i + 1];
      i++;
    }
    if (raw === undefined || raw === '')
      return { ok: false, problem: `option \`--${name}\` needs a value (${spec.value.placeholder})`, usage };
    const converted = convert(raw, spec.value.type, `--${name}`);
    if ('problem' in converted) return { ok: false, problem: converted.problem, usage };
    values.set(name, converted.value);
  }

  const argSpecs = command.args ?? [];
  for (const [i, spec] of argSpecs.entries()) {
    const raw = spec.rest === true && positionals.length > i ? positionals.slice(i).join(' ') : positionals[i];
    if (raw === undefined) {
      if (spec.optional === true) continue;
      return { ok: false, problem: `missing ${spec.name}`, usage };
    }
    const converted = convert(raw, spec.type, spec.name);
    if ('problem' in converted) return { ok: false, problem: converted.problem, usage };
    values.set(spec.name, converted.value);
  }
  if (positionals.length > argSpecs.length && argSpecs.at(-1)?.rest !== true) {
    const extra = quoteInput(positionals.slice(argSpecs.length).join(' '));
    return {
      ok: false,
      problem: `unexpected ${positionals.length - argSpecs.length === 1 ? 'argument' : 'arguments'} \`${extra}\``,
      usage,
    };
  }
  return { ok: true, command, args: new ParsedArgs(values) };
}

export function topLevelWords(commands: readonly Grammar[]): string[] {
  return [...new Set(commands.map((c) => c.path[0] ?? ''))].filter((w) => w !== '');
}

/** Commands whose path starts with the given words (all of them for no words). */
export function commandsUnder<C extends Grammar>(commands: readonly C[], words: readonly string[]): C[] {
  return commands.filter((c) => words.every((w, i) => c.path[i] === w.toLowerCase()));
}
