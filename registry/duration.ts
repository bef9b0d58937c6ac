// Durations in the resource use Go's syntax ("90s", "1h30m", "720h") because the
// CRD validates them with CEL's duration(), which speaks the same language.
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;

export function parseDuration(text: string): number {
  let seconds = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    seconds += Number(match[1]) * (UNIT_SECONDS[match[2] as string] ?? 0);
    consumed = PART.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length)
    throw new Error(`"${text}" is not a duration like 90s, 15m or 1h30m`);
  return seconds;
}
