import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationProblem } from './problem';

/** Flattens class-validator's tree into `a.b[0].c` paths, one entry per broken constraint. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const isIndex = /^\d+$/.test(error.property);
    const path = parent
      ? isIndex
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`
      : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field: path, message: message.replace(/^property \S+ /, '') });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, path));
  }
  return out;
}

// The caller's organization always comes from its key. A body or query that names one is not
// trusted and not an error either: the field is dropped before validation.
const IGNORED_FIELDS = ['organizationId'];

const NAMES_ORGANIZATION = Symbol('sciatrack:names-organization');

/**
 * A body of an operator's route, which acts on the organization it names: there is no key to
 * take one from, so its `organizationId` is the target, validated like any field, not dropped.
 */
export const NamesOrganization = (): ClassDecorator => (target) => {
  Reflect.defineMetadata(NAMES_ORGANIZATION, true, target);
};

class ApiValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      (metadata.type === 'body' || metadata.type === 'query') &&
      !(metadata.metatype && Reflect.getMetadata(NAMES_ORGANIZATION, metadata.metatype)) &&
      value &&
      typeof value === 'object' &&
      !Array.isArray(value)
    ) {
      const copy = { ...(value as Record<string, unknown>) };
      for (const field of IGNORED_FIELDS) delete copy[field];
      return super.transform(copy, metadata);
    }
    return super.transform(value, metadata);
  }
}

/** Whitelist validation: unknown fields are an error, not silently dropped. */
export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
  });
}
