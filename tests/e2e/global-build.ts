/**
 * Vitest global setup: builds the web app once, before any test file runs. The browser test files
 * run in parallel workers, and two `next build` processes at once fail ("another next build
 * process is already running"); each file's own check then finds the build fresh.
 */
import { ensureFreshBuild } from './harness';

export default function setup(): void {
  ensureFreshBuild();
}
