export * from './adherence-compute.module';
export * from './adherence-compute.service';
export * from './worklist-compute.service';
