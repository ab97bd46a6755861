import { type Command, Option } from 'commander';
import type { CliContext } from '../context.ts';
import { ApiError, CliError, ExitCode } from '../errors.ts';
import { formatJson, formatPreview, sanitize } from '../format.ts';
import { loadManifest, MANIFEST_FILE, ManifestError, requestBodyFromManifest } from '../manifest.ts';
import { sendBody } from './request-options.ts';

interface LintOptions {
  manifest?: string;
  format: 'text' | 'json';
}

/** The reason sent to the preview when the manifest gives none (`request` then needs --reason). */
const LINT_REASON = 'jitvend lint';

/**
 * `jitvend lint`: checks the manifest as the server would judge a request from it, with
 * `POST /requests/preview` (creating nothing). For pull-request checks: 0 when the server
 * would take it, 8 when the manifest itself is invalid, 3 when the server refuses it (its
 * problem detail on stderr), 4/5 when the server or a token cannot be reached.
 */
export function registerLint(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  program
    .command('lint')
    .description(
      `check the manifest (${MANIFEST_FILE}) against the server's preview, creating nothing; non-zero exit on a refusal`,
    )
    .option('--manifest <path>', `the manifest to check (default: ${MANIFEST_FILE} in the working directory)`)
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .action(async (options: LintOptions) => {
      const ctx = context();
      const { io } = ctx;
      const cwd = io.cwd ?? process.cwd();
      const manifest = await loadManifest({ path: options.manifest, cwd, env: io.env });
      if (!manifest) throw new ManifestError([`no ${MANIFEST_FILE} in ${cwd} (give --manifest PATH)`]);
      const shown = options.manifest ?? MANIFEST_FILE;
      const body = requestBodyFromManifest(manifest, {}, { reason: LINT_REASON });
      let preview: Awaited<ReturnType<ReturnType<CliContext['client']>['preview']>>;
      try {
        preview = await sendBody(body, (b) => ctx.client().preview(b));
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401)
          throw new CliError(`${sanitize(shown)}: refused by ${ctx.api}: ${error.message}`, ExitCode.api);
        throw error;
      }
      if (manifest.reason === undefined)
        io.stderr.write(
          `jitvend: note: ${sanitize(shown)} gives no reason: \`jitvend request\` will need --reason\n`,
        );
      if (options.format === 'json') {
        io.stdout.write(formatJson({ manifest: shown, ok: true, request: body, preview }));
      } else {
        io.stdout.write(
          `${sanitize(shown)}: ok: the server would take it (profile ${sanitize(body.profile)})\n`,
        );
        io.stdout.write(formatPreview(preview));
      }
      done(ExitCode.ok);
    });
}
