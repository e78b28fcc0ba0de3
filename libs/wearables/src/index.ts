export * from './envelope';
export * from './parse-import';
export * from './payload';
export * from './sample-checks';
export * from './types';
export { nativeBatchOf } from './parsers/native';
