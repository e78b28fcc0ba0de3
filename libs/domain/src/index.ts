export * from './access';
export * from './pain';
export * from './time-zone';
