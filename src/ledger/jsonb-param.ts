/**
 * A value as the JSON text of a jsonb parameter. jsonb refuses what no text
 * can hold: a `\u0000` escape, and a `\ud83d` escape that is half of a
 * surrogate pair, which JSON.stringify writes for a lone surrogate. Messages
 * made in this process can hold one: V8's JSON.parse error quotes the UTF-16
 * unit it stopped at, the first half of an emoji ("Unexpected token
 * '\ud83d'"), and a message that cuts a text at N units can split a pair. The
 * batch's record then failed as a whole and the run stopped with exit 1. Each
 * string here gets U+FFFD for those, as node-postgres already sends a lone
 * surrogate in a text parameter, and as src/tables/converters.ts (cleanText)
 * gives NUL in text. Values that must round-trip do not reach this as such:
 * text with NUL travels as base64 (src/tables/lossless.ts), keys escape it
 * (src/util/keys.ts).
 */
export function jsonbParam(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? textFit(v) : v));
}

/** Lone surrogates (either half) and NUL; a regular expression without the u flag sees UTF-16 units. */
const UNFIT = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]|\\0';
const HAS_UNFIT = new RegExp(UNFIT);
const ALL_UNFIT = new RegExp(UNFIT, 'g');

function textFit(s: string): string {
  return HAS_UNFIT.test(s) ? s.replace(ALL_UNFIT, '\ufffd') : s;
}
