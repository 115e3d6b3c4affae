import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedArchive, imagesDir, InputHash } from '../infra/env/real-node/image-cache.js';

let cache: string;
const saved = process.env.FABRIC_CHATOPS_CACHE;

beforeEach(() => {
  cache = mkdtempSync(path.join(os.tmpdir(), 'fco-image-cache-'));
  process.env.FABRIC_CHATOPS_CACHE = cache;
});

afterEach(() => {
  if (saved === undefined) delete process.env.FABRIC_CHATOPS_CACHE;
  else process.env.FABRIC_CHATOPS_CACHE = saved;
  rmSync(cache, { recursive: true, force: true });
});

const archive = (name: string): string => path.join(imagesDir(), name);

it('builds an archive once; a second call finds it in the cache', async () => {
  let builds = 0;
  const build = async (partial: string): Promise<void> => {
    builds++;
    writeFileSync(partial, 'image');
  };
  expect(await cachedArchive(archive('x-0a.tar'), build)).toEqual({ file: archive('x-0a.tar'), built: true });
  expect(await cachedArchive(archive('x-0a.tar'), build)).toEqual({ file: archive('x-0a.tar'), built: false });
  expect(builds).toBe(1);
  expect(readFileSync(archive('x-0a.tar'), 'utf8')).toBe('image');
});

it('a build that fails halfway leaves nothing under the final name, nor its partial file', async () => {
  const failing = async (partial: string): Promise<void> => {
    writeFileSync(partial, 'half an ima');
    throw new Error('killed');
  };
  await expect(cachedArchive(archive('x-0b.tar'), failing)).rejects.toThrow('killed');
  expect(readdirSync(imagesDir())).toEqual([]);
});

it("removes what a killed build left (a dead process's partial file and work directory)", async () => {
  await cachedArchive(archive('x-01.tar'), async (p) => writeFileSync(p, '1'));
  const deadPid = 2 ** 22 + 1; // above pid_max: no process has it
  writeFileSync(archive(`x-02.tar.${deadPid}.partial`), 'half');
  mkdirSync(archive(`x-02.tar.${deadPid}.partial.work-abc/layout`), { recursive: true });
  writeFileSync(archive(`x-03.tar.${process.pid}.partial`), 'someone building now');
  await cachedArchive(archive('x-04.tar'), async (p) => writeFileSync(p, '4'));
  expect(readdirSync(imagesDir()).sort()).toEqual(['x-01.tar', `x-03.tar.${process.pid}.partial`, 'x-04.tar']);
});

it('keeps the three most recently used archives of an image, and other images', async () => {
  const write = async (name: string): Promise<void> => {
    await cachedArchive(archive(name), async (p) => writeFileSync(p, name));
  };
  await write('y-00.tar');
  for (const [i, name] of ['x-01.tar', 'x-02.tar', 'x-03.tar'].entries()) {
    await write(name);
    const t = new Date(Date.now() - (10 - i) * 60_000);
    utimesSync(archive(name), t, t);
  }
  await cachedArchive(archive('x-01.tar'), async () => undefined); // used again: now the newest
  await write('x-04.tar');
  expect(readdirSync(imagesDir()).sort()).toEqual(['x-01.tar', 'x-03.tar', 'x-04.tar', 'y-00.tar']);
  expect(existsSync(archive('x-02.tar'))).toBe(false);
});

it('hashes trees by path, mode and content', () => {
  const dir = mkdtempSync(path.join(cache, 'tree-'));
  writeFileSync(path.join(dir, 'a'), 'one');
  const first = new InputHash().path(dir).hex();
  expect(new InputHash().path(dir).hex()).toBe(first);
  writeFileSync(path.join(dir, 'a'), 'two');
  const second = new InputHash().path(dir).hex();
  expect(second).not.toBe(first);
  writeFileSync(path.join(dir, 'b'), '');
  expect(new InputHash().path(dir).hex()).not.toBe(second);
});
