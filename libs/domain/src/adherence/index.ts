export * from './adherence';
export * from './days';
export * from './flags';
export * from './types';
