export * from './adherence-compute.service';
export * from './adherence-inputs';
export * from './adherence-weeks.sql';
export * from './adherence-dirty';
