// Imported first, as the PWA does (pwa/app/zod-jitless.ts): the page is served by the relay under the PWA's
// CSP (no 'unsafe-eval'), so zod runs without its `new Function` compiler, and the benchmark measures the
// same validation cost the shipped app pays.
import { config } from 'zod/mini';

config({ jitless: true });
