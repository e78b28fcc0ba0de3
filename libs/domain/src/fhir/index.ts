export * from './codes';
export * from './ids';
export * from './inputs';
export * from './resources';
export * from './server';
export * from './time';
