// `npm start`: read the environment, open storage, listen. SIGTERM/SIGINT shut down gracefully [CLOSE2].
import { createRelayApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`tandem relay: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // [CONN2] nothing a client sends may take the relay down: log what escapes, keep serving.
  process.on('uncaughtException', (err) => log.error({ err: err.stack ?? String(err) }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => log.error({ err: err instanceof Error ? err.stack : String(err) }, 'unhandled rejection'));

  const app = await createRelayApp(config, log);
  const port = await app.listen();
  log.info(
    { port, host: config.host, storage: config.storage, dataDir: config.storage === 'sqlite' ? config.dataDir : undefined },
    'listening',
  );
  if (config.host === '127.0.0.1') log.info(`open http://localhost:${port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.timeouts.shutdownMs);
    force.unref();
    app.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main().catch((err: unknown) => {
  console.error('tandem relay failed to start:', err);
  process.exit(1);
});
