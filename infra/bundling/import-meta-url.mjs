// Injected into the CommonJS Lambda bundles (esbuild `--inject`, with `--define:import.meta.url=
// importMetaUrl`): what `import.meta.url` means for the bundle file, for the ESM sources that read
// it (shared/domain/policy/catalogue.ts falls back to createRequire(import.meta.url)).
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
