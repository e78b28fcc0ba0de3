export * from './addresses';
export * from './events';
export * from './retry-policy';
export * from './signature';
