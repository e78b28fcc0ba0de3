export * from './access';
export * from './exercises';
export * from './local-time';
export * from './pain';
export * from './program-items';
export * from './red-flags';
export * from './rules';
export * from './time-zone';
