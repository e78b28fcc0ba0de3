export * from './messages';
export * from './pain-rules';
export * from './types';
