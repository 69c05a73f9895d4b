/**
 * Inline command splitting with Redis `sdssplitargs` rules: whitespace separates arguments;
 * "double quotes" understand \n \r \t \b \a \\ \" and \xHH; 'single quotes' understand \'.
 * A closing quote must be followed by whitespace or the end. Returns null on unbalanced quotes.
 */
export function splitInlineArgs(line: string): string[] | null {
  // The common line (PING, a telnet user's SET k v) has no quotes: its words are slices.
  if (line.indexOf('"') < 0 && line.indexOf("'") < 0) return splitWords(line);
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return args;
    let current = "";
    let inDq = false;
    let inSq = false;
    let done = false;
    while (!done) {
      if (inDq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === "\\" && line[i + 1] === "x" && isHex(line[i + 2]) && isHex(line[i + 3])) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          current += unescape(line[i]);
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          done = true;
        } else current += c;
      } else if (inSq) {
        if (i >= n) return null;
        const c = line[i];
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          done = true;
        } else current += c;
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        const c = line[i];
        if (isSpace(line.charCodeAt(i))) done = true;
        else if (c === '"') inDq = true;
        else if (c === "'") inSq = true;
        else current += c;
      }
      if (i < n) i++;
    }
    args.push(current);
  }
}

/** A quote-free line's whitespace-separated words. */
function splitWords(line: string): string[] {
  const args: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return args;
    const start = i;
    while (i < n && !isSpace(line.charCodeAt(i))) i++;
    args.push(line.slice(start, i));
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9 || code === 11 || code === 12;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function unescape(c: string): string {
  switch (c) {
    case "n":
      return "\n";
    case "r":
      return "\r";
    case "t":
      return "\t";
    case "b":
      return "\b";
    case "a":
      return "\x07";
    default:
      return c;
  }
}
