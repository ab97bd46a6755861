// The jitvend CLI as one executable file, shared by scripts/build-cli.mjs (dist/cli/jitvend.cjs,
// package.json "bin", an ES module) and scripts/build-action.mjs (action/dist/jitvend.cjs, the
// renewing profile's credential_process, CommonJS). Two passes: the whole CLI (cli/process-main.ts) bundled as
// CommonJS text (gzipped), then the entry (cli/jitvend.ts: the credential_process cache hit) with that
// text as the constant JITVEND_FULL_CLI, compiled only when the hit cannot answer. A hit then
// parses a few kilobytes instead of the whole CLI (bench/credential-process.ts). The CommonJS
// part gets `require` from createRequire when it is compiled (commander requires node: built-ins).
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Bundles the CLI to `outfile`; `esbuild` is the imported module, `banner` what goes first. */
export async function bundleCli(esbuild, { root, outfile, version, banner, legalComments, format = 'esm' }) {
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    minify: true,
    charset: 'utf8',
    logLevel: 'warning',
  };
  const full = await esbuild.build({
    ...common,
    entryPoints: [join(root, 'cli', 'process-main.ts')],
    format: 'cjs',
    legalComments: 'none',
    define: { JITVEND_VERSION: JSON.stringify(version) },
    write: false,
  });
  await esbuild.build({
    ...common,
    entryPoints: [join(root, 'cli', 'jitvend.ts')],
    plugins: [builtinsWithoutEsmImports],
    outfile,
    // esm: the npm bin (dist/cli/jitvend.cjs). cjs: the Action's credential_process
    // (action/dist/jitvend.cjs): Node starts a CommonJS file without its ES module loader,
    // a fifth of its start-up (bench/credential-process.ts)
    format,
    // cli/jitvend.ts reads import.meta.url only where require is missing: never in CommonJS
    logOverride: format === 'cjs' ? { 'empty-import-meta': 'silent' } : {},
    legalComments,
    banner: { js: banner },
    define: {
      JITVEND_VERSION: JSON.stringify(version),
      JITVEND_CJS: JSON.stringify(format === 'cjs'),
      // gzip level 9 output is a function of the input alone: the committed bundle stays reproducible
      JITVEND_FULL_CLI: JSON.stringify(
        gzipSync(full.outputFiles[0].contents, { level: 9 }).toString('base64'),
      ),
    },
  });
}

/**
 * The entry's node: built-ins through process.getBuiltinModule (Node 20.16+) rather than ESM
 * imports: each `import ... from 'node:fs'` costs an ES module record at start-up, about a
 * millisecond apiece, on every cache hit. Dynamic imports (only on a miss) stay as they are.
 */
const builtinsWithoutEsmImports = {
  name: 'builtins-without-esm-imports',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'dynamic-import'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'builtin' },
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};
