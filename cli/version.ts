/** Replaced with package.json's version by scripts/build-cli.mjs (esbuild `define`). */
declare const JITVEND_VERSION: string | undefined;

export const VERSION: string = typeof JITVEND_VERSION === 'string' ? JITVEND_VERSION : '0.0.0-dev';
