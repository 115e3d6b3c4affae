import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './model.js';
import { envSchema, type Env } from './env.js';

/** A configuration problem, carrying every bad field by its path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function formatPath(pathParts: ReadonlyArray<PropertyKey>): string {
  return pathParts.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(part)) ? String(part) : JSON.stringify(String(part));
    return acc === '' ? key : `${acc}.${key}`;
  }, '');
}

export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.flatMap((issue) =>
    // One line per unknown key, named by its own path: a misspelt key would otherwise be ignored.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`)
      : [`${formatPath(issue.path) || '(top level)'}: ${issue.message}`],
  );
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) throw new ConfigError('environment', describeIssues(result.error.issues));
  return result.data;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const exampleConfigPath = path.join(repoRoot, 'config', 'example.yaml');

/**
 * Parses and validates the YAML model. `commands` are the declared command paths ("peers scale");
 * given, every `policies` key must be one of them (a misspelt key would silently govern nothing).
 */
export function parseConfig(text: string, source: string, commands?: readonly string[]): Config {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0] ?? e.message}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  const problems = result.success ? [] : describeIssues(result.error.issues);
  if (commands !== undefined) problems.push(...unknownPolicyKeys(raw, commands));
  if (!result.success || problems.length > 0) throw new ConfigError(source, problems);
  return result.data;
}

function unknownPolicyKeys(raw: unknown, commands: readonly string[]): string[] {
  const policies = typeof raw === 'object' && raw !== null ? (raw as { policies?: unknown }).policies : undefined;
  if (typeof policies !== 'object' || policies === null) return [];
  return Object.keys(policies)
    .filter((key) => !commands.includes(key))
    .map((key) => `policies.${JSON.stringify(key)}: no command ${key}; the commands are ${commands.map((c) => `"${c}"`).join(', ')}`);
}

/** Reads FABRIC_CHATOPS_CONFIG, or the bundled example when none is given. */
export async function loadConfig(
  file: string | undefined,
  commands?: readonly string[],
): Promise<{ config: Config; file: string; isExample: boolean }> {
  const chosen = file ?? exampleConfigPath;
  if (!existsSync(chosen)) throw new ConfigError(chosen, ['file not found (FABRIC_CHATOPS_CONFIG)']);
  const config = parseConfig(await readFile(chosen, 'utf8'), chosen, commands);
  return { config, file: chosen, isExample: file === undefined };
}
