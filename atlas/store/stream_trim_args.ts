/**
 * XADD / XTRIM options (Redis 7.0 streamParseAddOrTrimArgsOrReply): NOMKSTREAM, MAXLEN|MINID
 * [=|~] threshold, LIMIT count, then XADD's ID. Same checks, same order, same error texts.
 */
import { ERR_NOT_INTEGER, ERR_SYNTAX } from "./errors.ts";
import { parseInt64 } from "./numbers.ts";
import { error, type Reply } from "./reply.ts";
import { ERR_INVALID_ID, parseStreamId, parseStrictId, type StreamId } from "./stream_id.ts";
import { NODE_MAX_ENTRIES } from "./stream_listpack.ts";
import type { TrimStrategy } from "./stream_value.ts";
import { lower } from "./util.ts";

export interface AddTrimArgs {
  strategy: TrimStrategy | null;
  approx: boolean;
  /** Entries `~` trimming may remove at most (0 = no bound). */
  limit: number;
  noMkStream: boolean;
  /** argv index of XADD's ID (or where it would be). */
  idPos: number;
  idGiven: boolean;
  seqGiven: boolean;
  id: StreamId;
}

const ERR_BOTH = error(
  "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
);

export function parseAddTrimArgs(argv: string[], xadd: boolean): AddTrimArgs | Reply {
  const a: AddTrimArgs = {
    strategy: null,
    approx: false,
    limit: 0,
    noMkStream: false,
    idPos: 2,
    idGiven: false,
    seqGiven: false,
    id: 0n,
  };
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && opt === "*") break;
    const word = lower(opt);
    if ((word === "maxlen" || word === "minid") && more > 0) {
      if (a.strategy !== null) return ERR_BOTH;
      a.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === "~") {
        a.approx = true;
        i++;
      } else if (more >= 2 && next === "=") i++;
      if (word === "maxlen") {
        const n = parseInt64(argv[i + 1]);
        if (n === null) return ERR_NOT_INTEGER;
        if (n < 0) return error("ERR The MAXLEN argument must be >= 0.");
        a.strategy = { kind: "maxlen", maxlen: BigInt(n) };
      } else {
        const id = parseStrictId(argv[i + 1]);
        if (id === null) return ERR_INVALID_ID;
        a.strategy = { kind: "minid", minid: id };
      }
      i++;
    } else if (word === "limit" && more > 0) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 0) return error("ERR The LIMIT argument must be >= 0.");
      a.limit = Number(n);
      limitGiven = true;
      i++;
    } else if (xadd && word === "nomkstream") {
      a.noMkStream = true;
    } else if (xadd) {
      const p = parseStreamId(opt, 0n, true, true);
      if (p === null) return ERR_INVALID_ID;
      a.id = p.id;
      a.seqGiven = p.seqGiven;
      a.idGiven = true;
      break;
    } else {
      return ERR_SYNTAX;
    }
  }
  a.idPos = i;
  if (a.limit !== 0 && a.strategy === null) {
    return error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
  }
  if (!xadd && a.strategy === null) {
    return error("ERR syntax error, XTRIM must be called with a trimming strategy");
  }
  if (limitGiven) {
    if (!a.approx) {
      return error("ERR syntax error, LIMIT cannot be used without the special ~ option");
    }
  } else {
    // Redis bounds `~` trimming by 100 * stream-node-max-entries unless LIMIT says otherwise.
    a.limit = a.approx ? 100 * NODE_MAX_ENTRIES : 0;
  }
  return a;
}
