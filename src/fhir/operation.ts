import type { Request, Response } from 'express';
import type { OperationInput, OperationParameterDefinition } from './parameters';
import type { TerminologyService } from '../terminology/service';
import type { ResourceStore } from '../store/resource-store';
import type { ClientCaches } from '../terminology/client-caches';
import type { HeldResources } from '../terminology/held-resources';
import type { BindingAt } from '../nim/validation/binding-context';

export interface OperationContext {
  req: Request;
  res: Response;
  input: OperationInput;
  terminology: TerminologyService;
  store: ResourceStore;
  /** Resource type in the path (CodeSystem, ValueSet, ConceptMap) or undefined at system level. */
  resourceType?: string;
  /** Instance id for instance-level calls. */
  id?: string;
  /** Accept-Language of the request. */
  acceptLanguage?: string;
  baseUrl: string;
  /** the pages' absolute path prefixes by resource type, for web-source (none: no pages named) */
  webViews?: Record<string, string>;
  /** this process's client caches ($cache-control) */
  clientCaches: ClientCaches;
  /** what the client cache the call names (X-Cache-Id) holds, for the engine beside what the call sent */
  heldResources?: HeldResources;
  /** the value set a `context` (a NIM attribute) is bound to on a day; none: `context` is refused */
  bindingAt?: BindingAt;
}

/**
 * An operation declared once: its name, where it may be invoked, its parameters (which also feed
 * the CapabilityStatement) and its handler ("parse → call engine → write").
 */
export interface OperationDefinition {
  /** name without '$' */
  name: string;
  /** canonical of the OperationDefinition it implements */
  definition: string;
  resourceTypes: string[];
  system?: boolean;
  type: boolean;
  instance: boolean;
  /** false for operations with side effects (they cannot be called with GET) */
  idempotent: boolean;
  parameters: OperationParameterDefinition[];
  handle(ctx: OperationContext): unknown | Promise<unknown>;
}
