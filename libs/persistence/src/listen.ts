import { Client } from 'pg';

/** A LISTEN on a connection of its own; `close` ends it. */
export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` on a connection of its own (a LISTEN holds its connection, so not one of
 * the pool's). `onEvent` runs on each notification; `onLost` when the connection fails after
 * it was opened, after which nothing more is heard: the caller opens a new one.
 */
export async function listenOn(
  url: string,
  channel: string,
  onEvent: () => void,
  onLost: () => void,
): Promise<Listener> {
  const client = new Client({ connectionString: url });
  client.on('notification', onEvent);
  client.on('error', onLost);
  client.on('end', onLost);
  try {
    await client.connect();
    await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  } catch (err) {
    client.removeListener('end', onLost);
    await client.end().catch(() => undefined);
    throw err;
  }
  return {
    close: () => {
      client.removeListener('end', onLost);
      client.removeListener('error', onLost);
      client.on('error', () => undefined);
      return client.end();
    },
  };
}
