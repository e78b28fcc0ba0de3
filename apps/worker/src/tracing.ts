// The first module main.ts loads: the tracing instrumentation must hook `pg` before anything
// requires it. reflect-metadata first all the same: the configuration read here is decorated,
// and its classes are defined once, now.
import 'reflect-metadata';
import { startProcessTracing } from '@app/telemetry/bootstrap';

export const tracing = startProcessTracing('sciatrack-worker');
