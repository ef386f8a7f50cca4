package dev.driftless.postgres.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Version;
import dev.driftless.postgres.LsnPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Turns one decoded row change (INSERT, UPDATE, DELETE) of a replicated table into events: derives
 * the key (from the old key where the new row leaves an out-of-line key column out), builds the
 * document the one way every path builds it ({@link RowDocument}), completes a row whose unchanged
 * out-of-line value the server did not send by re-reading it in a snapshot that sees the
 * transaction, and isolates a change it cannot read ({@link UnreadableChange}) instead of failing.
 * Keeps no state of its own; confined to the source's poll thread.
 */
final class ChangeConverter {

  /** Where events go, and where positions come from (the source's ready queue and stream). */
  interface Output {
    /** The next position of {@code t}, or null if it was already emitted before a reconnect. */
    @Nullable LsnPosition nextPosition(DecodedTransaction t);

    /** Emits an event of {@code t}. */
    void emit(ChangeEvent event, DecodedTransaction t);

    /** Dead-letters a change of {@code t} that could not be read, at {@code position}. */
    void unreadable(
        DocumentKey key,
        Version version,
        LsnPosition position,
        DecodedTransaction t,
        UnreadableChange failure);
  }

  /**
   * Re-reads a row whose unchanged out-of-line value was not sent (see {@link
   * PostgresRepairReader#readRowSeeing}).
   */
  @FunctionalInterface
  interface RowRereader {
    Optional<Document> readRowSeeing(
        TableShape shape, List<RowDocument.Column> columns, DocumentKey key, long xid32)
        throws Exception;
  }

  private final ColumnValueDecoder values;
  private final RowRereader rereader;
  private final Output out;
  private final AtomicLong rereads = new AtomicLong();

  ChangeConverter(ColumnValueDecoder values, RowRereader rereader, Output out) {
    this.values = values;
    this.rereader = rereader;
    this.out = out;
  }

  /** How many rows were re-read to complete an unchanged out-of-line value. */
  long rereads() {
    return rereads.get();
  }

  void convert(ReplicatedRelation entry, PgOutputMessage m, DecodedTransaction t) throws Exception {
    TableShape shape = entry.shape();
    if (shape == null) {
      return;
    }
    Version version = Version.of(t.commitLsn);
    PgOutputMessage.TupleData row =
        m instanceof PgOutputMessage.Insert i
            ? i.newTuple()
            : m instanceof PgOutputMessage.Update u
                ? u.newTuple()
                : ((PgOutputMessage.Delete) m).oldTuple();
    DocumentKey key = null;
    try {
      if (entry.unkeyable() != null) {
        throw new UnreadableChange(
            "unreadable:key", String.valueOf(entry.unkeyable()), Map.of(), null);
      }
      if (m instanceof PgOutputMessage.Insert) {
        key = key(entry, row, null);
        upsert(entry, shape, key, row, null, (char) 0, t, version);
      } else if (m instanceof PgOutputMessage.Update u) {
        PgOutputMessage.TupleData old = u.oldTuple();
        key = key(entry, row, old);
        if (old != null) {
          DocumentKey oldKey = key(entry, old, null);
          if (!oldKey.equals(key)) {
            LsnPosition pos = out.nextPosition(t);
            if (pos != null) {
              out.emit(ChangeEvent.delete(oldKey, version, pos, t.commitTime), t);
            }
          }
        }
        upsert(entry, shape, key, row, old, u.oldKind(), t, version);
      } else if (m instanceof PgOutputMessage.Delete) {
        key = key(entry, row, null);
        LsnPosition pos = out.nextPosition(t);
        if (pos != null) {
          out.emit(ChangeEvent.delete(key, version, pos, t.commitTime), t);
        }
      } else {
        throw new IllegalStateException("not a row change: " + m);
      }
    } catch (UnreadableChange u) {
      LsnPosition pos = out.nextPosition(t);
      if (pos != null) {
        out.unreadable(key != null ? key : unknownKey(entry, pos), version, pos, t, u);
      }
    }
  }

  /**
   * The key of a change that does not carry it: the collection with an id that names the change's
   * position. No row has it, so replaying the letter changes nothing; reconciliation finds the row.
   */
  private static DocumentKey unknownKey(ReplicatedRelation entry, LsnPosition pos) {
    return DocumentKey.of(entry.collection(), "?unkeyed@" + pos.asString());
  }

