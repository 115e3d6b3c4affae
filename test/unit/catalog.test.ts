import { expect, it } from '@jest/globals';
import { jobKind, parseParams } from '../../src/jobs/catalog/kind.js';
import { jobHandlers } from '../../src/jobs/catalog/handlers/index.js';
import { jobKinds, peersScale } from '../../src/jobs/catalog/kinds.js';
import { z } from 'zod';

it('has a handler for every kind of job it ships, and one kind per type name', () => {
  expect(jobHandlers.map((h) => h.kind.type).sort()).toEqual(jobKinds.map((k) => k.type).sort());
  expect(new Set(jobKinds.map((k) => k.type)).size).toBe(jobKinds.length);
});

it('names every field a job’s params get wrong', () => {
  const r = parseParams(peersScale, { org: 'Org_1', replicas: 0, extra: true });
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.problem).toContain('params.org');
  expect(r.problem).toContain('params.replicas');
  expect(r.problem).toContain('unexpected params.extra');
  expect(parseParams(jobKind('x', z.strictObject({ a: z.number() })), { a: 1 })).toEqual({ ok: true, params: { a: 1 } });
});
