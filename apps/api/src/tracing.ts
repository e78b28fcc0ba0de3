// The first module main.ts loads: the tracing instrumentations must hook `http` and `pg` before
// anything requires them. reflect-metadata first all the same: the configuration read here is
// decorated, and its classes are defined once, now.
import 'reflect-metadata';
import { startProcessTracing } from '@app/telemetry/bootstrap';

/** Spans of requests are named by their route template (`POST /v1/patients/:id/pain-reports`). */
export const tracing = startProcessTracing('sciatrack-api', {
  routeOf: (request) => request.routeTemplate,
});
