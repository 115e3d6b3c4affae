/** Stops everything; fails the run if a process or listening port is left behind. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.fcoTestEnvironment?.stop();
}
