import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C traceparent of the span that wrote an outbox event (the API request, the worker's
 * job), so that the relay, the fan-out and the delivery continue its trace. Null when tracing
 * was off. The CHECK holds the column to a version-00 traceparent: a trace and a span id, never
 * anything else beside the event's ids.
 */
export class OutboxTraceContext1763859600000 implements MigrationInterface {
  name = 'OutboxTraceContext1763859600000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE outbox ADD COLUMN trace_context text
        CONSTRAINT outbox_trace_context_traceparent
        CHECK (trace_context ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$')`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN trace_context`);
  }
}
