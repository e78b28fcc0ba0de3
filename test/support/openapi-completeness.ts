import { DECORATORS } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

// What makes the OpenAPI document usable to generate a client from, as checks that name each
// gap: every body typed, every answer described, every operation's errors declared, and every
// whole-number field declared `integer` (the generated client's types follow these).

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  example?: unknown;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}

interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface Operation {
  parameters?: { name: string; in: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface CompletenessOptions {
  /** Operations (`get /health`) that have no client error to declare: nothing a caller sends. */
  withoutClientErrors?: readonly string[];
  /**
   * Fields that are whole numbers wherever they appear, in requests and answers (the names
   * validated @IsInt, see integerValidatedFields, and any known besides).
   */
  integerFields?: readonly string[];
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);
const COMBINATORS = ['oneOf', 'anyOf', 'allOf'] as const;

function resolve(doc: OpenApiDocument, schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s?.$ref && i < 20; i++) {
    s = doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')];
  }
  return s;
}

/** Every schema node below `schema` (itself included), each with its JSON pointer. */
function* schemaNodes(schema: Schema, at: string): Iterable<[Schema, string]> {
  yield [schema, at];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    yield* schemaNodes(property, `${at}/properties/${name}`);
  }
  if (schema.items) yield* schemaNodes(schema.items, `${at}/items`);
  if (typeof schema.additionalProperties === 'object') {
    yield* schemaNodes(schema.additionalProperties, `${at}/additionalProperties`);
  }
  for (const key of COMBINATORS) {
    for (const [i, member] of (schema[key] ?? []).entries()) {
      yield* schemaNodes(member, `${at}/${key}/${i}`);
    }
  }
}

/** Why a schema node gives a client no type (an empty object, nothing at all), or null. */
function untyped(schema: Schema): string | null {
  if (schema.$ref || schema.enum || COMBINATORS.some((key) => schema[key]?.length)) return null;
  if (!schema.type) return 'has no type';
  if (schema.type === 'object' && !schema.properties && schema.additionalProperties === undefined) {
    return 'is an object without properties';
  }
  if (schema.type === 'array' && !schema.items) return 'is an array without items';
  return null;
}

/**
 * Why an example does not have its schema's shape (a type, an enum value, a property that is
 * missing or unknown), or null. Light: formats and bounds are not checked.
 */
function exampleMismatch(doc: OpenApiDocument, schema: Schema, example: unknown): string | null {
  const s = resolve(doc, schema);
  if (!s) return null;
  if (example === null) return s.nullable ? null : 'is null';
  const members = s.oneOf ?? s.anyOf;
  if (members) {
    return members.some((m) => exampleMismatch(doc, m, example) === null)
      ? null
      : 'matches none of its alternatives';
  }
  if (s.enum && !s.enum.includes(example)) return `${JSON.stringify(example)} is not in its enum`;
  switch (s.type) {
    case 'integer':
      return Number.isInteger(example) ? null : 'is not an integer';
    case 'number':
    case 'string':
    case 'boolean':
      return typeof example === s.type ? null : `is not a ${s.type}`;
    case 'array': {
      if (!Array.isArray(example)) return 'is not an array';
      for (const [i, item] of example.entries()) {
        const why = s.items && exampleMismatch(doc, s.items, item);
        if (why) return `[${i}] ${why}`;
      }
      return null;
    }
    case 'object': {
      if (typeof example !== 'object' || Array.isArray(example)) return 'is not an object';
      const value = example as Record<string, unknown>;
      for (const name of s.required ?? []) {
        if (!(name in value)) return `has no ${name}`;
      }
      for (const [name, field] of Object.entries(value)) {
        const declared =
          s.properties?.[name] ??
          (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
        if (!declared && s.properties && !s.additionalProperties) return `has an unknown ${name}`;
        const why = declared && exampleMismatch(doc, declared, field);
        if (why) return `.${name} ${why}`;
      }
      return null;
    }
    case undefined:
    default:
      return null;
  }
}

function operationsOf(doc: OpenApiDocument): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, op]): [string, Operation] => [`${method} ${path}`, op]),
  );
}

/** Every schema of the document: components, parameters, bodies and answers. */
function* documentSchemas(doc: OpenApiDocument): Iterable<[Schema, string]> {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    yield* schemaNodes(schema, `#/components/schemas/${name}`);
  }
  for (const [label, op] of operationsOf(doc)) {
    for (const p of op.parameters ?? []) {
      if (p.schema) yield* schemaNodes(p.schema, `${label} parameter ${p.name}`);
    }
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
      if (media.schema) yield* schemaNodes(media.schema, `${label} body ${type}`);
    }
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      for (const [type, media] of Object.entries(response.content ?? {})) {
        if (media.schema) yield* schemaNodes(media.schema, `${label} ${status} ${type}`);
      }
    }
  }
}

function isJson(mediaType: string): boolean {
  return /[/+]json$/.test(mediaType);
}

function typeOf(schema: Schema): string | undefined {
  return schema.type ?? schema.oneOf?.find((s) => s.type !== 'null')?.type;
}

