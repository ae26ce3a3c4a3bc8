/**
 * The code-system kinds with behaviour of their own. Each file registers itself; importing this
 * module makes them known to the engine. Add one import per kind.
 */
import './providers/icf';
import './snomed/kind';
// the code systems every FHIR terminology server knows, served from maintained packages
import './providers/ucum';
import './providers/bcp47';
import './providers/iso3166';
import './providers/iso3166-2';
import './providers/iso4217';
import './providers/mime';

export {};
