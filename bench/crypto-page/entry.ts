// The browser entry of B4: bench/crypto.ts bundles this into an IIFE and calls it through page.evaluate.
import { setup, trial } from './work.ts';

(globalThis as unknown as { tandemCryptoBench: unknown }).tandemCryptoBench = { setup, trial };
