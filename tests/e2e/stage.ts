/**
 * What a browser test file shares: one running product and one browser, started before its
 * tests and stopped after them; each person gets a browser context of their own (y-websocket
 * syncs tabs of one context over BroadcastChannel, which would bypass the server).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, newPerson, startProduct, type Person, type Product } from './harness';

export interface Stage {
  /** The product's base URL, once it runs. */
  readonly url: string;
  /** A new person in a browser context of their own, closed when the file's tests end. */
  person(name: string): Promise<Person>;
}

export function productStage(startTimeoutMs = 240_000): Stage {
  let product: Product | undefined;
  let browser: Browser | undefined;
  const people: Person[] = [];
  beforeAll(async () => {
    product = await startProduct();
    browser = await launchBrowser();
  }, startTimeoutMs);
  afterAll(async () => {
    for (const p of people) await p.context.close().catch(() => undefined);
    await browser?.close();
    await product?.stop();
  });
  return {
    get url() {
      if (!product) throw new Error('the product is not running yet');
      return product.url;
    },
    async person(name) {
      if (!browser) throw new Error('the browser is not running yet');
      const p = await newPerson(browser, name);
      people.push(p);
      return p;
    },
  };
}
