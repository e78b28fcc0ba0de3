export * from './adherence-compute.service';
