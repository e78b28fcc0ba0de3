import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiResponse,
  DocumentBuilder,
  getSchemaPath,
  OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import type {
  ExampleObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { pageSchema } from './pagination';
import { ProblemDto } from './problem';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

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
  502: 'The provider did not answer as expected',
  503: 'A dependency does not answer',
};

const PROBLEM_CONTENT = {
  'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } },
};

function problemResponse(status: number, description?: string): ResponseObject {
  return {
    description: description ?? ERROR_DESCRIPTIONS[status] ?? 'Error',
    content: PROBLEM_CONTENT,
  };
}

/**
 * Error answers of a route or controller, as application/problem+json (RFC 9457), each with
 * the standard description of its status.
 */
export const ApiProblems = (...statuses: number[]): MethodDecorator & ClassDecorator =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })));

/** One error answer that a route gives for its own reason (a conflict of its state). */
export const ApiProblem = (status: number, description: string): MethodDecorator & ClassDecorator =>
  ApiResponse({ status, ...problemResponse(status, description) });

/** A cursor page of `model` (`{ data, nextCursor }`); a cursor the API did not write is 400. */
export const ApiPage = (model: Type<unknown>, description: string): MethodDecorator =>
  applyDecorators(
    ApiExtraModels(model),
    ApiOkResponse({ description, schema: pageSchema(getSchemaPath(model)) }),
    ApiProblem(400, 'The cursor is not one this API returned'),
  );

/** The JSON body of a write, its schema the DTO's, with whole examples a client can send. */
export const ApiJsonBody = (
  model: Type<unknown>,
  examples: Record<string, ExampleObject>,
): MethodDecorator =>
  applyDecorators(
    ApiExtraModels(model),
    ApiBody({ required: true, schema: { $ref: getSchemaPath(model) }, examples }),
  );

/**
 * Adds the error answers that follow from an operation's shape: addressed by id (404), taking
 * a body (400, 413, 415, 422) or a query (422), and every POST's Idempotency-Key (409, 422).
 * Declared route by route, these lists drift; derived here, they stay true. An answer the
 * route declares itself (ApiProblem, ApiProblems) keeps its own description.
 */
export function addProblemResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op: Operation | undefined = item[method];
      if (!op) continue;
      const statuses = new Set<number>();
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

/**
 * The OpenAPI document of an application built from AppModule: the serving one, or one
 * created with `preview: true` (no database, no Redis), which scripts/generate-client.ts uses.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
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
    // Any route can fail unexpectedly; the answer says so without a detail.
    .addGlobalResponse({ status: 500, ...problemResponse(500) })
    .build();
  return addProblemResponses(
    SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] }),
  );
}

export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
  return document;
}
