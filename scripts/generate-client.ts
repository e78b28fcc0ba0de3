// `npm run client:generate`: writes the OpenAPI document the API serves, and the TypeScript
// types of packages/client that openapi-typescript generates from it. Run it after changing a
// route or a DTO, and commit both files. Needs neither PostgreSQL nor Redis.
//
//   --check            write nothing; list the committed files that differ, and exit 1 if any
//   --document <file>  take the document from this file instead of building it
//
// test/openapi-client.e2e-spec.ts runs `--check` on the document of the current sources.
import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { buildOpenApiDocument } from '../apps/api/src/openapi-document';

// Run as dist/scripts/generate-client.js.
const REPO_ROOT = join(__dirname, '..', '..');

/** The generated files of packages/client, by path from the repository root. */
async function clientFiles(document: unknown): Promise<Record<string, string>> {
  // A field with a default is optional to send: not required (openapi-typescript's default).
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0], {
    defaultNonNullable: false,
  });
  return {
    'packages/client/openapi.json': `${JSON.stringify(document, null, 2)}\n`,
    'packages/client/src/schema.ts': `${COMMENT_HEADER}${astToString(ast)}`,
  };
}

async function main(args: string[]): Promise<number> {
  const from = args.includes('--document') ? args[args.indexOf('--document') + 1] : null;
  // Through JSON either way, as a client reads the document.
  const document: unknown = JSON.parse(
    from ? await readFile(from, 'utf8') : JSON.stringify(await buildOpenApiDocument()),
  );
  const files = await clientFiles(document);
  if (args.includes('--check')) {
    const stale: string[] = [];
    for (const [path, text] of Object.entries(files)) {
      const committed = await readFile(join(REPO_ROOT, path), 'utf8').catch(() => null);
      if (committed !== text) stale.push(path);
    }
    for (const path of stale) process.stdout.write(`stale: ${path}\n`);
    if (stale.length) process.stdout.write('run `npm run client:generate` and commit the files\n');
    return stale.length ? 1 : 0;
  }
  for (const [path, text] of Object.entries(files)) {
    await writeFile(join(REPO_ROOT, path), text);
    process.stdout.write(`wrote ${path}\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `client:generate failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(1);
  },
);
