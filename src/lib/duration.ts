/** Parses "150ms", "5s", "5m", "720h", "1h30m" or a bare number of ms. Returns null when malformed. */
export function parseDurationMs(text: string | number): number | null {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : null;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    total += Number(match[1]) * unitMs[match[2]];
    consumed = part.lastIndex;
  }
  return consumed === trimmed.length && consumed > 0 ? total : null;
}

/** Parses "64KiB", "1MiB", "512MB", "1048576" into bytes. Returns null when malformed. */
export function parseSizeBytes(text: string | number): number | null {
  if (typeof text === "number") return Number.isInteger(text) && text >= 0 ? text : null;
  const match = /^\s*(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$/i.exec(text);
  if (!match) return null;
  const factor: Record<string, number> = {
    b: 1,
    kb: 1000,
    kib: 1024,
    mb: 1_000_000,
    mib: 1024 ** 2,
    gb: 1_000_000_000,
    gib: 1024 ** 3,
  };
  return Number(match[1]) * factor[(match[2] ?? "b").toLowerCase()];
}
