import { once } from 'node:events';
import express, { NextFunction, Request, Response } from 'express';
import type { ServerDeps } from '../../http/dependencies';
import { jsonBody } from '../../http/json-body';
import { JSON_TYPES, outcomeForError, sendResource } from '../../http/fhir-answers';
import { outcomeOf } from '../../terminology/issues';
import { NimValidation, badRequest } from '../../nim/validation';
import { SubmissionFormat, SubmissionFormatError } from '../../nim/validation/submission-reader';
import { SubmissionValidator } from '../../nim/validation/submission-validator';

/**
 * Validation against NIM releases:
 * - POST /validate/record: one record (JSON) → an OperationOutcome (200 with the findings);
 * - POST /validate/submission[?release=]: a submission file (text/csv or application/x-ndjson),
 *   streamed in and the JSON report streamed out, so a file of any length is never held in
 *   memory.
 * Nothing of a request is stored or logged (the access log has method, path and status only),
 * and answers quote no value from the data except codes found in a code system.
 */

const MEDIA: Record<string, SubmissionFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
};

function submissionFormat(req: Request): SubmissionFormat {
  const header = req.get('content-type') ?? '';
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  const format = MEDIA[type];
  if (!format) throw new SubmissionFormatError(`A submission is sent as text/csv (semicolon-separated, UTF-8) or application/x-ndjson, not ${type ? 'this Content-Type' : 'without a Content-Type'}`, 415);
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new SubmissionFormatError('A submission is UTF-8; save the file as UTF-8 (charset=utf-8)', 415);
  return format;
}

/** The request body as it arrives, refused (413) once it passes the server's limit. */
async function* limited(req: Request, maxBytes: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > maxBytes) throw new SubmissionFormatError(`The file is larger than this server accepts (${maxBytes} bytes); split it`, 413);
    yield chunk as Buffer;
  }
}

export function validateRoutes(deps: Pick<ServerDeps, 'config' | 'logger'>, validation: NimValidation): express.Router {
  const router = express.Router();
  const submissions = new SubmissionValidator(validation);
  const json = jsonBody({ limit: deps.config.maxBodyBytes, maxDepth: deps.config.security.maxJsonDepth, type: JSON_TYPES });

  router.post('/validate/record', json, (req, res) => {
    if (!req.is(JSON_TYPES)) throw new SubmissionFormatError('A record is sent as JSON (Content-Type application/json): {nim, release?, date?, record}', 415);
    sendResource(res, 200, outcomeOf(validation.validateRecord(req.body)));
  });

  router.post('/validate/submission', async (req, res) => {
    const format = submissionFormat(req);
    const release = req.query.release;
    if (release !== undefined && (typeof release !== 'string' || !release.trim())) throw badRequest('release must be one release version (e.g. ?release=1.1.0)', 'release');
    const declared = Number(req.get('content-length') ?? NaN);
    if (declared > deps.config.maxBodyBytes) {
      res.setHeader('Connection', 'close');
      throw new SubmissionFormatError(`The file is larger than this server accepts (${deps.config.maxBodyBytes} bytes); split it`, 413);
    }
    let started = false;
    const write = async (text: string) => {
      if (!started) {
        started = true;
        res.status(200).type('application/json; charset=utf-8');
      }
      if (!res.write(text)) await once(res, 'drain');
    };
    try {
      await submissions.run(limited(req, deps.config.maxBodyBytes), { format, release }, write);
      res.end();
    } catch (e) {
      if (!started) throw e;
      // the report had begun: it cannot become an error answer any more, so it is cut off
      deps.logger.error({ path: req.path, error: e instanceof Error ? e.name : 'unknown' }, 'submission validation failed');
      res.destroy();
    }
  });

  router.all(['/validate/record', '/validate/submission'], (_req: Request, res: Response) => {
    res.setHeader('Allow', 'POST');
    sendResource(res, 405, outcomeOf([{ severity: 'error', code: 'not-supported', txType: 'not-supported', text: 'Validation takes POST' }]));
  });
  router.use('/validate', (req: Request, res: Response) => {
    sendResource(res, 404, outcomeOf([{ severity: 'error', code: 'not-found', txType: 'not-found', text: `No such validation endpoint: ${req.method} ${req.originalUrl.split('?')[0]}` }]));
  });

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, outcome } = outcomeForError(err);
    // an error's text may describe the request; the log gets its kind only
    if (status >= 500) deps.logger.error({ path: req.path, error: err instanceof Error ? err.name : 'unknown' }, 'internal error');
    if (!res.headersSent) sendResource(res, status, outcome);
  });
  return router;
}
