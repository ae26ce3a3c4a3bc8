/** A search value's comma-separated alternatives (FHIR search: `\,` is a comma within a value). */
export function orValues(value: string): string[] {
  const values: string[] = [''];
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && value[i + 1] === ',') {
      values[values.length - 1] += ',';
      i++;
    } else if (c === ',') values.push('');
    else values[values.length - 1] += c;
  }
  return values;
}
