/**
 * Ends the process with one readable line on stderr and exit code 1. Used for failures an
 * operator can fix (a service not running, a bad setting), where a stack trace only hides
 * the message.
 */
export function failStartup(processName: string, message: string): never {
  process.stderr.write(`sciatrack ${processName}: ${message}\n`);
  process.exit(1);
}
