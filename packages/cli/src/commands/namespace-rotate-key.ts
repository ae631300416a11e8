// `namespace rotate-key`: a database command like `db migrate` (it needs the database and the key-encryption key, not
// a server), loaded only when it runs.
import { CliError, ExitCode, formatError, isJsonOutput } from './exit-codes.js';
import type { CliIo } from './io.js';

export interface RotateKeyFlags {
  name: string;
  reencrypt?: boolean;
  db?: string;
  batchSize?: number;
}

export async function rotateKey(io: CliIo, opts: RotateKeyFlags): Promise<void> {
  const json = isJsonOutput(io.requestedOutput);
  try {
    const [{ loadConfig, ConfigError }, persistence] = await Promise.all([
      import('@odin/runtime'),
      import('@odin/persistence'),
    ]);
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig(io.env);
    } catch (error) {
      if (error instanceof ConfigError) throw new CliError(error.message, ExitCode.usage);
      throw error;
    }
    let provider: Awaited<ReturnType<typeof persistence.loadKeyProvider>>;
    try {
      provider = await persistence.loadKeyProvider({
        keyFile: config.encryptionKeyFile,
        keys: config.encryptionKey,
      });
    } catch (error) {
      if (error instanceof persistence.KeyProviderConfigError)
        throw new CliError(error.message, ExitCode.usage);
      throw error;
    }
    if (!provider) {
      throw new CliError(
        'rotate-key needs the key-encryption key: set HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE or HUGO_ORCHESTRATOR_ENCRYPTION_KEY',
        ExitCode.usage,
      );
    }
    const url = opts.db ?? config.dbConnection ?? persistence.connectionUrlFromEnv(io.env);
    const report = await persistence.rotateNamespaceKey({ url, encryption: { provider } }, opts.name, {
      reencrypt: opts.reencrypt === true,
      ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    });
    if (json) {
      io.out(`${JSON.stringify(report)}\n`);
      return;
    }
    const lines = [
      `namespace ${report.namespace}: data key version ${report.version} seals new data`,
      `  data keys re-wrapped under the current key-encryption key: ${report.rewrappedKeys}`,
    ];
    if (report.reencrypted) {
      lines.push(`  rows re-encrypted under version ${report.version}: ${report.reencrypted.rewritten}`);
      for (const [table, counts] of Object.entries(report.reencrypted.tables)) {
        if (counts.rewritten + counts.skipped === 0) continue;
        const skipped = counts.skipped === 0 ? '' : ` (${counts.skipped} changed meanwhile, left as written)`;
        lines.push(`    ${table}: ${counts.rewritten}${skipped}`);
      }
    } else {
      lines.push('  existing rows keep their versions and stay readable; --reencrypt rewrites them');
    }
    io.out(`${lines.join('\n')}\n`);
  } catch (error) {
    const failure = await asCliError(error);
    io.err(formatError(failure.message, failure.exitCode, json));
    io.exit(failure.exitCode);
  }
}

async function asCliError(error: unknown): Promise<CliError> {
  if (error instanceof CliError) return error;
  const {
    InvalidConnectionUrlError,
    PersistenceError,
    EncryptionKeyUnavailableError,
    UndecryptableDataError,
  } = await import('@odin/persistence');
  if (error instanceof InvalidConnectionUrlError) return new CliError(error.message, ExitCode.usage);
  if (
    error instanceof PersistenceError ||
    error instanceof EncryptionKeyUnavailableError ||
    error instanceof UndecryptableDataError
  ) {
    return new CliError(error.message, ExitCode.failed);
  }
  return new CliError(
    error instanceof Error ? (error.stack ?? error.message) : String(error),
    ExitCode.failed,
  );
}
