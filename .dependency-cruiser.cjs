/**
 * The architecture's rules (docs/architecture.md, ../shared/STYLE.md "The house"), checked in
 * `npm test` by `npm run lint:deps`:
 * - the domain (shared/domain) imports no adapter, no AWS SDK, nothing from the API edge
 *   (shared/api, shared/web), functions/, local/, infra/ or cli/;
 * - adapters (shared/adapters) import no handler (functions/); nothing in shared/ imports
 *   functions/, local/, infra/ or cli/;
 * - the CLI and the action import no handler, adapter, page, local stack or CDK code;
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
      name: 'shared-imports-no-app',
      comment:
        'shared/ (domain, adapters, API contract, pages) is what handlers, the local stack and the CDK app are built from: it imports none of them, nor the CLI.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|local|infra|cli)/' },
    },
    {
      name: 'cli-imports-no-server',
      comment:
        'The CLI and the GitHub Action are clients of the wire contract: they may read shared/api and shared/domain bounds, never handlers, adapters, the local stack or the CDK app.',
      severity: 'error',
      from: { path: '^(cli|action/src)/' },
      to: { path: '^(functions|local|infra|shared/adapters|shared/web)/' },
    },
    {
      name: 'runtime-imports-no-dev-dependency',
      comment:
        'What is deployed (handlers and shared/) uses runtime dependencies only; devDependencies (CDK, test tools, local stand-ins) stay out of the Lambda bundles.',
      severity: 'error',
      from: { path: '^(functions|shared)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
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
    exclude: { path: '^(dist|cdk\\.out|\\.jitvend|action/dist)/' },
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
