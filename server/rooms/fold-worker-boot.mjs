// A worker thread starts without the tsx loader the server runs under: register it, then run
// the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./fold-worker.ts');
