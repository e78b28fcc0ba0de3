export * from './attributes';
export * from './trace-context';
