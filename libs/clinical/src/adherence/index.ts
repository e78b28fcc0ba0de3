export * from './adherence-compute.service';
export * from './adherence-dirty';
