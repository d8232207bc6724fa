'use client';

import { useEffect } from 'react';

/**
 * Installing caches two pages and every build asset it names: started with the page, that
 * competes with opening the document (its sync and the editor's first render) for the CPU, the
 * network and the server. So it waits until a while after the page has loaded.
 */
const REGISTER_DELAY_MS = 3000;

/** Registers /sw.js so a document page reloads while offline (its content comes from IndexedDB). */
export function ServiceWorker() {
  useEffect(() => {
    if (!('serviceWorker' in navigator) || process.env.NODE_ENV !== 'production') return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const register = () => {
      timer = setTimeout(() => {
        navigator.serviceWorker.register('/sw.js').catch(() => {
          // Without it the app still works online; only offline reloads are lost.
        });
      }, REGISTER_DELAY_MS);
    };
    if (document.readyState === 'complete') register();
    else window.addEventListener('load', register, { once: true });
    return () => {
      clearTimeout(timer);
      window.removeEventListener('load', register);
    };
  }, []);
  return null;
}
