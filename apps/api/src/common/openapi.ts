import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ProblemDto } from './problem';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The body is not valid JSON',
  401: 'The API key is missing, unknown or revoked',
  403: 'The key’s role or scopes do not allow this route',
  404: 'No such record, or one this key may not see',
  409: 'Conflicts with an existing record, or the same Idempotency-Key is still running after 2 s',
  413: 'The body is larger than this endpoint accepts',
  415: 'The body is not JSON',
  422: 'The request is not valid: `errors` names each field',
  500: 'Unexpected server error (no detail is disclosed)',
};

function problemResponse(status: number): ResponseObject {
  return {
    description: ERROR_DESCRIPTIONS[status] ?? 'Error',
    content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
  };
}

/**
 * Adds the error answers every operation can give, from what the operation is: authenticated
 * (401, 403), addressed by id (404), taking a body (400, 413, 415, 422) or a query (422).
 * Declared per route, these lists drift; derived here, they stay true.
 */
export function addProblemResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op: Operation | undefined = item[method];
      if (!op) continue;
      const statuses = new Set<number>([500]);
      if (op.security?.length) statuses.add(401).add(403);
      if (path.includes('{')) statuses.add(404);
      if (op.requestBody) [400, 413, 415, 422].forEach((s) => statuses.add(s));
      if (op.parameters?.some((p) => 'in' in p && p.in === 'query')) statuses.add(422);
      if (method === 'post') {
        // Every POST takes an Idempotency-Key: a reused key answers 409 (in flight) or 422 (other body).
        statuses.add(409).add(422);
        op.parameters ??= [];
        if (!op.parameters.some((p) => 'name' in p && p.name === 'Idempotency-Key')) {
          op.parameters.push({
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              'Up to 255 visible ASCII characters. The same key with the same body replays the first answer ' +
              '(header Idempotent-Replayed: true); with another body → 422. A request sent while the first ' +
              'is still running waits for it (up to 2 s) and then replays its answer; if the first is still ' +
              'running after that → 409 with Retry-After.',
            schema: { type: 'string', maxLength: 255 },
          });
        }
      }
      for (const status of statuses) {
        op.responses[String(status)] ??= problemResponse(status);
      }
    }
  }
  return document;
}

export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Sciatrack API')
    .setDescription(
      'Home exercise and walking programs for people with sciatica from a lumbar disc herniation: ' +
        'session logs, pain reports, wearable activity, adherence and clinician alerts. ' +
        'Errors are application/problem+json (RFC 9457).',
    )
    .setVersion('1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An organization API key (sct_…)' },
      'apiKey',
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'The platform operator token (ADMIN_TOKEN)' },
      'operator',
    )
    .build();
  const document = addProblemResponses(
    SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] }),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
  return document;
}
