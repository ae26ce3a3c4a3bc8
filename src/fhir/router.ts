import express, { NextFunction, Request, Response } from 'express';
import { TerminologyError } from '../terminology/issues';
import { OperationInput } from './parameters';
import type { OperationContext, OperationDefinition } from './operation';
import { JSON_TYPES, baseUrl, methodNotAllowed, negotiateFormat, outcomeForError, sendOutcome, sendResource } from '../http/fhir-answers';
import { CACHED_OPERATIONS, answerIsPinned, conditionalAnswer } from './operations/caching';
import { OPERATIONS } from './operations';
import { CACHE_ID_HEADER, cacheControlOperation } from './operations/cache-control';
import type { ClientCaches } from '../terminology/client-caches';
import type { HeldResources } from '../terminology/held-resources';
import { capabilityStatement, terminologyCapabilities } from './capabilities';
import { resourceRoutes } from './resources';
import type { SchemaValidator } from '../terminology/resource-schema';
import type { ServerDeps } from '../http/dependencies';
import { structureDefinitionRoutes } from './nim/structure-definitions';
import { labelOperation } from '../http/route-label';
import { countParameters, tooManyParameters } from '../http/limits';
import { jsonBody } from '../http/json-body';
import { auditEventRoutes } from './audit-events';
import { WebViews, webViewsFor } from './web-source';
import type { BindingAt } from '../nim/validation/binding-context';

/**
 * The FHIR API (mounted at /fhir): metadata, operations, StructureDefinitions and the terminology
 * resources. `webViews`: where the pages show a stored resource (named in web-source);
 * `bindingAt`: the value set a NIM attribute is bound to (the `context` of $expand, $validate-code).
 */
export function fhirRouter(deps: ServerDeps, webViews?: WebViews, bindingAt?: BindingAt): express.Router {
  const fhir = express.Router();
  // JSON only: a request for XML (or anything else) is answered 406 before anything is read
  fhir.use(negotiateFormat);
  const { maxParameters, maxJsonDepth } = deps.config.security;
  fhir.use(jsonBody({ type: JSON_TYPES, limit: deps.config.maxBodyBytes, maxDepth: maxJsonDepth, maxParameters }));
  fhir.use(express.urlencoded({ extended: false, limit: deps.config.maxBodyBytes, parameterLimit: maxParameters }));

  fhir.get('/metadata', (req, res) => {
    const base = baseUrl(req, deps.config.publicBaseUrl);
    if (req.query.mode === 'terminology') sendResource(res, 200, terminologyCapabilities(deps.store, base));
    else sendResource(res, 200, capabilityStatement(base, OPERATIONS, { cors: deps.config.corsOrigins !== false }));
  });
  fhir.all('/metadata', (_req, res) => methodNotAllowed(res, 'GET'));

  const runOperation = (op: OperationDefinition, resourceType: string | undefined, id: string | undefined) => async (req: Request, res: Response) => {
    labelOperation(res, resourceType ? `${resourceType}/$${op.name}` : `$${op.name}`);
    const input = readInput(req, op, deps.schema, maxParameters);
    const ctx: OperationContext = {
      ...{ req, res, input, terminology: deps.terminology, store: deps.store, resourceType, id },
      baseUrl: baseUrl(req, deps.config.publicBaseUrl),
      webViews: webViewsFor(req, webViews, deps.config.publicBaseUrl),
      clientCaches: deps.clientCaches,
      bindingAt,
      heldResources: op === cacheControlOperation ? undefined : heldResources(deps.clientCaches, req, input),
    };
    const result = await op.handle(ctx);
    if (res.headersSent) return;
    // an answer from a client cache rests on what that client registered: for it alone
    if (req.get(CACHE_ID_HEADER)) res.set('Cache-Control', 'private, no-store');
    // what vendors call at run time is cacheable: a tag of the content, 304 when the client has it
    else if (isGet(req) && CACHED_OPERATIONS.has(op.name) && conditionalAnswer(req, res, result, answerIsPinned(deps.store, resourceType, id, input.entries))) return;
    sendResource(res, 200, result);
  };

  // system-level operations ($versions, ...)
  fhir.all('/:op', async (req, res, next) => {
    const name = req.params.op;
    if (!name.startsWith('$')) return next();
    const op = OPERATIONS.find((o) => o.system && o.name === name.slice(1));
    if (!op) return unknownOperation(res, name);
    if (!(req.method === 'POST' || isGet(req))) return methodNotAllowed(res);
    await runOperation(op, undefined, undefined)(req, res);
  });

  // type- and instance-level operations
  fhir.all('/:type/:op', async (req, res, next) => {
    const { type, op: name } = req.params;
    if (!name.startsWith('$')) return next();
    const op = OPERATIONS.find((o) => o.type && o.name === name.slice(1) && o.resourceTypes.includes(type));
    if (!op) return unknownOperation(res, name, type);
    if (!(req.method === 'POST' || (isGet(req) && op.idempotent))) return methodNotAllowed(res);
    await runOperation(op, type, undefined)(req, res);
  });
  fhir.all('/:type/:id/:op', async (req, res, next) => {
    const { type, id, op: name } = req.params;
    if (!name.startsWith('$')) return next();
    const op = OPERATIONS.find((o) => o.instance && o.name === name.slice(1) && o.resourceTypes.includes(type));
    if (!op) return unknownOperation(res, name, type);
    if (!(req.method === 'POST' || (isGet(req) && op.idempotent))) return methodNotAllowed(res);
    await runOperation(op, type, id)(req, res);
  });

  // NIM logical models: StructureDefinition search and read (before the generic resource routes)
  fhir.use(structureDefinitionRoutes(deps, deps.nim));
  // the audit trail (administrators only, by the access rules)
  fhir.use(auditEventRoutes(deps.audit, deps.config.publicBaseUrl));
  fhir.use(resourceRoutes(deps, webViews));

  fhir.use((req, res) => {
    sendOutcome(res, 404, [{ severity: 'error', code: 'not-found', txType: 'not-found', text: `No such FHIR endpoint: ${req.method} ${req.baseUrl}${req.path}` }]);
  });

  // every error becomes an OperationOutcome; bad input is a 4xx, never a 500
  fhir.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, outcome } = outcomeForError(err);
    if (status >= 500) deps.logger.error({ err, path: req.path }, 'internal error');
    if (res.headersSent) return;
    sendResource(res, status, outcome);
  });

  return fhir;
}

