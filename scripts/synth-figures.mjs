#!/usr/bin/env node
// The deploy figures: `cdk synth` time (offline), the minified bundle size of every Lambda
// function, and its cold module init time (a fresh `node` requiring the bundle), plus the
// first invocation of GET /health (import + building the AWS runtime: config, IAM catalogue,
// SDK clients; no network). Targets: bundle <= 500 KB, init <= 100 ms.
//
// Usage: node scripts/synth-figures.mjs [--no-synth] [--runs 5] [--json out.json]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'no-synth': { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    json: { type: 'string' },
    out: { type: 'string', default: 'cdk.out' },
  },
});
const runs = Number(values.runs);
const outdir = resolve(values.out);
const offline = {
  ...process.env,
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

let synthMs;
if (!values['no-synth']) {
  const started = performance.now();
  execFileSync('npx', ['cdk', 'synth', '--no-notices', '-q', '--output', outdir], {
    env: offline,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  synthMs = Math.round(performance.now() - started);
}

// Lambda runs index.js as CommonJS (no package.json in /var/task); inside this repo Node would
// read it as ESM ("type": "module"), so each bundle is measured from a copy outside it.
const scratch = mkdtempSync(join(tmpdir(), 'jitvend-figures-'));
writeFileSync(join(scratch, 'package.json'), '{"type":"commonjs"}\n');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const template = JSON.parse(readFileSync(join(outdir, 'Jitvend.template.json'), 'utf8'));
const functions = Object.values(template.Resources)
  .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'])
  .map((r) => ({
    name: String(r.Properties.Description ?? '').replace(/^jitvend /, ''),
    asset: join(outdir, r.Metadata['aws:asset:path']),
  }))
  .sort((a, b) => a.name.localeCompare(b.name))
  .map((f) => {
    const dir = join(scratch, f.name);
    cpSync(f.asset, dir, { recursive: true });
    return { ...f, dir };
  });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const dirSize = (dir) =>
  readdirSync(dir, { recursive: true })
    .map((f) => statSync(join(dir, String(f))))
    .filter((s) => s.isFile())
    .reduce((sum, s) => sum + s.size, 0);

/** ms for a fresh node to require the bundle, then run `then` if given (median of `runs`) */
function initMs(file, then = '', env = {}) {
  const script = `const t=performance.now();const m=require(${JSON.stringify(file)});${then || 'console.log(performance.now()-t)'}`;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(process.execPath, ['-e', script], {
      env: {
        ...offline,
        // as Lambda's NODE_PATH reaches the runtime's AWS SDK, this reaches the repo's
        NODE_PATH: resolve('node_modules'),
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`${file}: ${out.stderr}`);
    times.push(Number(out.stdout.trim().split('\n').pop()));
  }
  return Math.round(median(times) * 10) / 10;
}

const rows = functions.map(({ name, dir }) => {
  const bundle = join(dir, 'index.js');
  return {
    function: name,
    bundleKB: Math.round((statSync(bundle).size / 1024) * 10) / 10,
    assetKB: Math.round(dirSize(dir) / 1024),
    initMs: initMs(bundle),
  };
});

// GET /health end to end: import, build the AWS runtime (no secrets, no network), answer
const health = functions.find((f) => f.name === 'health');
let healthFirstCallMs;
if (health) {
  const env = {
    TABLE_NAME: 'jitvend-figures',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:figures',
    CREDENTIALS_KEY_ID: 'alias/figures',
    PUBLIC_URL: 'https://figures.example.com',
    JITVEND_CONFIG: join(health.dir, 'jitvend.config.yaml'),
    IAM_DATA_DIR: join(health.dir, 'iam-data'),
  };
  const call = `m.handler({rawPath:'/health',requestContext:{http:{method:'GET'}},headers:{}},{}).then((r)=>{if(r.statusCode!==200)throw new Error(JSON.stringify(r));console.log(performance.now()-t)})`;
  healthFirstCallMs = initMs(join(health.dir, 'index.js'), call, env);
}

const result = {
  date: new Date().toISOString(),
  node: process.version,
  runs,
  synthMs,
  targets: { bundleKB: 500, initMs: 100 },
  healthFirstCallMs,
  functions: rows,
};
console.log(`cdk synth: ${synthMs === undefined ? 'skipped' : `${(synthMs / 1000).toFixed(1)} s`}`);
console.log(
  'function                   bundle KB  asset KB  init ms (median of',
  runs,
  'fresh node processes)',
);
for (const r of rows) {
  const flag = r.bundleKB > 500 || r.initMs > 100 ? '  <- over target' : '';
  console.log(
    `${r.function.padEnd(26)} ${String(r.bundleKB).padStart(9)} ${String(r.assetKB).padStart(9)} ${String(r.initMs).padStart(8)}${flag}`,
  );
}
if (healthFirstCallMs !== undefined)
  console.log(`GET /health first call (import + AWS runtime, no network): ${healthFirstCallMs} ms`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
