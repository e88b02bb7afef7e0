/**
 * A pattern where `*` stands for any run of the characters `star` allows and everything else is literal, as an anchored
 * regular expression. The config's role-name patterns (`protection.roleNamePatterns`) and automation principal ARNs
 * (`tamperAutomationPrincipals`) use it; no other character is special, so a pattern never injects a regular expression.
 * @param pattern - the pattern, as configured.
 * @param star - the regular-expression class `*` stands for. @default '.*' (any run of characters)
 * @param flags - regular-expression flags (`i` where AWS compares without regard to case). @default ''
 * @returns the anchored regular expression.
 */
export function globRegExp(pattern: string, star = '.*', flags = ''): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, star)}$`, flags);
}
