#!/usr/bin/env node
// The `tandem` command: loads the TypeScript CLI through tsx, in this one process (so Ctrl+C
// reaches it directly).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/tandem.ts');
await main();
