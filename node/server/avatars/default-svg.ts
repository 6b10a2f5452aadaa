/** Escapes text for an XML/SVG text node or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A stable hue per username, so a person keeps their colour. */
export function usernameHue(username: string): number {
  let hash = 0;
  for (const character of username) hash = (hash * 31 + (character.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}

/** The generated avatar: the first letter of the name on a coloured disc. */
export function defaultAvatarSvg(username: string): string {
  const initial = escapeXml(Array.from(username)[0]?.toUpperCase() ?? '?');
  const label = escapeXml(username);
  const hue = usernameHue(username);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img" aria-label="${label}">`,
    `<title>${label}</title>`,
    `<circle cx="32" cy="32" r="32" fill="hsl(${hue}, 55%, 45%)"/>`,
    `<text x="32" y="42" font-family="sans-serif" font-size="28" text-anchor="middle" fill="#fff">${initial}</text>`,
    '</svg>',
  ].join('');
}
