import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';

/** What every log line written while one request is handled carries: that request's id. */
export interface LogContext {
  reqId: string;
}

/** The context of the request being handled (set by src/http/request-id.ts). */
export const logContext = new AsyncLocalStorage<LogContext>();

/**
 * One structured logger. Request logs carry method, path and status only: query strings and
 * bodies may hold personal data (validation of records), so they are never logged. A line
 * written while a request is handled carries its id (`reqId`), wherever in the code it is written.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, mixin: () => logContext.getStore() ?? {} };
  return destination ? pino(options, destination) : pino(options);
}
export type Logger = pino.Logger;
