// zod 4 without its 50 locales (~250 KB minified), for Lambda bundles: esbuild aliases `zod`
// here (`--alias:zod=`), see infra/constructs/functions.ts. The same exports as
// zod/v4/classic/external.js minus the `core` and `locales` namespaces, which no jitvend
// code reads at run time (English messages are installed by zod's schemas themselves).
// test/infra/bundles.test.ts checks the bundled handlers still validate with zod's messages.
import * as z from './zod-lean-external.mjs';

export * from './zod-lean-external.mjs';
export { z, z as default };
