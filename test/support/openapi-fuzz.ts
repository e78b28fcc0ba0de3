import fc from 'fast-check';

// Requests built from the OpenAPI document the API serves: for every operation, values of the
// shape each parameter and body field declares (often valid), mixed with hostile ones. A new
// route is fuzzed as soon as it is documented.

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: { contentType: string; schema: Schema } | null;
}

export interface FuzzRequest {
  method: string;
  path: string;
  query: [string, string][];
  role: Role;
  idempotencyKey: string | null;
  contentType: string | null;
  body: string | null;
}

export const ROLES = [
  'admin',
  'clinician',
  'app',
  'dashboard',
  'operator',
  'other-admin',
  'none',
  'garbage',
] as const;
export type Role = (typeof ROLES)[number];

/** Values no field should choke on: they must be refused (or kept) cleanly, never a 500. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  'null',
  'undefined',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202egnp.exe',
  'مرحبا بالعالم',
  '🩺💊🦴',
  'ﷺ'.repeat(50),
  'a'.repeat(10_000),
  '../../etc/passwd',
  "'; DROP TABLE patients; --",
  '%00',
  '%',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '0001-01-01',
  '9999-12-31',
  '2026-02-30',
  '2026-02-30T09:00:00+01:00',
  '2026-11-20T24:00:00Z',
  '2026-11-20T09:00:00+15:00',
  '+275760-09-13T00:00:00Z',
  '-1',
  '0',
  '1e309',
  '0x10',
  'NaN',
  'Infinity',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  Buffer.from(JSON.stringify(['2026-01-01', 'x'])).toString('base64url'),
  Buffer.from(JSON.stringify(['1', '3b0e5a52-7c1e-4f0a-9d2b-000000000019'])).toString('base64url'),
  Buffer.from(
    JSON.stringify(['+275760-09-13T00:00:00Z', '3b0e5a52-7c1e-4f0a-9d2b-000000000019']),
  ).toString('base64url'),
];

const HOSTILE_NUMBERS = [-1, 0, 0.5, -0.0001, 1e308, -1e308, 2 ** 53 + 1, 2 ** 31, -(2 ** 31) - 1];

// Placeholders that survive JSON.stringify and are replaced in the text afterwards: a key
// named __proto__ and nesting thousands of levels deep cannot be built as plain objects.
const PROTO_KEY = '\u0001proto\u0001';
const DEEP = '\u0001deep\u0001';
const DEEP_JSON = `${'['.repeat(5000)}${']'.repeat(5000)}`;

/**
 * encodeURIComponent, also for a lone surrogate (which it refuses): written as the three bytes
 * WTF-8 gives it, as a careless client would send.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

export function finishJson(text: string): string {
  return text
    .split(JSON.stringify(PROTO_KEY))
    .join('"__proto__"')
    .split(JSON.stringify(DEEP))
    .join(DEEP_JSON);
}

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.boolean(),
  fc.constant(DEEP),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

export class OpenApiFuzz {
  constructor(
    private readonly components: Record<string, Schema>,
    /** Ids that exist in the seeded clinic (and in another one): for path and uuid fields. */
    private readonly knownIds: string[],
  ) {}

  private resolve(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; s.$ref && i < 10; i++) s = this.components[s.$ref.split('/').pop() ?? ''] ?? {};
    if (s.allOf?.length === 1 && !s.properties) return this.resolve(s.allOf[0]);
    return s;
  }

  private idArb(): fc.Arbitrary<string> {
    return this.knownIds.length > 0
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...this.knownIds) },
          { weight: 1, arbitrary: fc.uuid() },
        )
      : fc.uuid();
  }

  /** A value of the declared shape, as a client that read the documentation would send. */
  shaped(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (s.enum?.length) return fc.constantFrom(...s.enum);
    // One of several shapes (an activity import's formats, a count or a unit-value): any of them.
    const members = s.oneOf ?? s.anyOf;
    if (members?.length && depth <= 4) {
      return fc.oneof(...members.map((member) => this.shaped(member, depth + 1)));
    }
    switch (s.type) {
      case 'string': {
        if (s.format === 'uuid') return this.idArb();
        if (s.format === 'date')
          return fc.oneof(
            fc.constant(typeof s.example === 'string' ? s.example : '2026-11-20'),
            fc
              .date({
                min: new Date('2000-01-01'),
                max: new Date('2027-06-01'),
                noInvalidDate: true,
              })
              .map((d) => d.toISOString().slice(0, 10)),
          );
        const examples = typeof s.example === 'string' ? [fc.constant(s.example)] : [];
        return fc.oneof(...examples, fc.string({ maxLength: Math.min(s.maxLength ?? 40, 40) }));
      }
      case 'number':
      case 'integer': {
        const min = s.minimum ?? -1000;
        const max = s.maximum ?? 100_000;
        return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
      }
      case 'boolean':
        return fc.boolean();
      case 'array':
        if (Array.isArray(s.example)) return fc.constant(s.example);
        return depth > 4
          ? fc.constant([])
          : fc.array(this.shaped(s.items ?? {}, depth + 1), { maxLength: 4 });
      case 'object':
      case undefined:
      default:
        if (!s.properties) return depth > 4 ? fc.constant({}) : fc.jsonValue({ maxDepth: 2 });
        return this.objectOf(s, depth);
    }
  }

  /** An object of the schema: required fields mostly there, optional ones sometimes. */
  private objectOf(s: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const required = new Set(s.required ?? []);
    const entries = Object.entries(s.properties ?? {}).map(([key, field]) =>
      fc.record({
        key: fc.constant(key),
        present: required.has(key)
          ? fc.integer({ min: 0, max: 9 }).map((n) => n > 0)
          : fc.boolean(),
        value: this.fuzzed(field, depth + 1),
      }),
    );
    return fc
      .record({
        fields: fc.tuple(...entries),
        extra: fc.option(
          fc.constantFrom('unknownField', 'organizationId', PROTO_KEY, 'constructor', 'x\u0000y'),
          { freq: 6 },
        ),
        extraValue: hostileValue,
      })
      .map(({ fields, extra, extraValue }) => {
        const out: Record<string, unknown> = {};
        for (const f of fields) if (f.present) out[f.key] = f.value;
        if (extra !== null) out[extra] = extra === PROTO_KEY ? { isAdmin: true } : extraValue;
        return out;
      });
  }

  /** Mostly the declared shape, sometimes a hostile value in its place. */
  fuzzed(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    return fc.oneof(
      { weight: 5, arbitrary: this.shaped(schema, depth) },
      { weight: 1, arbitrary: hostileValue },
    );
  }

  /** The text of a query or path value: shaped, or hostile. */
  private paramText(p: Parameter): fc.Arbitrary<string> {
    const shaped =
      p.in === 'path'
        ? this.idArb()
        : this.shaped(p.schema ?? { type: 'string' }).map((v) => String(v));
    return fc.oneof(
      { weight: 4, arbitrary: shaped },
      { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    );
  }

  private bodyArb(
    op: Operation,
  ): fc.Arbitrary<{ contentType: string | null; body: string | null }> {
    if (!op.body) {
      return fc.oneof(
        { weight: 5, arbitrary: fc.constant({ contentType: null, body: null }) },
        {
          weight: 1,
          arbitrary: fc
            .jsonValue({ maxDepth: 2 })
            .map((v) => ({ contentType: 'application/json', body: JSON.stringify(v) ?? 'null' })),
        },
      );
    }
    const { contentType, schema } = op.body;
    const json = contentType.includes('json');
    const resolved = this.resolve(schema);
    const document = !json
      ? fc.oneof(fc.jsonValue({ maxDepth: 3 }), this.importPayload())
      : resolved.oneOf
        ? fc.oneof(this.fuzzed(schema), this.importPayload())
        : this.fuzzed(schema);
    return fc.oneof(
      {
        weight: 8,
        arbitrary: document.map((v) => ({
          contentType: 'application/json',
          body: finishJson(JSON.stringify(v) ?? 'null'),
        })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('{', '', '[1,', '{"a":1}{', 'null', '"text"', '1e99999')
          .map((b) => ({ contentType: 'application/json', body: b })),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          contentType: fc.constantFrom('application/xml', 'text/plain'),
          body: fc.constantFrom(
            '<x/>',
            '<HealthData><Record type="HKQuantityTypeIdentifierStepCount" startDate="2026-02-30 10:00:00 +0100" endDate="x" value="5"/></HealthData>',
            'plain',
          ),
        }),
      },
    );
  }

  /** A wearable payload of a documented format, with fields left to chance. */
  private importPayload(): fc.Arbitrary<unknown> {
    const time = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.constant('2026-11-20T09:00:00Z'));
    return fc.oneof(
      fc.record({
        source: fc.record({ name: fc.oneof(fc.string(), hostileValue) }),
        samples: fc.array(
          fc.record({ start: time, end: time, steps: fc.oneof(fc.integer(), hostileValue) }),
          { maxLength: 5 },
        ),
      }),
      fc.record({
        epochs: fc.array(
          fc.record({
            userId: fc.string(),
            startTimeInSeconds: fc.oneof(fc.integer(), hostileValue),
            steps: hostileValue,
          }),
          { maxLength: 3 },
        ),
      }),
      fc.record({
        resourceType: fc.constant('Observation'),
        status: fc.string(),
        code: hostileValue,
        valueQuantity: hostileValue,
      }),
      fc.record({
        records: fc.array(
          fc.record({
            startTime: time,
            endTime: time,
            count: hostileValue,
            metadata: hostileValue,
          }),
          { maxLength: 3 },
        ),
      }),
    );
  }

  request(op: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const queryParams = op.parameters.filter((p) => p.in === 'query');
    return fc
      .record({
        path: fc.tuple(...pathParams.map((p) => this.paramText(p))),
        query: fc.tuple(
          ...queryParams.map((p) =>
            fc.option(fc.array(this.paramText(p), { minLength: 1, maxLength: 2 }), { freq: 3 }),
          ),
        ),
        unknownQuery: fc.option(
          fc.constantFrom('__proto__[x]', 'organizationId', 'a[b][c][d][e][f][g]', 'limit[]'),
          { freq: 8 },
        ),
        role: fc.constantFrom(...ROLES),
        idempotencyKey: fc.option(
          fc.oneof(fc.uuid(), fc.constantFrom('', ' ', 'k'.repeat(300), 'é', 'same-key')),
          { freq: 3 },
        ),
        body: this.bodyArb(op),
      })
      .map(({ path, query, unknownQuery, role, idempotencyKey, body }) => {
        let filled = op.path;
        pathParams.forEach((p, i) => {
          filled = filled.replace(`{${p.name}}`, percentEncode(path[i]));
        });
        const pairs: [string, string][] = [];
        queryParams.forEach((p, i) => {
          for (const value of query[i] ?? []) pairs.push([p.name, value]);
        });
        if (unknownQuery) pairs.push([unknownQuery, '1']);
        return {
          method: op.method,
          path: filled,
          query: pairs,
          role,
          idempotencyKey: op.method === 'POST' ? idempotencyKey : null,
          ...body,
        };
      });
  }
}

/** Every operation of an OpenAPI document. */
export function operationsOf(doc: {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }
    >
  >;
}): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const content = Object.entries(op.requestBody?.content ?? {})[0];
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).filter((p) => p.in !== 'header'),
        body: content ? { contentType: content[0], schema: content[1].schema } : null,
      });
    }
  }
  return ops;
}
