// CPU seconds spent by each part of the stack over a measured window, from /proc: tells which
// process a billing run (or its baseline) actually keeps busy on a machine with 2 cores.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** utime + stime (+ reaped children's, for the PostgreSQL postmaster whose backends come and go). */
async function cpuTicks(pid, { withChildren = false } = {}) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime is field 14 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return utime + stime + (withChildren ? cutime + cstime : 0);
  } catch {
    return 0; // gone: a backend that exited is counted in its postmaster's children time
  }
}

async function childrenOf(ppid) {
  const pids = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) pids.push(Number(entry));
    } catch {
      // Exited while listing.
    }
  }
  return pids;
}

async function postgresTicks(stack) {
  let postmaster;
  try {
    postmaster = Number((await readFile(join(stack.dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return 0; // DATABASE_URL: an outside server, not ours to count
  }
  let total = await cpuTicks(postmaster, { withChildren: true });
  for (const pid of await childrenOf(postmaster)) total += await cpuTicks(pid);
  return total;
}

/** A reading of every process of the stack (plus `extra`: { name: pid }). */
export async function readCpu(stack, extra = {}) {
  const pids = { worker: stack.worker?.pid, temporal: stack.temporal?.pid, api: stack.apiProcess?.pid, ...extra };
  const ticks = { postgres: await postgresTicks(stack) };
  for (const [name, pid] of Object.entries(pids)) if (pid) ticks[name] = await cpuTicks(pid);
  // Every worker process together (bench --workers): the work is shared by whoever polls first.
  for (const child of stack.extraWorkers ?? []) if (child.pid) ticks.worker = (ticks.worker ?? 0) + await cpuTicks(child.pid);
  return { at: Date.now(), ticks };
}

/** CPU seconds per process between two readings, and the wall seconds between them. */
export function cpuBetween(before, after) {
  const seconds = {};
  for (const name of Object.keys(after.ticks)) {
    seconds[name] = Math.round(((after.ticks[name] - (before.ticks[name] ?? 0)) / TICKS_PER_SECOND) * 100) / 100;
  }
  return { wallSeconds: (after.at - before.at) / 1000, cpuSeconds: seconds };
}
