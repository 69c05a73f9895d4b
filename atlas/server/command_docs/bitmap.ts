/** COMMAND DOCS: the bitmap commands (see types.ts). */
import { block, type CommandDoc, doc, int, key, oneof, pure, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  bitcount: doc(
    "Count the bits set to 1 in a string, optionally within a byte or bit range",
    "2.6.0",
    "bitmap",
    "O(N) where N is the number of bytes counted",
    [
      key("key"),
      block("index", [
        int("start"),
        int("end"),
        oneof("index_unit", [pure("byte", "BYTE"), pure("bit", "BIT")], {
          since: "7.0.0",
          optional: true,
        }),
      ], { optional: true }),
    ],
  ),
  bitfield: doc(
    "Read, set or increment integer fields of any width at bit offsets of a string",
    "3.2.0",
    "bitmap",
    "O(1) per field read; O(N) in the string's length when a field is written",
    [
      key("key"),
      oneof("operation", [
        block("encoding_offset", [str("encoding"), int("offset")], { token: "GET" }),
        block("write", [
          oneof("wrap_sat_fail", [pure("wrap", "WRAP"), pure("sat", "SAT"), pure("fail", "FAIL")], {
            token: "OVERFLOW",
            optional: true,
          }),
          oneof("write_operation", [
            block("encoding_offset_value", [str("encoding"), int("offset"), int("value")], {
              token: "SET",
            }),
            block("encoding_offset_increment", [str("encoding"), int("offset"), int("increment")], {
              token: "INCRBY",
            }),
          ]),
        ]),
      ], { optional: true, multiple: true }),
    ],
  ),
  bitfield_ro: doc(
    "Read integer fields of any width at bit offsets of a string, writing nothing",
    "6.0.0",
    "bitmap",
    "O(1) per field read",
    [
      key("key"),
      block("encoding_offset", [str("encoding"), int("offset")], {
        token: "GET",
        optional: true,
        multiple: true,
        multipleToken: true,
      }),
    ],
  ),
  bitop: doc(
    "Combine strings bit by bit with AND, OR, XOR or NOT and store the result",
    "2.6.0",
    "bitmap",
    "O(N) where N is the length of the longest source string",
    [
      str("operation"),
      key("destkey"),
      key("key", { multiple: true }),
    ],
  ),
  bitpos: doc(
    "Find the first bit equal to 0 or 1 in a string, optionally within a range",
    "2.8.7",
    "bitmap",
    "O(N) where N is the number of bytes searched",
    [
      key("key"),
      int("bit"),
      block("index", [
        int("start"),
        block("end_index", [
          int("end"),
          oneof("index_unit", [pure("byte", "BYTE"), pure("bit", "BIT")], {
            since: "7.0.0",
            optional: true,
          }),
        ], { optional: true }),
      ], { optional: true }),
    ],
  ),
  getbit: doc(
    "Read the bit at an offset of a string (0 past its end or for a missing key)",
    "2.2.0",
    "bitmap",
    "O(1)",
    [key("key"), int("offset")],
  ),
  setbit: doc(
    "Set or clear the bit at an offset of a string, growing it if needed",
    "2.2.0",
    "bitmap",
    "O(N) where N is the length of the string (ATLAS rewrites the value)",
    [key("key"), int("offset"), int("value")],
  ),
};
