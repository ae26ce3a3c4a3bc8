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
