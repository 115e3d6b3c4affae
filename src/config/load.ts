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
    return acc === '' ? String(part) : `${acc}.${String(part)}`;
  }, '');
}

export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.map((issue) => `${formatPath(issue.path) || '(top level)'}: ${issue.message}`);
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) throw new ConfigError('environment', describeIssues(result.error.issues));
  return result.data;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const exampleConfigPath = path.join(repoRoot, 'config', 'example.yaml');

export function parseConfig(text: string, source: string): Config {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0] ?? e.message}`));
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

/** Reads FABRIC_CHATOPS_CONFIG, or the bundled example when none is given. */
export async function loadConfig(file: string | undefined): Promise<{ config: Config; file: string; isExample: boolean }> {
  const chosen = file ?? exampleConfigPath;
  if (!existsSync(chosen)) throw new ConfigError(chosen, ['file not found (FABRIC_CHATOPS_CONFIG)']);
  const config = parseConfig(await readFile(chosen, 'utf8'), chosen);
  return { config, file: chosen, isExample: file === undefined };
}
