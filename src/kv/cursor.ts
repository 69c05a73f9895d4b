/** Opaque list cursors and SCAN MATCH escaping for the KV listing. */
import { ValidationError } from "../errors/app_error.ts";

export interface ListPosition {
  /** The ATLAS SCAN cursor to (re)issue. */
  scan: string;
  /** Keys of that SCAN batch already returned. */
  skip: number;
}

export function encodeCursor(position: ListPosition): string {
  return btoa(`${position.scan}.${position.skip}`).replaceAll("=", "");
}

export function decodeCursor(cursor: string): ListPosition {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw new ValidationError("Invalid cursor: pass back the cursor of the previous page");
  }
  const match = /^(\d{1,20})\.(\d{1,6})$/.exec(text);
  if (!match) {
    throw new ValidationError("Invalid cursor: pass back the cursor of the previous page");
  }
  return { scan: match[1], skip: Number(match[2]) };
}

/** Escapes glob metacharacters so a prefix matches literally. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (ch) => `\\${ch}`);
}
