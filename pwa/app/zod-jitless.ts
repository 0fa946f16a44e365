// Import first. The protocol's schemas are zod; zod compiles fast parsers with `new Function` when it may.
// The page's CSP (script-src 'self', no 'unsafe-eval') forbids that, and zod's probe for it would be
// reported as a CSP violation on every load. jitless skips the probe and the compiler: same results.
import { config } from 'zod/mini';

config({ jitless: true });
