import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';

/**
 * loadConfig() for a command-line entry point: on a bad environment it prints one JSON line per problem
 * (naming the variable), sets exit code 1 and returns undefined.
 */
export function loadConfigOrReport(env: NodeJS.ProcessEnv = process.env): Config | undefined {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const logger = createLogger('info');
    for (const problem of error.problems) logger.fatal(`invalid configuration: ${problem}`);
    process.exitCode = 1;
    return undefined;
  }
}
