/**
 * The sample workflows and docs/pipelines.md stay true to action.yml and the GitLab
 * component: every input a sample passes exists, the required ones are given, and every
 * input and output is documented.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFile(join(root, path), 'utf8');

interface ActionYml {
  inputs: Record<string, { required?: boolean }>;
  outputs: Record<string, unknown>;
}
interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}

describe('sample workflows and docs', () => {
  it.each(['examples/github-plain.yml', 'examples/github-matrix.yml', 'examples/github-manifest.yml'])(
    '%s gives the action only inputs it has, the required ones included, with id-token: write',
    async (path) => {
      const action = parse(await read('action.yml')) as ActionYml;
      const workflow = parse(await read(path)) as {
        permissions: Record<string, string>;
        jobs: Record<string, { steps: Step[] }>;
      };
      expect(workflow.permissions['id-token']).toBe('write');
      const uses = Object.values(workflow.jobs)
        .flatMap((job) => job.steps)
        .filter((step) => step.uses?.startsWith('your-org/jitvend@'));
      expect(uses.length).toBeGreaterThan(0);
      for (const step of uses) {
        for (const name of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(name);
        for (const [name, input] of Object.entries(action.inputs))
          if (input.required) expect(step.with).toHaveProperty(name);
      }
    },
  );

  it('examples/gitlab-ci.yml gives the component only inputs it has and extends its job', async () => {
    const header = parseAllDocuments(await read('templates/jitvend.yml'))[0]!.toJS() as {
      spec: { inputs: Record<string, { default?: unknown }> };
    };
    const pipeline = parse(await read('examples/gitlab-ci.yml')) as {
      include: Array<{ component: string; inputs: Record<string, unknown> }>;
      'integration-tests': { extends: string };
    };
    const { inputs } = pipeline.include[0]!;
    for (const name of Object.keys(inputs)) expect(Object.keys(header.spec.inputs)).toContain(name);
    for (const [name, spec] of Object.entries(header.spec.inputs))
      if (!('default' in spec)) expect(inputs).toHaveProperty(name);
    expect(pipeline['integration-tests'].extends).toBe('.jitvend');
  });

  it('docs/pipelines.md documents every input and output of the action', async () => {
    const action = parse(await read('action.yml')) as ActionYml;
    const docs = await read('docs/pipelines.md');
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)])
      expect(docs).toContain(`| \`${name}\` |`);
  });
});
