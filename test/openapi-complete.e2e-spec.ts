import { IMPORT_FORMATS } from '@app/domain';
import { ApiProperty } from '@nestjs/swagger';
import { IsInt } from 'class-validator';
import { buildOpenApiDocument } from '../apps/api/src/openapi-document';
import { createTestApp, TestApp } from './support/app';
import {
  completenessProblems,
  integerMetadataProblems,
  integerValidatedFields,
  type OpenApiDocument,
} from './support/openapi-completeness';

// The OpenAPI document must be enough to generate a usable client (issue 22): every body typed,
// every answer described, every operation's errors declared as problem details, whole numbers
// declared `integer`.

/** Nothing a caller sends can be wrong: no client error to declare. */
const WITHOUT_CLIENT_ERRORS = ['get /health', 'get /health/ready', 'get /metrics'];
/** Whole numbers in every schema besides those validated @IsInt (a pain rating, a page size). */
const KNOWN_INTEGERS = ['intensity', 'odi', 'limit'];

describe('the OpenAPI document', () => {
  let t: TestApp;
  let served: OpenApiDocument;

  beforeAll(async () => {
    t = await createTestApp();
    served = (await t.http.get('/docs-json').expect(200)).body;
  });
  afterAll(() => t.close());

  it('is the one `npm run client:generate` builds without a database', async () => {
    const generated: unknown = JSON.parse(JSON.stringify(await buildOpenApiDocument()));
    expect(generated).toEqual(served);
  });

  it('types every body, describes every answer and declares every operation’s errors', () => {
    const problems = completenessProblems(served, {
      withoutClientErrors: WITHOUT_CLIENT_ERRORS,
      integerFields: [...integerValidatedFields(), ...KNOWN_INTEGERS],
    });
    expect(problems).toEqual([]);
  });

  it('declares `integer` every field validated @IsInt', () => {
    // The DTOs are loaded (the app is), so the check has something to look at.
    expect(integerValidatedFields()).toEqual(
      expect.arrayContaining(['intensity', 'limit', 'sets', 'reps', 'odi', 'minutes']),
    );
    expect(integerMetadataProblems()).toEqual([]);
  });

  it('declares a pain rating as an integer from 0 to 10', () => {
    expect(served.components?.schemas?.PainDto?.properties?.intensity).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 10,
    });
  });

  it('declares an activity import’s body per format: a JSON schema each, the export as XML text', () => {
    const op = served.paths['/v1/patients/{id}/activity-imports'].post as {
      requestBody: { content: Record<string, { schema: { oneOf?: unknown[]; type?: string } }> };
      'x-schema-by-format': Record<string, { $ref?: string }[]>;
    };
    const content = op.requestBody.content;
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/xml']);
    expect(content['application/xml'].schema.type).toBe('string');
    expect(Object.keys(op['x-schema-by-format']).sort()).toEqual([...IMPORT_FORMATS].sort());
    // Each JSON format's schemas are in the body's oneOf, and exist.
    const oneOf = JSON.stringify(content['application/json'].schema.oneOf);
    for (const [format, schemas] of Object.entries(op['x-schema-by-format'])) {
      if (format === 'apple-health-xml') continue;
      for (const schema of schemas) {
        expect(oneOf).toContain(JSON.stringify(schema));
        const name = schema.$ref?.split('/').pop();
        if (name) expect(served.components?.schemas?.[name]).toBeDefined();
      }
    }
  });
});

describe('the completeness check', () => {
  const problem = {
    content: {
      'application/problem+json': {
        schema: { type: 'object', properties: { status: { type: 'integer' } } },
      },
    },
  };

  it('names each gap of a deliberately incomplete document', () => {
    const broken: OpenApiDocument = {
      paths: {
        '/things': {
          post: {
            requestBody: {
              content: { 'application/json': { schema: { type: 'string', format: 'binary' } } },
            },
            responses: { '201': { description: '' } },
          },
          get: {
            responses: {
              '200': {
                description: 'A thing',
                content: {
                  'application/json': {
                    schema: { $ref: '#/components/schemas/Thing' },
                    examples: { typo: { value: { count: 2, colour: 'teal' } } },
                  },
                },
              },
              '404': { description: 'No such thing' },
            },
          },
        },
        '/health': { get: { responses: { '200': { description: 'Up', content: {} } } } },
      },
      components: {
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              intensity: { type: 'number' },
              evidence: { type: 'object' },
              tags: { type: 'array' },
              count: { type: 'integer' },
              errors: {
                type: 'array',
                items: { type: 'string' },
                example: [{ field: 'count', message: 'must be an integer' }],
              },
            },
          },
        },
      },
    };
    expect(
      completenessProblems(broken, {
        withoutClientErrors: ['get /health'],
        integerFields: ['intensity'],
      }),
    ).toEqual([
      'post /things: the application/json body is declared as binary, not typed',
      'post /things: answer 201 has no description',
      'post /things: no client error (4xx) is declared',
      'get /things: answer 200 application/json example typo has an unknown colour',
      'get /things: error 404 is not declared as application/problem+json',
      '#/components/schemas/Thing/properties/intensity is number, not integer',
      '#/components/schemas/Thing/properties/evidence is an object without properties',
      '#/components/schemas/Thing/properties/tags is an array without items',
      '#/components/schemas/Thing/properties/errors example [0] is not a string',
    ]);
    // The same document made whole passes.
    const fixed: OpenApiDocument = {
      paths: {
        '/things': {
          post: {
            requestBody: {
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
            },
            responses: {
              '201': { description: 'Created' },
              '422': { description: 'Invalid', ...problem },
            },
          },
        },
      },
      components: {
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              intensity: { type: 'integer' },
              evidence: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    };
    expect(completenessProblems(fixed, { integerFields: ['intensity'] })).toEqual([]);
  });

  it('names a field validated @IsInt but documented as a number', () => {
    class CountsDto {
      @ApiProperty() @IsInt() documentedAsNumber: number;
      @ApiProperty({ type: 'integer' }) @IsInt() documentedAsInteger: number;
      @IsInt() undocumented: number;
    }
    expect(integerMetadataProblems([CountsDto])).toEqual([
      'CountsDto.documentedAsNumber is validated @IsInt but documented as Number',
      'CountsDto.undocumented is validated @IsInt but not documented',
    ]);
  });
});
