/**
 * Polls `check` until it returns a truthy value. The limit only stops a broken test
 * from hanging; no assertion depends on how quickly the condition became true.
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  limitMs = 30_000,
  everyMs = 25,
): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, null | undefined | false | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