/**
 * GET, or HEAD: RFC 9110 §9.3.2, HEAD is GET without the body, with the same headers (Node leaves
 * the body out of a HEAD answer).
 */
function isGet(req: Request): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

/**
 * What the client cache a call names (X-Cache-Id, issued by $cache-control) holds, for the engine
 * to take beside the resources the call sent (an unsealed cache takes those in first); a cache the
 * server does not hold: 404 cache-id-unknown. tx.fhir.org's older `cache-id` parameter (a cache
 * the client names itself, made on first use) is refused: a body parameter cannot steer a load
 * balancer, and a replica without the client's resources would answer wrongly rather than fail.
 */
function heldResources(caches: ClientCaches, req: Request, input: OperationInput): HeldResources | undefined {
  if (input.entries.some((e) => e.name === 'cache-id')) {
    throw TerminologyError.of(
      { severity: 'error', code: 'not-supported', txType: 'not-supported', text: 'The cache-id parameter is not supported: start a cache with $cache-control (mode=start) and name it with the X-Cache-Id header', expression: ['cache-id'] },
      400,
    );
  }
  const id = req.get(CACHE_ID_HEADER)?.trim();
  if (!id) return undefined;
  const inline = input.entries.filter((e) => e.resource !== undefined && e.name !== 'tx-resource').map((e) => e.resource);
  return caches.use(id, input.resources('tx-resource'), inline);
}

function unknownOperation(res: Response, name: string, type?: string): void {
  sendOutcome(res, 404, [{ severity: 'error', code: 'not-supported', txType: 'not-supported', text: `The operation ${name} is not supported${type ? ` on ${type}` : ''}` }]);
}

/**
 * Parameters from the query string and, for POST, the body (a Parameters resource or a form):
 * at most `maxParameters` of them, each single-valued one once.
 */
function readInput(req: Request, op: OperationDefinition, schema: SchemaValidator, maxParameters: number): OperationInput {
  return readParameters(req, op, schema, maxParameters).requireSingleValues(op.parameters);
}

function readParameters(req: Request, op: OperationDefinition, schema: SchemaValidator, maxParameters: number): OperationInput {
  const query = OperationInput.fromQuery(req.query as Record<string, unknown>, op.parameters);
  if (req.method !== 'POST') return query;
  const body = req.body;
  if (!body || (typeof body === 'object' && Object.keys(body).length === 0)) return query;
  if (!req.is(JSON_TYPES)) {
    // application/x-www-form-urlencoded
    return new OperationInput([...query.entries, ...OperationInput.fromQuery(body, op.parameters).entries]);
  }
  if (typeof body !== 'object' || Array.isArray(body) || typeof body.resourceType !== 'string') {
    throw TerminologyError.of({ severity: 'error', code: 'structure', txType: 'invalid-data', text: 'The request body must be a FHIR resource (a Parameters resource for operations)' }, 400);
  }
  // counted before the schema walks them: the parameters and their parts, at every depth (by the
  // body reader's scan as the bytes came in; walked here only for a body read some other way)
  const counted = req.res?.locals.bodyParameters;
  const sent = typeof counted === 'number' ? counted : countParameters(body);
  if (query.entries.length + sent > maxParameters) throw tooManyParameters(query.entries.length + sent, maxParameters);
  schema.check(body);
  if (body.resourceType === 'Parameters') return new OperationInput([...query.entries, ...(body.parameter ?? [])]);
  // a bare resource is the operation's resource parameter (e.g. a ValueSet to $expand)
  const param = op.parameters.find((p) => p.type === body.resourceType);
  if (!param) {
    throw TerminologyError.of(
      { severity: 'error', code: 'invalid', txType: 'invalid-data', text: `Wrong type for resource. Expected Parameters but found ${body.resourceType}` },
      400,
    );
  }
  return new OperationInput([...query.entries, { name: param.name, resource: body }]);
}

