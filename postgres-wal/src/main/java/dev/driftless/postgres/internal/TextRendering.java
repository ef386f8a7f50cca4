package dev.driftless.postgres.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The session settings under which PostgreSQL renders values as text, applied alike to the
 * replication connection (pgoutput prints each value with the walsender session's settings), to
 * repair reads and to the reconciliation reader. Row fingerprints hash that text, so the three must
 * agree to the byte.
 */
public final class TextRendering {

  /** The settings, as one SQL string of {@code SET} commands. */
  public static final String SETTINGS =
      "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres';"
          + " SET extra_float_digits = 1; SET bytea_output = 'hex'";

  private TextRendering() {}

  /** Applies the settings to a session. */
  public static void apply(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      for (String set : SETTINGS.split(";")) {
        s.execute(set.strip());
      }
    }
  }

  /**
   * A SELECT expression giving the text the type's output function prints for a column (what
   * pgoutput sends), or NULL. {@code ::text} is not always that text: casts to text differ for
   * boolean, char(n), inet and others. {@code num_nulls} because {@code IS NULL} is true for a
   * composite whose fields are all null.
   */
  public static String outputText(String quotedColumn) {
    return "CASE WHEN num_nulls("
        + quotedColumn
        + ") = 1 THEN NULL ELSE format('%s', "
        + quotedColumn
        + ") END";
  }
}
