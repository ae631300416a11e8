// The import rules of docs/architecture.md ("Package map and import rules"), as dependency-cruiser rules.
// test/architecture/imports.test.ts runs them over every package's and service's src/ and fails on any violation.
// Paths are relative to the repository root; workspace packages resolve to their TypeScript sources.

/** Folders of our own code, by what they are. */
const OWN = '^(packages|services)/';
const HUGO = '^packages/hugo/src/';
const API = '^packages/api/src/';
const API_PUBLIC = '^packages/api/src/(public|proto|int64|service-error)\\.ts$';
const SERVICES = '^services/[^/]+/src/';

/** A rule that files matching `from` import nothing matching `to` (other than what `allowed` names). */
function forbid(name, comment, from, to, extra = {}) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from, ...extra.from },
    to: { path: to, ...extra.to },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No file reaches itself through imports: a circle means two modules that are really one.',
      severity: 'error',
      from: { path: OWN },
      to: { circular: true },
    },
    forbid('hugo-stands-alone', '@odin/hugo is the primitives: it depends on nothing of ours.', HUGO, OWN, {
      to: { pathNot: HUGO },
    }),
    forbid(
      'api-knows-no-one',
      '@odin/api holds definitions and the transport; it does not know the stores, services or assemblies.',
      API,
      OWN,
      { to: { pathNot: `${API}|${HUGO}` } },
    ),
    forbid(
      'lower-packages-do-not-know-the-services',
      'runtime, persistence and cluster sit below the services and the assembly.',
      '^packages/(runtime|persistence|cluster)/src/',
      '^services/|^packages/(server|cli|sdk)/',
    ),
    forbid(
      'sdk-knows-only-hugo-and-the-public-api',
      '@odin/sdk is what users install: only @odin/hugo and the public subset of @odin/api.',
      '^packages/sdk/src/',
      OWN,
      { to: { pathNot: `^packages/sdk/src/|${HUGO}|${API_PUBLIC}` } },
    ),
    forbid(
      'services-talk-through-contracts',
      'A service never imports another service: they call each other through the contracts in @odin/api.',
      '^services/([^/]+)/src/',
      SERVICES,
      { to: { pathNot: '^services/$1/src/' } },
    ),
    forbid(
      'services-sit-below-the-assembly',
      'Services do not know how they are assembled or driven: no @odin/server, CLI or cluster routing.',
      SERVICES,
      '^packages/(server|cli|cluster)/',
    ),
    forbid(
      'server-does-not-know-the-cli',
      '@odin/server assembles roles; the command line sits above it.',
      '^packages/server/src/',
      '^packages/cli/',
    ),
    forbid(
      'history-rpc-folders-only-from-the-handler-table',
      'services/history/src/api/<rpc>/ is imported only by the handler table (src/handlers.ts) and by its own folder.',
      '^services/history/src/(?!handlers\\.ts$|api/)',
      '^services/history/src/api/',
    ),
    forbid(
      'history-rpc-folders-do-not-import-each-other',
      'One RPC folder never imports another: what two RPCs share belongs in state/.',
      '^services/history/src/api/([^/]+)/',
      '^services/history/src/api/[^/]+/',
      { to: { pathNot: '^services/history/src/api/$1/' } },
    ),
    forbid(
      'history-state-is-the-bottom',
      'state/ is the shared workflow logic: it imports nothing of history above it.',
      '^services/history/src/state/',
      '^services/history/src/(?!state/|util/)',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|test)/|\\.test\\.ts$|\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@odin/source', 'import', 'types', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs'],
      mainFields: ['module', 'main', 'types'],
    },
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