/** The gaps of a document, one line each; none when it is complete. */
export function completenessProblems(
  doc: OpenApiDocument,
  options: CompletenessOptions = {},
): string[] {
  const problems: string[] = [];
  const exempt = new Set(options.withoutClientErrors ?? []);

  for (const [label, op] of operationsOf(doc)) {
    // Examples are what a client developer copies: each of them has its schema's shape.
    const media = [
      ...Object.entries(op.requestBody?.content ?? {}).map(
        ([type, m]) => [`body ${type}`, m] as const,
      ),
      ...Object.entries(op.responses ?? {}).flatMap(([status, r]) =>
        Object.entries(r.content ?? {}).map(
          ([type, m]) => [`answer ${status} ${type}`, m] as const,
        ),
      ),
    ];
    for (const [where, m] of media) {
      const examples = Object.entries(m.examples ?? {}).map(
        ([name, e]) => [name, e.value] as const,
      );
      if (m.example !== undefined) examples.push(['example', m.example]);
      for (const [name, value] of examples) {
        const why = m.schema && exampleMismatch(doc, m.schema, value);
        if (why) problems.push(`${label}: ${where} example ${name} ${why}`);
      }
    }

    // A body a client can build: a schema per media type, and a real one for JSON.
    if (op.requestBody) {
      const content = Object.entries(op.requestBody.content ?? {});
      if (content.length === 0) problems.push(`${label}: the request body has no content`);
      for (const [type, media] of content) {
        const schema = resolve(doc, media.schema);
        if (!schema) problems.push(`${label}: the ${type} body has no schema`);
        else if (isJson(type) && schema.type === 'string' && schema.format === 'binary') {
          problems.push(`${label}: the ${type} body is declared as binary, not typed`);
        } else if (isJson(type) && untyped(schema)) {
          problems.push(`${label}: the ${type} body ${untyped(schema)}`);
        }
      }
    }

    const responses = Object.entries(op.responses ?? {});
    for (const [status, response] of responses) {
      if (!response.description?.trim())
        problems.push(`${label}: answer ${status} has no description`);
      if (/^[45]/.test(status) && !response.content?.['application/problem+json']?.schema) {
        problems.push(`${label}: error ${status} is not declared as application/problem+json`);
      }
      if (/^2/.test(status) && status !== '204') {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          const schema = resolve(doc, media.schema);
          if (!schema) problems.push(`${label}: answer ${status} ${type} has no schema`);
          else if (isJson(type) && untyped(schema)) {
            problems.push(`${label}: answer ${status} ${type} ${untyped(schema)}`);
          }
        }
      }
    }
    if (!responses.some(([status]) => /^2/.test(status))) {
      problems.push(`${label}: no success answer`);
    }
    if (!exempt.has(label) && !responses.some(([status]) => /^4/.test(status))) {
      problems.push(`${label}: no client error (4xx) is declared`);
    }
  }

  // Every schema a client sees says what it is; an open object says so (additionalProperties).
  // A whole-number field is `integer` in every schema, request and answer alike.
  const integerNames = new Set(options.integerFields ?? []);
  for (const [schema, at] of documentSchemas(doc)) {
    const gap = untyped(schema);
    if (gap) problems.push(`${at} ${gap}`);
    const why = schema.example === undefined ? null : exampleMismatch(doc, schema, schema.example);
    if (why) problems.push(`${at} example ${why}`);
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (integerNames.has(name) && typeOf(property) !== 'integer') {
        problems.push(`${at}/properties/${name} is ${typeOf(property)}, not integer`);
      }
    }
  }
  for (const [label, op] of operationsOf(doc)) {
    for (const p of op.parameters ?? []) {
      if (integerNames.has(p.name) && p.schema && typeOf(p.schema) !== 'integer') {
        problems.push(`${label} parameter ${p.name} is ${typeOf(p.schema)}, not integer`);
      }
    }
  }
  return problems;
}

type Constructor = abstract new (...args: never[]) => unknown;

interface ValidationMetadata {
  name?: string;
  propertyName: string;
  each: boolean;
}

/** class-validator's metadata of every class loaded so far, by class. */
function validationMetadatas(): [Constructor, ValidationMetadata[]][] {
  const storage = getMetadataStorage() as unknown as {
    validationMetadatas: Map<Constructor, ValidationMetadata[]>;
  };
  return [...storage.validationMetadatas].filter(([target]) => typeof target === 'function');
}

/** The names of the properties validated @IsInt in the classes that the OpenAPI document shows. */
export function integerValidatedFields(): string[] {
  const names = validationMetadatas()
    .filter(([target]) =>
      Reflect.hasMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, target.prototype),
    )
    .flatMap(([, metadatas]) =>
      metadatas.filter((m) => m.name === 'isInt').map((m) => m.propertyName),
    );
  return [...new Set(names)].sort();
}

/**
 * Properties validated with class-validator's @IsInt that the OpenAPI metadata of the same
 * class does not declare `integer` (or does not declare at all), one line each. Looks at every
 * class loaded so far that carries @ApiProperty metadata.
 */
export function integerMetadataProblems(only?: readonly Constructor[]): string[] {
  const problems: string[] = [];
  for (const [target, metadatas] of validationMetadatas()) {
    if (only && !only.includes(target)) continue;
    const documented = Reflect.getMetadata(
      DECORATORS.API_MODEL_PROPERTIES_ARRAY,
      target.prototype,
    ) as string[] | undefined;
    if (!documented) continue;
    for (const m of metadatas.filter((v) => v.name === 'isInt')) {
      const swagger = Reflect.getMetadata(
        DECORATORS.API_MODEL_PROPERTIES,
        target.prototype,
        m.propertyName,
      ) as { type?: unknown; items?: { type?: unknown } } | undefined;
      const type = m.each ? swagger?.items?.type : swagger?.type;
      if (!swagger) {
        problems.push(`${target.name}.${m.propertyName} is validated @IsInt but not documented`);
      } else if (type !== 'integer') {
        const shown = typeof type === 'function' ? type.name : String(type);
        problems.push(
          `${target.name}.${m.propertyName} is validated @IsInt but documented as ${shown}`,
        );
      }
    }
  }
  return problems;
}
