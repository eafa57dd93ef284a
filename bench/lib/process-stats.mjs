// What a process and the Temporal dev server cost at rest: resident memory and bytes on disk.
import { readFile, stat } from 'node:fs/promises';

/** VmRSS of a live process, in bytes (Linux /proc). With `node --import tsx` the app is one process. */
export async function rssBytes(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) * 1024;
}

/** The SQLite database with its write-ahead log and shared-memory file: all of it is the server's state. */
export async function sqliteBytes(file) {
  let total = 0;
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      total += (await stat(path)).size;
    } catch {
      // No WAL or SHM file right now: nothing to add.
    }
  }
  return total;
}

/**
 * Samples RSS once a second until `stableSamples` consecutive samples stay within `tolerance` of each
 * other (or `maxMs` passes), so a measurement is not taken while the heap still grows or shrinks.
 */
export async function settledRss(pid, { tolerance = 0.02, stableSamples = 3, maxMs = 30_000 } = {}) {
  const deadline = Date.now() + maxMs;
  const samples = [await rssBytes(pid)];
  for (;;) {
    const recent = samples.slice(-stableSamples);
    const spread = (Math.max(...recent) - Math.min(...recent)) / Math.max(...recent);
    if ((recent.length === stableSamples && spread <= tolerance) || Date.now() > deadline) {
      return { rssBytes: samples[samples.length - 1], samples: samples.length, stable: spread <= tolerance };
    }
    await new Promise((r) => setTimeout(r, 1_000));
    samples.push(await rssBytes(pid));
  }
}
