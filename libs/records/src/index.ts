export * from './clinical-records.service';
export * from './records.module';
