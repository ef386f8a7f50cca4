package dev.driftless.postgres.internal;

import java.util.List;

/**
 * What the source knows of a published table from the catalog: its qualified name, the columns that
 * key its documents, and the collection its documents go to.
 *
 * @param schema the table's schema
 * @param table the table's name
 * @param keyColumns the columns of the primary key, else of the replica identity index, else (with
 *     REPLICA IDENTITY FULL allowed) every column
 * @param replicaIdentity {@code d}, {@code i}, {@code f} or {@code n}
 */
record TableShape(String schema, String table, List<String> keyColumns, char replicaIdentity) {
  TableShape {
    keyColumns = List.copyOf(keyColumns);
  }

  String qualifiedName() {
    return schema + "." + table;
  }

  /** The quoted SQL name, safe to embed in a statement. */
  String sqlName() {
    return quote(schema) + "." + quote(table);
  }

  static String collectionOf(String schema, String table) {
    return "public".equals(schema) ? table : schema + "." + table;
  }

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
