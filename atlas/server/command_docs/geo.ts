/** COMMAND DOCS: the geo commands (see types.ts). */
import { block, type CommandDoc, dbl, doc, int, key, oneof, pure, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  geoadd: doc(
    "Store members at longitude/latitude positions in a geo index (a sorted set)",
    "3.2.0",
    "geo",
    "O(log(N)) per member, N being the index's size",
    [
      key("key"),
      oneof("condition", [pure("nx", "NX"), pure("xx", "XX")], { since: "6.2.0", optional: true }),
      pure("change", "CH", { since: "6.2.0", optional: true }),
      block("longitude_latitude_member", [dbl("longitude"), dbl("latitude"), str("member")], {
        multiple: true,
      }),
    ],
  ),
  geodist: doc(
    "Measure how far apart two members of a geo index are, in the unit asked",
    "3.2.0",
    "geo",
    "O(1)",
    [
      key("key"),
      str("member1"),
      str("member2"),
      oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")], {
        optional: true,
      }),
    ],
  ),
  geohash: doc(
    "Reply with the 11-character geohash string of each member asked",
    "3.2.0",
    "geo",
    "O(N) where N is the number of members asked",
    [key("key"), str("member", { multiple: true })],
  ),
  geopos: doc(
    "Reply with the longitude and latitude of each member asked",
    "3.2.0",
    "geo",
    "O(N) where N is the number of members asked",
    [key("key"), str("member", { multiple: true })],
  ),
  georadius: doc(
    "Find the members within a radius of a longitude/latitude, optionally storing them",
    "3.2.0",
    "geo",
    "O(log(M) + N*log(N)) where M is the set's size and N the members in the cells searched",
    [
      key("key"),
      dbl("longitude"),
      dbl("latitude"),
      dbl("radius"),
      oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
      pure("withcoord", "WITHCOORD", { optional: true }),
      pure("withdist", "WITHDIST", { optional: true }),
      pure("withhash", "WITHHASH", { optional: true }),
      block("count", [
        int("count", { token: "COUNT" }),
        pure("any", "ANY", { since: "6.2.0", optional: true }),
      ], { optional: true }),
      oneof("order", [pure("asc", "ASC"), pure("desc", "DESC")], { optional: true }),
      key("key", { token: "STORE", optional: true }),
      key("key", { token: "STOREDIST", optional: true }),
    ],
    {
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "GEOSEARCH or GEOSEARCHSTORE with FROMLONLAT and BYRADIUS",
    },
  ),
  georadius_ro: doc(
    "Read-only form of GEORADIUS: members within a radius of a point",
    "3.2.10",
    "geo",
    "O(log(M) + N*log(N)) where M is the set's size and N the members in the cells searched",
    [
      key("key"),
      dbl("longitude"),
      dbl("latitude"),
      dbl("radius"),
      oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
      pure("withcoord", "WITHCOORD", { optional: true }),
      pure("withdist", "WITHDIST", { optional: true }),
      pure("withhash", "WITHHASH", { optional: true }),
      block("count", [
        int("count", { token: "COUNT" }),
        pure("any", "ANY", { since: "6.2.0", optional: true }),
      ], { optional: true }),
      oneof("order", [pure("asc", "ASC"), pure("desc", "DESC")], { optional: true }),
    ],
    {
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "GEOSEARCH with FROMLONLAT and BYRADIUS",
    },
  ),
  georadiusbymember: doc(
    "Find the members within a radius of another member, optionally storing them",
    "3.2.0",
    "geo",
    "O(log(M) + N*log(N)) where M is the set's size and N the members in the cells searched",
    [
      key("key"),
      str("member"),
      dbl("radius"),
      oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
      pure("withcoord", "WITHCOORD", { optional: true }),
      pure("withdist", "WITHDIST", { optional: true }),
      pure("withhash", "WITHHASH", { optional: true }),
      block("count", [int("count", { token: "COUNT" }), pure("any", "ANY", { optional: true })], {
        optional: true,
      }),
      oneof("order", [pure("asc", "ASC"), pure("desc", "DESC")], { optional: true }),
      key("key", { token: "STORE", optional: true }),
      key("key", { token: "STOREDIST", optional: true }),
    ],
    {
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "GEOSEARCH or GEOSEARCHSTORE with FROMMEMBER and BYRADIUS",
    },
  ),
  georadiusbymember_ro: doc(
    "Read-only form of GEORADIUSBYMEMBER: members within a radius of a member",
    "3.2.10",
    "geo",
    "O(log(M) + N*log(N)) where M is the set's size and N the members in the cells searched",
    [
      key("key"),
      str("member"),
      dbl("radius"),
      oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
      pure("withcoord", "WITHCOORD", { optional: true }),
      pure("withdist", "WITHDIST", { optional: true }),
      pure("withhash", "WITHHASH", { optional: true }),
      block("count", [int("count", { token: "COUNT" }), pure("any", "ANY", { optional: true })], {
        optional: true,
      }),
      oneof("order", [pure("asc", "ASC"), pure("desc", "DESC")], { optional: true }),
    ],
    {
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "GEOSEARCH with FROMMEMBER and BYRADIUS",
    },
  ),
  geosearch: doc(
    "Find the members of a geo index inside a circle or a box around a point or member",
    "6.2.0",
    "geo",
    "O(log(M) + N*log(N)) where M is the set's size and N the members in the cells searched",
    [
      key("key"),
      oneof("from", [
        str("member", { token: "FROMMEMBER" }),
        block("longitude_latitude", [dbl("longitude"), dbl("latitude")], { token: "FROMLONLAT" }),
      ]),
      oneof("by", [
        block("circle", [
          dbl("radius", { token: "BYRADIUS" }),
          oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
        ]),
        block("box", [
          dbl("width", { token: "BYBOX" }),
          dbl("height"),
          oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
        ]),
      ]),
      oneof("order", [pure("asc", "ASC"), pure("desc", "DESC")], { optional: true }),
      block("count", [int("count", { token: "COUNT" }), pure("any", "ANY", { optional: true })], {
        optional: true,
      }),
      pure("withcoord", "WITHCOORD", { optional: true }),
      pure("withdist", "WITHDIST", { optional: true }),
      pure("withhash", "WITHHASH", { optional: true }),
    ],
  ),
  geosearchstore: doc(
    "Like GEOSEARCH, but save the matches (or their distances) as a sorted set",
    "6.2.0",
    "geo",
    "O(log(M) + N*log(N)) where M is the set's size and N the members in the cells searched",
    [
      key("destination"),
      key("source"),
      oneof("from", [
        str("member", { token: "FROMMEMBER" }),
        block("longitude_latitude", [dbl("longitude"), dbl("latitude")], { token: "FROMLONLAT" }),
      ]),
      oneof("by", [
        block("circle", [
          dbl("radius", { token: "BYRADIUS" }),
          oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
        ]),
        block("box", [
          dbl("width", { token: "BYBOX" }),
          dbl("height"),
          oneof("unit", [pure("m", "M"), pure("km", "KM"), pure("ft", "FT"), pure("mi", "MI")]),
        ]),
      ]),
      oneof("order", [pure("asc", "ASC"), pure("desc", "DESC")], { optional: true }),
      block("count", [int("count", { token: "COUNT" }), pure("any", "ANY", { optional: true })], {
        optional: true,
      }),
      pure("storedist", "STOREDIST", { optional: true }),
    ],
  ),
};
