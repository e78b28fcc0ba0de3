export * from './clinical-records.service';
export * from './clinical.module';
export * from './rule-settings.service';
