/**
 * The architecture's rules (docs/architecture.md, ../shared/STYLE.md "The house"), checked in
 * `npm test` by `npm run lint:deps`:
 * - the domain (shared/domain) imports no adapter, no AWS SDK, nothing from the API edge
 *   (shared/api, shared/web), functions/, local/, infra/ or cli/;
 * - adapters (shared/adapters) import no handler (functions/);
 * - no import cycles anywhere.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-no-adapter',
      comment: 'The domain declares ports; adapters implement them. It never imports one.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'domain-imports-no-aws-sdk',
      comment: 'Only adapters talk to AWS: the domain imports no AWS SDK (nor Lambda utilities).',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { path: 'node_modules/(@aws-sdk|@smithy|@aws-lambda-powertools|aws-cdk-lib|@middy)/' },
    },
    {
      name: 'domain-imports-no-edge',
      comment:
        'The domain knows nothing of handlers, the local stack, the CDK app, the CLI or the wire shapes (shared/api) and pages (shared/web).',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { path: '^(functions|local|infra|cli|shared/api|shared/web)/' },
    },
    {
      name: 'adapters-import-no-handler',
      comment: 'Adapters are wired by handlers, never the reverse.',
      severity: 'error',
      from: { path: '^shared/adapters/' },
      to: { path: '^functions/' },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycles anywhere (type-only imports included: they are still a knot to untie).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|cdk\\.out|\\.jitvend|action/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
