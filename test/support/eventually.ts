/**
 * Retries an assertion until it passes or the timeout ends, then rethrows its last failure. Time
 * skipping returns as soon as workflow time has moved; the activities it woke still run in real time.
 */
export async function eventually<T>(assertion: () => Promise<T> | T, { timeoutMs = 15_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
