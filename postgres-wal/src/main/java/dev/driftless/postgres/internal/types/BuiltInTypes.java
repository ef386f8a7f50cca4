package dev.driftless.postgres.internal.types;

import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The built-in types whose oids are fixed by PostgreSQL's catalog ({@code pg_type.dat}) and so
 * never need a catalog query. Oids below 16384 ({@code FirstNormalObjectId}) that are not listed
 * here (for example types of extensions installed at initdb time) are resolved through the catalog
 * like user types.
 */
final class BuiltInTypes {

  /** Oids at or above this were assigned by the running cluster, not by initdb. */
  static final int FIRST_NORMAL_OBJECT_ID = 16384;

  private static final Map<Integer, PgType> TYPES = new HashMap<>();

  static {
    // name, oid, array oid, kind
    scalar("bool", 16, 1000, ScalarKind.BOOL);
    scalar("bytea", 17, 1001, ScalarKind.BYTEA);
    scalar("char", 18, 1002, ScalarKind.TEXT);
    scalar("name", 19, 1003, ScalarKind.TEXT);
    scalar("int8", 20, 1016, ScalarKind.LONG);
    scalar("int2", 21, 1005, ScalarKind.INT);
    scalar("int2vector", 22, 1006, ScalarKind.TEXT);
    scalar("int4", 23, 1007, ScalarKind.INT);
    scalar("regproc", 24, 1008, ScalarKind.TEXT);
    scalar("text", 25, 1009, ScalarKind.TEXT);
    scalar("oid", 26, 1028, ScalarKind.LONG);
    scalar("tid", 27, 1010, ScalarKind.TEXT);
    scalar("xid", 28, 1011, ScalarKind.LONG);
    scalar("cid", 29, 1012, ScalarKind.LONG);
    scalar("oidvector", 30, 1013, ScalarKind.TEXT);
    scalar("json", 114, 199, ScalarKind.JSON);
    scalar("xml", 142, 143, ScalarKind.TEXT);
    scalar("point", 600, 1017, ScalarKind.TEXT);
    scalar("lseg", 601, 1018, ScalarKind.TEXT);
    scalar("path", 602, 1019, ScalarKind.TEXT);
    scalar("box", 603, 1020, ScalarKind.TEXT, ';');
    scalar("polygon", 604, 1027, ScalarKind.TEXT);
    scalar("line", 628, 629, ScalarKind.TEXT);
    scalar("cidr", 650, 651, ScalarKind.TEXT);
    scalar("float4", 700, 1021, ScalarKind.FLOAT4);
    scalar("float8", 701, 1022, ScalarKind.FLOAT8);
    scalar("circle", 718, 719, ScalarKind.TEXT);
    scalar("macaddr8", 774, 775, ScalarKind.TEXT);
    scalar("money", 790, 791, ScalarKind.TEXT);
    scalar("macaddr", 829, 1040, ScalarKind.TEXT);
    scalar("inet", 869, 1041, ScalarKind.TEXT);
    scalar("aclitem", 1033, 1034, ScalarKind.TEXT);
    scalar("bpchar", 1042, 1014, ScalarKind.BPCHAR);
    scalar("varchar", 1043, 1015, ScalarKind.TEXT);
    scalar("date", 1082, 1182, ScalarKind.DATE);
    scalar("time", 1083, 1183, ScalarKind.TIME);
    scalar("timestamp", 1114, 1115, ScalarKind.TIMESTAMP);
    scalar("timestamptz", 1184, 1185, ScalarKind.TIMESTAMPTZ);
    scalar("interval", 1186, 1187, ScalarKind.INTERVAL);
    scalar("timetz", 1266, 1270, ScalarKind.TIMETZ);
    scalar("bit", 1560, 1561, ScalarKind.TEXT);
    scalar("varbit", 1562, 1563, ScalarKind.TEXT);
    scalar("numeric", 1700, 1231, ScalarKind.NUMERIC);
    scalar("refcursor", 1790, 2201, ScalarKind.TEXT);
    scalar("regprocedure", 2202, 2207, ScalarKind.TEXT);
    scalar("regoper", 2203, 2208, ScalarKind.TEXT);
    scalar("regoperator", 2204, 2209, ScalarKind.TEXT);
    scalar("regclass", 2205, 2210, ScalarKind.TEXT);
    scalar("regtype", 2206, 2211, ScalarKind.TEXT);
    scalar("uuid", 2950, 2951, ScalarKind.TEXT);
    scalar("txid_snapshot", 2970, 2949, ScalarKind.TEXT);
    scalar("pg_lsn", 3220, 3221, ScalarKind.TEXT);
    scalar("tsvector", 3614, 3643, ScalarKind.TEXT);
    scalar("tsquery", 3615, 3645, ScalarKind.TEXT);
    scalar("regconfig", 3734, 3735, ScalarKind.TEXT);
    scalar("regdictionary", 3769, 3770, ScalarKind.TEXT);
    scalar("jsonb", 3802, 3807, ScalarKind.JSON);
    scalar("jsonpath", 4072, 4073, ScalarKind.TEXT);
    scalar("regnamespace", 4089, 4090, ScalarKind.TEXT);
    scalar("regrole", 4096, 4097, ScalarKind.TEXT);
    scalar("regcollation", 4191, 4192, ScalarKind.TEXT);
    scalar("pg_snapshot", 5038, 5039, ScalarKind.TEXT);
    scalar("xid8", 5069, 271, ScalarKind.BIG_INTEGER);

    range("int4range", 3904, 3905, 23);
    range("numrange", 3906, 3907, 1700);
    range("tsrange", 3908, 3909, 1114);
    range("tstzrange", 3910, 3911, 1184);
    range("daterange", 3912, 3913, 1082);
    range("int8range", 3926, 3927, 20);

    multirange("int4multirange", 4451, 6150, 3904);
    multirange("nummultirange", 4532, 6151, 3906);
    multirange("tsmultirange", 4533, 6152, 3908);
    multirange("tstzmultirange", 4534, 6153, 3910);
    multirange("datemultirange", 4535, 6155, 3912);
    multirange("int8multirange", 4536, 6157, 3926);
  }

  private BuiltInTypes() {}

  /** The built-in type with this oid, or {@code null} if it is not one of the listed ones. */
  static @Nullable PgType get(int oid) {
    return TYPES.get(oid);
  }

  /** Every listed type, for tests that compare the table with a live catalog. */
  static Map<Integer, PgType> all() {
    return Map.copyOf(TYPES);
  }

  private static void scalar(String name, int oid, int arrayOid, ScalarKind kind) {
    scalar(name, oid, arrayOid, kind, ',');
  }

  private static void scalar(String name, int oid, int arrayOid, ScalarKind kind, char delim) {
    put(new PgType.Scalar(oid, name, kind));
    put(new PgType.Array(arrayOid, "_" + name, oid, delim));
  }

  private static void range(String name, int oid, int arrayOid, int subtype) {
    put(new PgType.Range(oid, name, subtype));
    put(new PgType.Array(arrayOid, "_" + name, oid, ','));
  }

  private static void multirange(String name, int oid, int arrayOid, int range) {
    put(new PgType.Multirange(oid, name, range));
    put(new PgType.Array(arrayOid, "_" + name, oid, ','));
  }

  private static void put(PgType type) {
    if (TYPES.put(type.oid(), type) != null) {
      throw new AssertionError("duplicate built-in oid " + type.oid());
    }
  }
}
