import * as ucum from '@lhncbc/ucum-lhc';
import { UnitString, type UcumLhcUnit, type UnitElement } from '@lhncbc/ucum-lhc/source-cjs/unitString.js';
import { UnitTables } from '@lhncbc/ucum-lhc/source-cjs/unitTables.js';

/**
 * The formal structure of a UCUM expression, the way UCUM's reference tooling describes a unit:
 * each unit symbol named in parentheses with its prefix and exponent ("(centimeter ^ 3)"), numbers
 * as they are, parenthesised sub-expressions kept, operators written " / " and " * ", and each
 * annotation shown as the unity it means ("(milligram) / (deciliter) * 1" for mg/dL{x}, "1" for a
 * bare {x}: UCUM §12, annotations have no meaning of their own).
 *
 * Nothing here parses UCUM: the structure is read off ucum-lhc's own parse. ucum-lhc splits an
 * expression into elements (units with their prefix and exponent applied, numbers, units of
 * parenthesised sub-expressions) and combines them in `_performUnitArithmetic`; the reader below
 * notes, for every combination it makes (the whole expression and each parenthesised part), the
 * elements it combined. Names are ucum-lhc's, less the " - <property>" it appends to names UCUM
 * gives to more than one unit ("second - time" is the second).
 */
const structures = new WeakMap<UcumLhcUnit, string>();

class StructureReader extends UnitString {
  override _performUnitArithmetic(elements: UnitElement[], origString: string): UcumLhcUnit | null {
    const text = elements.map((e, i) => (i === 0 ? '' : e.op === '/' ? ' / ' : ' * ') + element(e.un)).join('');
    const unit = super._performUnitArithmetic(elements, origString);
    if (unit && typeof unit === 'object') structures.set(unit, text);
    return unit;
  }
}

/** ucum-lhc writes an exponent as HTML: "meter<sup>2</sup>". */
const EXPONENT = /<sup>(.*?)<\/sup>$/;

function element(un: UcumLhcUnit | number): string {
  if (typeof un === 'number') return String(un);
  // a parenthesised part is written as its parts: parentheses only group (UCUM §7)
  const nested = structures.get(un);
  if (nested !== undefined) return nested;
  const code = un.csCode_;
  if (code.startsWith('{')) return '1';
  const annotated = code.endsWith('}');
  // ucum-lhc's table holds some LOINC units whole ("m2" square meter, "10*3"): a unit atom with an exponent is read as the atom
  const powered = loincPower(code.replace(/\{.*\}$/, ''));
  if (powered) return annotated ? `${powered} * 1` : powered;
  // an integer with an annotation ("100{cells}") is a number, not a unit
  if (/^\d+\{/.test(code)) return `${un.magnitude_} * 1`;
  const m = EXPONENT.exec(un.name_);
  let name = m ? un.name_.slice(0, m.index) : un.name_;
  if (un.property_ && name.endsWith(` - ${un.property_}`)) name = name.slice(0, -(un.property_.length + 3));
  const atom = m ? code.replace(/[-+]?\d+$/, '') : code.replace(/\{.*\}$/, '');
  // a unit without a name stands for itself
  name = UNNAMED[atom] ?? (ucumName(name) || atom);
  const written = `(${name}${m ? ` ^ ${m[1]}` : ''})`;
  return annotated ? `${written} * 1` : written;
}

/** UCUM's own name (its first <name>) where ucum-lhc's table names a unit otherwise: the liter, prefixed or not. */
const ucumName = (name: string) => name.trim().replace(/Liters$/, 'liter');
/** units ucum-lhc's table leaves unnamed, by code */
const UNNAMED: Record<string, string> = { '%': 'percent' };

/** "(meter ^ 2)" for a LOINC entry of ucum-lhc's table that is a unit atom (maybe prefixed) with an exponent. */
function loincPower(code: string): string | undefined {
  const units = UnitTables.getInstance();
  if (units.getUnitByCode(code)?.source_ !== 'LOINC') return undefined;
  const m = /^(.*?[^-+\d])([-+]?\d+)$/.exec(code);
  const base = m && units.getUnitByCode(m[1]);
  if (!m || !base) return undefined;
  return `(${atomName(m[1], base)} ^ ${Number(m[2])})`;
}

function atomName(code: string, unit: { name_?: string; property_?: string }): string {
  let name = unit.name_ ?? '';
  if (unit.property_ && name.endsWith(` - ${unit.property_}`)) name = name.slice(0, -(unit.property_.length + 3));
  return UNNAMED[code] ?? (ucumName(name) || code);
}

let reader: StructureReader | undefined;

/** The formal structure of a valid UCUM expression; undefined when ucum-lhc cannot read it. */
export function formalStructure(code: string): string | undefined {
  ucum.UcumLhcUtils.getInstance(); // loads ucum-lhc's unit and prefix tables
  reader ??= new StructureReader();
  try {
    const [unit] = reader.parseString(code, 'validate', false);
    return unit ? structures.get(unit) : undefined;
  } catch {
    return undefined;
  }
}
