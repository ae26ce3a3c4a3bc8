/**
 * The code-system kinds with behaviour of their own. Each file registers itself; importing this
 * module makes them known to the engine. Add one import per kind.
 */
import './icf';
import '../snomed/kind';

export {};
