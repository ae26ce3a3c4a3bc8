/**
 * The code-system kinds with behaviour of their own. Each file registers itself; importing this
 * module makes them known to the engine. Add one import per kind.
 */
import './icf';
import '../snomed/kind';
// the code systems every FHIR terminology server knows, served from maintained packages
import './ucum';
import './bcp47';
import './iso3166';
import './iso3166-2';
import './iso4217';
import './mime';

export {};
