package dev.driftless.postgres.internal.types;

/** How the text of a scalar type becomes a JDK value. */
enum ScalarKind {
  /** {@code t}/{@code f} to {@link Boolean}. */
  BOOL,
  /** int2, int4 to {@link Integer}. */
  INT,
  /** int8, oid, xid, cid and other unsigned 32-bit values to {@link Long}. */
  LONG,
  /** xid8 (unsigned 64-bit) to {@link java.math.BigInteger}. */
  BIG_INTEGER,
  /** numeric to {@link java.math.BigDecimal}; NaN and the infinities stay strings. */
  NUMERIC,
  /** float4 to {@link Float}, including NaN and the infinities. */
  FLOAT4,
  /** float8 to {@link Double}, including NaN and the infinities. */
  FLOAT8,
  /** date to an ISO-8601 date string. */
  DATE,
  /** time to an ISO-8601 local time string. */
  TIME,
  /** timetz to an ISO-8601 time string with its offset. */
  TIMETZ,
  /** timestamp to an ISO-8601 local date-time string. */
  TIMESTAMP,
  /** timestamptz to an ISO-8601 UTC instant string ending in {@code Z}. */
  TIMESTAMPTZ,
  /** interval to an ISO-8601 duration string. */
  INTERVAL,
  /** bytea to base64. */
  BYTEA,
  /** json and jsonb to nested maps, lists and values. */
  JSON,
  /**
   * char(n): the text without its trailing blanks, which are insignificant for this type and which
   * a cast to text also removes, so a value read with {@code ::text} and one from pgoutput agree.
   */
  BPCHAR,
  /** Everything else: the text as PostgreSQL printed it. */
  TEXT
}
