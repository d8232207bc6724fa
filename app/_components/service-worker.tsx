'use client';

import { useEffect } from 'react';

/** Registers /sw.js so a document page reloads while offline (its content comes from IndexedDB). */
export function ServiceWorker() {
  useEffect(() => {
    if (!('serviceWorker' in navigator) || process.env.NODE_ENV !== 'production') return;
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // Without it the app still works online; only offline reloads are lost.
    });
  }, []);
  return null;
}
