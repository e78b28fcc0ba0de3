import { systemClock } from './clock';
/**
 * Closes the application on SIGTERM or SIGINT and exits 0 once everything is closed (running
 * jobs finished, connections drained). A second signal, or a close that hangs, exits at once.
 */
export function closeOnSignals(
  processName: string,
  close: () => Promise<void>,
  timeoutMs = 30_000,
): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(1);
    closing = true;
    process.stdout.write(
      JSON.stringify({
        level: 30,
        time: systemClock.nowMs(),
        msg: `sciatrack ${processName}: ${signal}, shutting down`,
      }) + '\n',
    );
    const timer = setTimeout(() => {
      process.stderr.write(
        `sciatrack ${processName}: shutdown took longer than ${timeoutMs} ms, exiting\n`,
      );
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(
          `sciatrack ${processName}: error while shutting down: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
