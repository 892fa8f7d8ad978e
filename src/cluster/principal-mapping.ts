/**
 * Kafka's `ssl.principal.mapping.rules` (Redpanda: `kafka_mtls_principal_mapping_rules`): how a
 * client certificate's distinguished name becomes a user name. A list of rules tried in order;
 * the first that matches names the user, and a name no rule matches fails the login:
 *   RULE:<regex>/<replacement>/[L|U]   the regex must match the whole DN (Java `matches`);
 *                                      the replacement uses $1.. ; L / U lower or upper case it
 *   DEFAULT                            the DN itself
 * The DN is written as RFC 2253 does (most specific first: `CN=alice,OU=eng,O=Acme,C=US`), as
 * Kafka's X500Principal.getName() gives it.
 */

export interface PrincipalRule {
  /** null: DEFAULT. */
  pattern: RegExp | null;
  replacement: string;
  caseChange: "" | "L" | "U";
}

// Kafka's grammar: DEFAULT, or RULE:pattern/replacement/[LU], where `/` inside may be escaped.
const RULE_SOURCE = String.raw`(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?)`;
const RULE = new RegExp(`^\\s*(?:${RULE_SOURCE})\\s*(?:,|$)`);

/** Rules are bounded like every list that comes from outside. */
export const PRINCIPAL_RULES_MAX = 64;

/** Parses a comma-separated rule list (commas inside a rule's regex are part of it). Throws naming the bad part. */
export function parsePrincipalRules(text: string): PrincipalRule[] {
  const rules: PrincipalRule[] = [];
  let rest = text.trim();
  while (rest !== "") {
    const match = RULE.exec(rest);
    if (!match) throw new Error(`invalid principal mapping rule at '${rest.slice(0, 80)}' (expected DEFAULT or RULE:regex/replacement/[L|U])`);
    if (match[1] !== undefined) {
      rules.push({ pattern: null, replacement: "", caseChange: "" });
    } else {
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${match[2]})$`);
      } catch (error) {
        throw new Error(`invalid principal mapping rule regex '${match[2]}': ${error instanceof Error ? error.message : String(error)}`);
      }
      rules.push({ pattern, replacement: match[3], caseChange: match[4] as PrincipalRule["caseChange"] });
    }
    if (rules.length > PRINCIPAL_RULES_MAX) throw new Error(`at most ${PRINCIPAL_RULES_MAX} principal mapping rules`);
    rest = rest.slice(match[0].length).trim();
  }
  return rules.length === 0 ? [{ pattern: null, replacement: "", caseChange: "" }] : rules;
}

/** The user a DN maps to, or null when no rule matches. */
export function mapPrincipal(rules: PrincipalRule[], dn: string): string | null {
  for (const rule of rules) {
    if (rule.pattern === null) return dn;
    if (!rule.pattern.test(dn)) continue;
    const name = dn.replace(rule.pattern, rule.replacement);
    return rule.caseChange === "L" ? name.toLowerCase() : rule.caseChange === "U" ? name.toUpperCase() : name;
  }
  return null;
}

/**
 * RFC 2253 form of a subject as node's X509Certificate prints it (one `key=value` per line, in
 * certificate order): reversed, joined by commas.
 */
export function rfc2253(subjectLines: string): string {
  return subjectLines.split("\n").filter((line) => line !== "").reverse().join(",");
}
