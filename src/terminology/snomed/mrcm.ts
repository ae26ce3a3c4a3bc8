import type { SnomedStore } from '../../store/snomed-store';
import type { ExpressionAttribute, SctExpression } from './expression';

/**
 * The grouping rules of the MRCM (machine readable concept model) attribute domain reference set
 * 723561005: whether an attribute, in a domain, goes in a relationship group (grouped = 1: Finding
 * site, Associated morphology on clinical findings) or never does (grouped = 0: Laterality). Rules
 * for precoordinated content only, and optional rules, do not constrain an expression.
 *
 * An attribute the model never groups, written in a group, makes an expression invalid: nothing
 * turns it into what the model can classify. An attribute the model groups, written outside a group,
 * is the close-to-user form (the postcoordination guide's transformation to the classifiable form
 * puts it in a group): valid as a code, but not classifiable as written; that transformation is not
 * implemented, so operations that need the classifiable form ($subsumes) reject it rather than
 * silently repairing it.
 */

export const MRCM_ATTRIBUTE_DOMAIN = '723561005';
/** content types whose rules apply to post-coordinated expressions: all content, all post-coordinated content */
const EXPRESSION_CONTENT = new Set(['723596005', '723594008']);
const MANDATORY = '723597001';

/** A rule's columns kept as a member's target text: domain, grouped, content type, rule strength. */
export function mrcmRuleText(domain: string, grouped: string, contentType: string, strength: string): string {
  return `${domain} ${grouped} ${contentType} ${strength}`;
}

interface Rule {
  domain: number;
  grouped: boolean;
}

export class MrcmGrouping {
  private readonly refsetPk: number | undefined;
  private readonly rules = new Map<number, Rule[]>();

  constructor(private readonly store: SnomedStore) {
    const pk = store.pkOf(MRCM_ATTRIBUTE_DOMAIN);
    this.refsetPk = pk !== undefined && store.isRefset(pk) ? pk : undefined;
  }

  /**
   * The first grouping rule the expression (not its nested values: they are expressions of their
   * own) breaks, as a message; `display` names a concept. `classifiable`: also a grouped attribute
   * written outside a group.
   */
  check(e: SctExpression, display: (id: string) => string | undefined, classifiable = false): string | undefined {
    if (this.refsetPk === undefined) return undefined;
    const focus = e.focus.map((f) => this.store.pkOf(f.id)).filter((pk): pk is number => pk !== undefined);
    const named = (a: ExpressionAttribute) => `${a.name.id} |${display(a.name.id) ?? a.name.id}|`;
    for (const a of e.groups.flat()) {
      if (this.grouping(a, focus) === false) return `The SNOMED CT concept model does not allow the attribute ${named(a)} to appear in a relationship group`;
    }
    if (!classifiable) return undefined;
    for (const a of e.attributes) {
      if (this.grouping(a, focus) === true) {
        return `The SNOMED CT concept model requires the attribute ${named(a)} to appear in a relationship group, and the expression is not in its classifiable form`;
      }
    }
    return undefined;
  }

  /** Must the attribute be grouped (true), never grouped (false), or is it not said (undefined), on these focus concepts? */
  private grouping(a: ExpressionAttribute, focus: number[]): boolean | undefined {
    const attribute = this.store.pkOf(a.name.id);
    if (attribute === undefined) return undefined;
    const applicable = this.rulesOf(attribute).filter((r) => focus.some((f) => f === r.domain || this.store.isDescendant(r.domain, f)));
    if (applicable.length === 0) return undefined;
    if (applicable.every((r) => r.grouped)) return true;
    if (applicable.every((r) => !r.grouped)) return false;
    return undefined;
  }

  private rulesOf(attribute: number): Rule[] {
    let rules = this.rules.get(attribute);
    if (!rules) {
      rules = [];
      for (const t of this.store.memberTargets(this.refsetPk!, attribute)) {
        const [domain, grouped, contentType, strength] = t.split(' ');
        const pk = this.store.pkOf(domain);
        if (pk === undefined || !EXPRESSION_CONTENT.has(contentType) || strength !== MANDATORY) continue;
        rules.push({ domain: pk, grouped: grouped === '1' });
      }
      this.rules.set(attribute, rules);
    }
    return rules;
  }
}
