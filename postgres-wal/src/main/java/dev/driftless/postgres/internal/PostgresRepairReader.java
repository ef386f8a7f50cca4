package dev.driftless.postgres.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.RetriableException;
import dev.driftless.core.Version;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.postgres.LsnPosition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Re-reads current rows by key on a connection of its own (never the replication connection).
 *
 * <p>Version rule (DESIGN §5: a row read from a snapshot may carry a version only if the snapshot
 * provably includes every change up to that version for the row's key). Each read is one {@code
 * REPEATABLE READ READ ONLY} transaction; its rows carry the stream's frontier {@code D} ({@link
 * RecentCommits}): every commit at or below {@code D} was decoded, and for each key read the reader
 * checks that every decoded transaction at or below {@code D} that changed the key is visible to
 * the snapshot. A key that fails the check (the commit-visibility race: decoded, committed, not yet
 * visible) is read again in a newer snapshot, until the transaction is visible. Changes above
 * {@code D} carry higher versions and follow through the stream. So a repair write can neither undo
 * a change the index holds with a higher version (I3) nor carry, under the frontier, a row older
 * than a change at or below it.
 *
 * <p>A transaction still finishing when the source started is not among the decoded ones; a read
 * whose snapshot does not see such a transaction while the server says it committed is retried too
 * ({@link RecentCommits#unseenAtStart}).
 *
 * <p>The re-read of a row whose out-of-line value an update left out ({@link #readRowSeeing}) has a
 * simpler rule: it carries its transaction's commit LSN, so its snapshot must see that transaction.
 * Changes of one key are serialised by the row lock, which a transaction holds until it is visible,
 * so a snapshot that sees the transaction sees every earlier change of the key too.
 *
 * <p>Thread-safe (calls are serialised on the one connection); blocks on I/O. Works on a standby
 * (read-only transactions, no writes). Connection failures are thrown as {@link
 * RetriableException}, after which the next call reconnects.
 */
final class PostgresRepairReader implements RepairReader {

  /**
   * How long a read waits for the transactions its keys race with to become visible. They are
   * committed (decoded, or marked committed by the server), so this is normally milliseconds; a
   * synchronous standby that does not answer can hold them invisible for longer, and then the read
   * fails as retriable.
   */
  private static final long VISIBILITY_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final SnapshotReader reader;
  private final Clock clock;
  private final RecentCommits recent;
  private volatile Map<String, TableShape> shapesByCollection = Map.of();
  private final AtomicLong rereads = new AtomicLong();

  PostgresRepairReader(
      Callable<Connection> connector,
      ColumnValueDecoder decoder,
      Clock clock,
      RecentCommits recent) {
    this.reader = new SnapshotReader(connector, "a repair read", decoder);
    this.clock = clock;
    this.recent = recent;
  }

  /** How many keys were read again because a change of theirs was not yet visible. */
  long rereads() {
    return rereads.get();
  }

  void tables(Collection<TableShape> shapes) {
    Map<String, TableShape> byCollection = new HashMap<>();
    for (TableShape s : shapes) {
      byCollection.put(TableShape.collectionOf(s.schema(), s.table()), s);
    }
    shapesByCollection = Map.copyOf(byCollection);
  }

  @Override
  public List<ChangeEvent> readCurrent(Collection<DocumentKey> keys) throws Exception {
    Objects.requireNonNull(keys, "keys");
    Map<String, List<DocumentKey>> byCollection = new LinkedHashMap<>();
    for (DocumentKey key : keys) {
      byCollection.computeIfAbsent(key.collection(), k -> new ArrayList<>()).add(key);
    }
    List<ChangeEvent> events = new ArrayList<>(keys.size());
    for (Map.Entry<String, List<DocumentKey>> e : byCollection.entrySet()) {
      TableShape shape = shapesByCollection.get(e.getKey());
      if (shape == null) {
        throw new IllegalArgumentException(
            "collection '" + e.getKey() + "' is not a table this source replicates");
      }
      events.addAll(read(shape, e.getValue()));
    }
    return events;
  }

  private static String[][] keyPartArrays(List<DocumentKey> keys, int keyColumns) {
    String[][] parts = new String[keyColumns][keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      List<String> p = keyParts(keys.get(i).id(), keyColumns);
      for (int k = 0; k < keyColumns; k++) {
        parts[k][i] = p.get(k);
      }
    }
    return parts;
  }

  /** The keys whose every part casts to its column's type; one small statement per key. */
  private static List<DocumentKey> castableKeys(
      Connection c, SnapshotReader.Columns columns, List<DocumentKey> keys) throws SQLException {
    int keyColumns = columns.keyIndexes().length;
    List<DocumentKey> castable = new ArrayList<>(keys.size());
    try (PreparedStatement ps = c.prepareStatement(RowSql.castKey(columns))) {
      for (DocumentKey key : keys) {
        List<String> p = keyParts(key.id(), keyColumns);
        for (int k = 0; k < keyColumns; k++) {
          ps.setString(k + 1, p.get(k));
        }
        try (ResultSet rs = ps.executeQuery()) {
          castable.add(key);
        } catch (SQLException e) {
          c.rollback();
          if (!SnapshotReader.isDataException(e)) {
            throw e;
          }
        }
      }
    }
    c.rollback();
    return castable;
  }

  /**
   * The current row of one key as the stream would have made it — exactly {@code columns}, the
   * columns of the stream's relation, in its order — read in a snapshot that sees the transaction
   * {@code xid32} (whose update left an out-of-line value out): empty when the row no longer
   * exists.
   *
   * @throws UnreadableChange if a value does not decode
   * @throws RetriableException if the transaction does not become visible in time, or the server is
   *     unreachable
   */
  synchronized Optional<Document> readRowSeeing(
      TableShape shape, List<RowDocument.Column> columns, DocumentKey key, long xid32)
      throws Exception {
    try {
      Connection c = reader.connection();
      Map<String, SnapshotReader.ColumnInfo> byName = new HashMap<>();
      for (SnapshotReader.ColumnInfo ci : reader.columns(shape).columns()) {
        byName.put(ci.name(), ci);
      }
      List<SnapshotReader.ColumnInfo> wanted = new ArrayList<>(columns.size());
      for (RowDocument.Column col : columns) {
        SnapshotReader.ColumnInfo ci = byName.get(col.name());
        if (ci == null) {
          throw new UnreadableChange(
              "unreadable:column-gone",
              "column "
                  + col.name()
                  + " of "
                  + shape.qualifiedName()
                  + " was dropped before its"
                  + " out-of-line value could be re-read",
              Map.of(),
              null);
        }
        wanted.add(
            new SnapshotReader.ColumnInfo(col.name(), col.typeOid(), col.typmod(), ci.sqlType()));
      }
      SnapshotReader.Columns read = new SnapshotReader.Columns(shape, wanted);
      String sql = RowSql.byKeys(shape, read);
      long deadline = System.nanoTime() + VISIBILITY_BUDGET_NANOS;
      for (int attempt = 1; ; attempt++) {
        TxSnapshot snapshot = reader.begin();
        if (!snapshot.sawCommitted(xid32)) {
          c.rollback();
          rereads.incrementAndGet();
          pause(attempt, deadline, shape, "transaction " + xid32);
          continue;
        }
        Map<String, Document> found;
        try {
          found = select(c, shape, sql, read, List.of(key));
          c.commit();
        } catch (SQLException | RuntimeException e) {
          reader.rollbackQuietly();
          throw e;
        }
        return Optional.ofNullable(found.get(key.id()));
      }
    } catch (SQLException e) {
      throw failed(shape, e);
    }
  }

  private synchronized List<ChangeEvent> read(TableShape shape, List<DocumentKey> keys)
      throws Exception {
    try {
      Connection c = reader.connection();
      SnapshotReader.Columns columns = reader.columns(shape);
      String sql = RowSql.byKeys(shape, columns);
      Map<DocumentKey, ChangeEvent> events = new LinkedHashMap<>();
      List<DocumentKey> todo = keys;
      boolean castChecked = false;
      long deadline = System.nanoTime() + VISIBILITY_BUDGET_NANOS;
      for (int attempt = 1; !todo.isEmpty(); attempt++) {
        long generation = recent.generation();
        TxSnapshot snapshot = reader.begin();
        RecentCommits.Verdict verdict = recent.check(snapshot, todo, generation);
        String waitingFor = null;
        if (verdict.frontier() < 0) {
          waitingFor = "the stream to start";
        } else if (verdict.retake()) {
          waitingFor = "a newer snapshot";
        } else if (RecentCommits.anyCommitted(c, recent.unseenAtStart(snapshot))) {
          waitingFor = "transactions that were finishing when the source started";
        } else if (verdict.racing().size() == todo.size()) {
          waitingFor = "transactions that changed " + verdict.racing().size() + " keys";
        }
        if (waitingFor != null) {
          c.rollback();
          rereads.addAndGet(todo.size());
          pause(attempt, deadline, shape, waitingFor);
          continue;
        }
        List<DocumentKey> now = new ArrayList<>(todo.size());
        for (DocumentKey k : todo) {
          if (!verdict.racing().contains(k)) {
            now.add(k);
          }
        }
        Map<String, Document> found;
        try {
          found = select(c, shape, sql, columns, now);
          c.commit();
        } catch (SQLException e) {
          reader.rollbackQuietly();
          if (SnapshotReader.isDataException(e)
              && !castChecked
              && !SnapshotReader.isConnectionProblem(e)) {
            // A key id that is not a value of the key's type (say "x" for an int key, a phantom
            // written behind the pipeline's back) cannot exist: it reads as absent, so one
            // impossible key does not stop the repair of the others.
            castChecked = true;
            List<DocumentKey> castable = castableKeys(c, columns, todo);
            Version version = Version.of(verdict.frontier());
            for (DocumentKey k : todo) {
              if (!castable.contains(k)) {
                events.put(k, ChangeEvent.delete(k, version, LsnPosition.ZERO, clock.instant()));
              }
            }
            todo = castable;
            continue;
          }
          throw e;
        } catch (RuntimeException e) {
          reader.rollbackQuietly();
          throw e;
        }
        Version version = Version.of(verdict.frontier());
        for (DocumentKey k : now) {
          Document doc = found.get(k.id());
          events.put(
              k,
              doc == null
                  ? ChangeEvent.delete(k, version, LsnPosition.ZERO, clock.instant())
                  : ChangeEvent.upsert(k, version, LsnPosition.ZERO, doc, clock.instant()));
        }
        todo = List.copyOf(verdict.racing());
        if (!todo.isEmpty()) {
          rereads.addAndGet(todo.size());
          pause(attempt, deadline, shape, "transactions that changed " + todo.size() + " keys");
        }
      }
      List<ChangeEvent> out = new ArrayList<>(keys.size());
      for (DocumentKey k : keys) {
        out.add(Objects.requireNonNull(events.get(k), "event of a key read"));
      }
      return out;
    } catch (SQLException e) {
      throw failed(shape, e);
    }
  }

  private Exception failed(TableShape shape, SQLException e) {
    closeConnection();
    if (SnapshotReader.isConnectionProblem(e)) {
      return new RetriableException(
          "repair read of " + shape.qualifiedName() + " failed: " + e.getMessage(), e);
    }
    return e;
  }

  /**
   * Waits a moment (1 ms growing to 10 ms) before another snapshot, or gives up at the deadline.
   */
  private static void pause(int attempt, long deadline, TableShape shape, String waitingFor)
      throws InterruptedException {
    if (System.nanoTime() > deadline) {
      throw new RetriableException(
          "read of "
              + shape.qualifiedName()
              + " waited "
              + TimeUnit.NANOSECONDS.toSeconds(VISIBILITY_BUDGET_NANOS)
              + " s ("
              + attempt
              + " snapshots) for "
              + waitingFor
              + " to become visible",
          null);
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedException("read of " + shape.qualifiedName());
    }
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(10, attempt)));
  }

  /** The documents of the rows of {@code keys} that exist, by key id. */
  private Map<String, Document> select(
      Connection c,
      TableShape shape,
      String sql,
      SnapshotReader.Columns columns,
      List<DocumentKey> keys)
      throws SQLException {
    Map<String, Document> found = new HashMap<>();
    if (keys.isEmpty()) {
      return found;
    }
    String[][] parts = keyPartArrays(keys, columns.keyIndexes().length);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int k = 0; k < parts.length; k++) {
        ps.setArray(k + 1, c.createArrayOf("text", parts[k]));
      }
      reader.read(
          ps,
          shape,
          columns,
          (keyText, document, failure) -> {
            if (failure != null) {
              throw failure;
            }
            found.put(DocumentKey.composite("x", keyText).id(), Objects.requireNonNull(document));
          });
    }
    return found;
  }

  /** The parts of a key id built by {@link DocumentKey#composite}. */
  static List<String> keyParts(String id, int expected) {
    List<String> parts = DocumentKey.of("key", id).parts(expected);
    if (parts.size() != expected) {
      throw new IllegalArgumentException(
          "key id '" + id + "' has " + parts.size() + " parts, the table's key has " + expected);
    }
    return parts;
  }

  synchronized void closeConnection() {
    reader.close(); // a new one is opened on the next read
  }
}
