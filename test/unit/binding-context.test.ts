import fc from 'fast-check';
import { parseBindingContext } from '../../src/nim/validation/binding-context';
import { TerminologyError } from '../../src/terminology/issues';

const NIM = 'https://kodverk.se/fhir/StructureDefinition/nim-brukare';

const refusal = (context: string) => {
  try {
    return parseBindingContext(context);
  } catch (e) {
    return e instanceof TerminologyError ? { status: e.httpStatus, code: e.issues[0].code, expression: e.issues[0].expression, text: e.issues[0].text } : e;
  }
};

describe('the context of $expand and $validate-code, read as [NIM URL]#[attribute]', () => {
  it('splits the NIM and the attribute at the first #, the attribute as written', () => {
    expect(parseBindingContext(`${NIM}#Brukare.kon`)).toEqual({ nim: NIM, name: 'brukare', attribute: 'Brukare.kon' });
    expect(parseBindingContext(`${NIM}#Datum för beslut`)).toMatchObject({ attribute: 'Datum för beslut' });
    expect(parseBindingContext(`${NIM}#a#b`)).toMatchObject({ nim: NIM, attribute: 'a#b' });
  });

  it('refuses a context without an attribute or with a versioned NIM (400), and one that names no NIM (422)', () => {
    for (const c of [NIM, `${NIM}#`, '#kon', '']) expect(refusal(c)).toMatchObject({ status: 400, code: 'invalid', expression: ['context'] });
    expect(refusal(`${NIM}|1.0.0#kon`)).toMatchObject({ status: 400, text: expect.stringMatching(/without a version/) });
    expect(refusal('http://hl7.org/fhir/StructureDefinition/Patient#Patient.gender')).toMatchObject({ status: 422, code: 'not-found', text: expect.stringContaining("'http://hl7.org/fhir/StructureDefinition/Patient'") });
  });

  it('answers any text with a reading or a refusal, and repeats no text that is not a plain URL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 20 }), (head, tail) => {
        const context = `${head}#${tail}`;
        const r = refusal(context) as { status?: number; text?: string };
        if (r.status === undefined) return;
        expect([400, 422]).toContain(r.status);
        if (/["'<>\s\\]/.test(head)) expect(r.text).not.toContain(head);
      }),
      { numRuns: 2000 },
    );
  });
});
