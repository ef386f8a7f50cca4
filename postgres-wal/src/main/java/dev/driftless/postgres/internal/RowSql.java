package dev.driftless.postgres.internal;

import java.util.List;

/**
 * The SELECTs of {@link SnapshotReader}'s callers, built in one place: every column rendered by its
 * type's output function (the text pgoutput sends, {@link TextRendering#outputText}), names quoted,
 * key values passed as parameters cast to the key columns' types. Stateless.
 */
final class RowSql {
  private RowSql() {}

  /**
   * A backfill chunk: {@code SELECT <columns> FROM <table> [WHERE (<key>) > (?, ...)] ORDER BY
   * <key> LIMIT <rows>}, the key compared as a row so that a composite key's chunks follow its
   * index order.
   *
   * @param after whether the chunk starts after a key (one parameter per key column)
   */
  static String chunk(TableShape shape, SnapshotReader.Columns c, boolean after, int rows) {
    StringBuilder keyList = new StringBuilder();
    StringBuilder params = new StringBuilder();
    int[] keys = c.keyIndexes();
    for (int k = 0; k < keys.length; k++) {
      SnapshotReader.ColumnInfo col = c.columns().get(keys[k]);
      keyList.append(k > 0 ? ", " : "").append(TableShape.quote(col.name()));
      params.append(k > 0 ? ", " : "").append("?::").append(col.sqlType());
    }
    StringBuilder sql = select(shape, c.columns());
    if (after) {
      sql.append(" WHERE (").append(keyList).append(") > (").append(params).append(')');
    }
    return sql.append(" ORDER BY ").append(keyList).append(" LIMIT ").append(rows).toString();
  }

  /**
   * Rows by key: {@code SELECT <columns> FROM <table> WHERE (<key>) IN (SELECT <parts cast> FROM
   * unnest(?::text[], ...))}, one {@code text[]} parameter per key column.
   */
  static String byKeys(TableShape shape, SnapshotReader.Columns c) {
    int[] keys = c.keyIndexes();
    List<SnapshotReader.ColumnInfo> columns = c.columns();
    StringBuilder sql = select(shape, columns).append(" WHERE (");
    for (int k = 0; k < keys.length; k++) {
      sql.append(k > 0 ? ", " : "").append(TableShape.quote(columns.get(keys[k]).name()));
    }
    sql.append(") IN (SELECT ");
    for (int k = 0; k < keys.length; k++) {
      sql.append(k > 0 ? ", " : "")
          .append("u.k")
          .append(k)
          .append("::")
          .append(columns.get(keys[k]).sqlType());
    }
    sql.append(" FROM unnest(");
    for (int k = 0; k < keys.length; k++) {
      sql.append(k > 0 ? ", " : "").append("?::text[]");
    }
    sql.append(") AS u(");
    for (int k = 0; k < keys.length; k++) {
      sql.append(k > 0 ? ", " : "").append('k').append(k);
    }
    return sql.append("))").toString();
  }

  /** {@code SELECT ?::<type of key part 1>, ...}: whether a key's parts are values of its types. */
  static String castKey(SnapshotReader.Columns c) {
    StringBuilder sql = new StringBuilder("SELECT ");
    int[] keys = c.keyIndexes();
    for (int k = 0; k < keys.length; k++) {
      sql.append(k > 0 ? ", " : "").append("?::").append(c.columns().get(keys[k]).sqlType());
    }
    return sql.toString();
  }

  private static StringBuilder select(TableShape shape, List<SnapshotReader.ColumnInfo> columns) {
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < columns.size(); i++) {
      sql.append(i > 0 ? ", " : "")
          .append(TextRendering.outputText(TableShape.quote(columns.get(i).name())));
    }
    return sql.append(" FROM ").append(shape.sqlName());
  }
}
