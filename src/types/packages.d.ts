/** Declarations for the data packages the built-in code systems read (they ship no types). */

declare module '@lhncbc/ucum-lhc' {
  interface UcumUnit {
    name?: string;
  }
  interface Validation {
    status: 'valid' | 'invalid' | 'error';
    ucumCode: string | null;
    unit?: UcumUnit | null;
    msg?: string[];
    suggestions?: unknown[];
  }
  interface BaseUnits {
    status: 'succeeded' | 'failed' | 'error' | 'invalid';
    msg?: string[];
    magnitude?: number;
    unitToExp?: Record<string, number>;
    fromUnitIsSpecial?: boolean;
  }
  export const UcumLhcUtils: {
    getInstance(): {
      validateUnitString(unit: string, suggest?: boolean, valConv?: 'validate' | 'convert'): Validation;
      convertToBaseUnits(unit: string, value: number): BaseUnits;
    };
  };
}

declare module 'mime-db' {
  const db: Record<string, { source?: string; compressible?: boolean; charset?: string; extensions?: string[] }>;
  export = db;
}

declare module 'iso-639-2' {
  const list: { name: string; iso6392B: string; iso6392T?: string; iso6391?: string }[];
  export = list;
}

/** ucum-lhc's expression parser (its own module; the package has no exports map). */
declare module '@lhncbc/ucum-lhc/source-cjs/unitString.js' {
  /** A unit as ucum-lhc builds it: a table entry, with any prefix and exponent applied, or a combination. */
  export interface UcumLhcUnit {
    csCode_: string;
    name_: string;
    property_?: string;
    magnitude_: number;
  }
  /** One element of an expression: the operator that joins it to what precedes it ('' first, '/' or '.'), and the unit or number. */
  export interface UnitElement {
    op: string;
    un: UcumLhcUnit | number;
  }
  export class UnitString {
    parseString(unit: string, valConv: 'validate' | 'convert', suggest?: boolean): [UcumLhcUnit | null, string | null, string[], unknown[]?];
    /** combines the elements of one (parenthesised or whole) expression into its unit */
    _performUnitArithmetic(elements: UnitElement[], origString: string): UcumLhcUnit | null;
  }
}

/** ucum-lhc's table of unit atoms (case-sensitive codes), for UCUM's names of the atoms in a structure. */
declare module '@lhncbc/ucum-lhc/source-cjs/unitTables.js' {
  export const UnitTables: {
    getInstance(): { getUnitByCode(code: string): { isBase_: boolean; isMetric_: boolean; name_?: string; property_?: string; source_?: string } | null | undefined };
  };
}
