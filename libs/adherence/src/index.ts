export * from './adherence-compute.module';
export * from './adherence-compute.service';
