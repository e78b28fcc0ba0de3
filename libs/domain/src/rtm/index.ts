export * from './types';
export * from './ledger';
