import pino from 'pino';

export type Logger = pino.Logger;

/**
 * What of an error goes to the log: name, message, code and stack, but not PostgreSQL's `detail` and similar fields,
 * which may quote the row that failed (e-mail address, password hash). Every error is logged as `{ err: error }`
 * and passes through here.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code } = error as { code?: unknown };
  return { type: error.name, message: error.message, ...(code === undefined ? {} : { code }), stack: error.stack };
}

/** JSON lines on stdout; secrets that could reach a log line are censored wherever they appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'chat' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: loggableError },
      redact: {
        paths: [
          'password',
          '*.password',
          'req.headers.cookie',
          'req.headers["x-csrf-token"]',
          'res.headers["set-cookie"]',
          'sessionId',
          '*.sessionId',
          'email',
          '*.email',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
