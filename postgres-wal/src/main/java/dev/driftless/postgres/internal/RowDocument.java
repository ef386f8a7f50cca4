package dev.driftless.postgres.internal;

import dev.driftless.core.Document;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.RetriableException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one way a row becomes a document, whichever path read it (the stream, a re-read of an
 * out-of-line value, a backfill, a repair): the same columns in the same order give the same fields
 * and the same row fingerprint. A value that does not decode makes the row {@linkplain
 * UnreadableChange unreadable} rather than being kept as text under a type it does not have.
 */
final class RowDocument {

  /**
   * A column as a document needs it.
   *
   * @param name the column's name, the field's name
   * @param typeOid its type
   * @param typmod its type modifier
   */
  record Column(String name, int typeOid, int typmod) {}

  private RowDocument() {}

  /**
   * The document of a row whose columns {@code columns} have the texts {@code texts} (null for SQL
   * NULL), as PostgreSQL renders them for the stream.
   *
   * @param table the table, for messages
   * @throws UnreadableChange if a value does not decode as its type
   * @throws RetriableException if decoding needs the catalog and it is unreachable
   */
  static Document of(
      String table, List<Column> columns, @Nullable String[] texts, ColumnValueDecoder decoder) {
    Map<String, @Nullable Object> fields = new LinkedHashMap<>(columns.size() * 2);
    for (int i = 0; i < columns.size(); i++) {
      Column col = columns.get(i);
      String text = texts[i];
      Object value;
      try {
        value = decoder.decode(col.typeOid(), col.typmod(), text);
      } catch (RetriableException e) {
        throw e;
      } catch (RuntimeException e) {
        Map<String, @Nullable String> raw = new LinkedHashMap<>();
        raw.put(col.name(), text);
        throw new UnreadableChange(
            "unreadable:value",
            "column " + col.name() + " of " + table + ": " + e.getMessage(),
            raw,
            e);
      }
      fields.put(col.name(), value);
    }
    // The row fingerprint reconciliation compares with the database (Fingerprints, definition 1).
    return Document.of(fields).withFingerprint(Fingerprints.row(Arrays.asList(texts)));
  }
}
