// A worker thread starts without the tsx loader the server runs under: register it, then run
// the TypeScript entry.
//
// First of all, the lowest CPU priority: a fold must take only time the server's event loop
// leaves over, even on a server given one core. Linux keeps a nice value per thread and a new
// thread inherits its creator's, so lowering it here, before `register()` starts tsx's loader
// thread and before the entry compiles, puts the whole worker (compile included, which costs
// most of a second of CPU) behind the event loop.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { register } from 'tsx/esm/api';

try {
  // Linux names this thread's id in /proc/thread-self; setPriority(pid) would renice the
  // whole process's main thread instead.
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
} catch {
  // Not Linux, or not allowed: the worker still runs, at the process's priority.
}

register();
await import('./fold-worker.ts');