  private void upsert(
      ReplicatedRelation entry,
      TableShape shape,
      DocumentKey key,
      PgOutputMessage.TupleData tuple,
      PgOutputMessage.@Nullable TupleData old,
      char oldKind,
      DecodedTransaction t,
      Version version)
      throws Exception {
    LsnPosition pos = out.nextPosition(t);
    if (pos == null) {
      return; // emitted before a reconnect
    }
    PgOutputMessage.TupleData row =
        tuple.hasUnchangedToast() ? completed(entry, tuple, old, oldKind) : tuple;
    Document doc;
    if (row == null) {
      // The value was not sent and no old row carries it: take the row as it is now, with the
      // stream's columns, in a snapshot that sees this transaction (it is at least as new as this
      // change; later changes of the key follow with their own versions).
      Optional<Document> current =
          rereader.readRowSeeing(shape, entry.documentColumns(), key, t.xid);
      if (current.isEmpty()) {
        // Deleted since: the delete follows in the stream. Emit nothing rather than a partial row.
        return;
      }
      doc = current.get();
      rereads.incrementAndGet();
    } else {
      doc = document(entry, row);
    }
    out.emit(ChangeEvent.upsert(key, version, pos, doc, t.commitTime), t);
  }

  /**
   * The new row with each unchanged out-of-line value taken from the old row the server sent (under
   * REPLICA IDENTITY FULL) or, for a key column, from the old key; null when a value is in neither
   * (then the row is re-read).
   */
  private static PgOutputMessage.@Nullable TupleData completed(
      ReplicatedRelation entry,
      PgOutputMessage.TupleData tuple,
      PgOutputMessage.@Nullable TupleData old,
      char oldKind) {
    char[] kinds = tuple.kinds().clone();
    @Nullable String[] values = tuple.values().clone();
    for (int i = 0; i < kinds.length; i++) {
      if (kinds[i] != 'u') {
        continue;
      }
      if (old == null
          || i >= old.size()
          || old.kinds()[i] != 't'
          || (oldKind != 'O' && !isKeyColumn(entry, i))) {
        return null;
      }
      kinds[i] = 't';
      values[i] = old.values()[i];
    }
    return new PgOutputMessage.TupleData(kinds, values);
  }

  private static boolean isKeyColumn(ReplicatedRelation entry, int index) {
    for (int k : entry.keyIndexes()) {
      if (k == index) {
        return true;
      }
    }
    return false;
  }

  private Document document(ReplicatedRelation entry, PgOutputMessage.TupleData tuple) {
    int n = Math.min(entry.documentColumns().size(), tuple.size());
    @Nullable String[] texts = new String[n];
    for (int i = 0; i < n; i++) {
      texts[i] = tuple.values()[i];
    }
    List<RowDocument.Column> columns =
        n == entry.documentColumns().size()
            ? entry.documentColumns()
            : entry.documentColumns().subList(0, n);
    return RowDocument.of(entry.collection(), columns, texts, values);
  }

  /**
   * The key of a row. A key column the row does not carry — an out-of-line value an update left
   * unchanged, which pgoutput sends as "unchanged" — is taken from {@code old}, the old key or row
   * (the server logs the old key when a key column is stored out of line).
   *
   * @throws UnreadableChange if a key column has no value in either
   */
  private static DocumentKey key(
      ReplicatedRelation entry,
      PgOutputMessage.TupleData tuple,
      PgOutputMessage.@Nullable TupleData old) {
    int[] idx = entry.keyIndexes();
    if (idx.length == 1) {
      return DocumentKey.of(entry.collection(), keyPart(entry, tuple, old, idx[0]));
    }
    List<String> parts = new ArrayList<>(idx.length);
    for (int i : idx) {
      parts.add(keyPart(entry, tuple, old, i));
    }
    return DocumentKey.composite(entry.collection(), parts);
  }

  private static String keyPart(
      ReplicatedRelation entry,
      PgOutputMessage.TupleData tuple,
      PgOutputMessage.@Nullable TupleData old,
      int index) {
    String v = index < tuple.size() ? tuple.values()[index] : null;
    if (v == null && index < tuple.size() && tuple.kinds()[index] == 'u' && old != null) {
      v = index < old.size() ? old.values()[index] : null;
    }
    if (v == null) {
      String column = entry.relation().columns().get(index).name();
      char kind = index < tuple.size() ? tuple.kinds()[index] : '?';
      throw new UnreadableChange(
          "unreadable:key",
          "key column "
              + column
              + " of "
              + entry.collection()
              + (kind == 'n'
                  ? " is NULL in a change"
                  : " has no value in a change (an unchanged out-of-line value the server did not"
                      + " log as the old key)"),
          Map.of(),
          null);
    }
    return v;
  }
}
