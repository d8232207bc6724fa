import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

/** @type {import('next').NextConfig} */
const config = {
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: {
    // Pin the workspace root so a lockfile in a parent directory cannot change what gets traced.
    root,
    // Browser code naming Node's `Buffer` gets Next.js's polyfill of it; ours needs none (lib/no-buffer.ts).
    resolveAlias: { 'next/dist/compiled/buffer': { browser: './lib/no-buffer.ts' } },
  },
  outputFileTracingRoot: root,
  // `npm start` runs the sync server and Next.js in one process: server rendering must use the
  // same yjs module as the server (not a bundled second copy, which breaks yjs's constructor
  // checks and prints "Yjs was already imported").
  serverExternalPackages: ['yjs'],
  // `npm test` type-checks the whole repository (tsc --noEmit); the build need not do it again
  // on every first `npm start`.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          // Keys live in the URL fragment, which browsers never send; this also keeps the path out of Referer.
          { key: 'Referrer-Policy', value: 'no-referrer' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
        ],
      },
    ];
  },
};

export default config;
