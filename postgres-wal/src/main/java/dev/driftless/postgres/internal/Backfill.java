package dev.driftless.postgres.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.RetriableException;
import dev.driftless.core.Version;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.LsnPosition;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backfill of {@link BackfillSettings}: reads key-ordered chunks on a connection of its own and
 * hands each to the stream as soon as the stream is between two transactions (DESIGN §5). At most
 * one chunk is held; the source reads the next one only when the previous one's rows have mostly
 * left its ready queue, so memory is bounded by about two chunks.
 *
 * <p>Version rule. Each chunk is one {@code REPEATABLE READ READ ONLY} transaction. Its rows carry
 * the stream's frontier {@code D} at the moment the chunk is handed over ({@link RecentCommits}):
 * every commit at or below {@code D} has been decoded, and its events are ahead of the chunk in the
 * stream; every later commit carries a higher version and follows. A row may carry {@code D} only
 * if its snapshot includes every change at or below {@code D} of its key: a key changed by a
 * decoded transaction the snapshot does not see (the commit-visibility race) is dropped from the
 * chunk — that transaction's own events, ahead of the chunk, carry it. So progress does not wait
 * for the stream to catch up with the chunk's snapshot: a backfill under replication lag advances
 * as fast as its chunks settle.
 *
 * <p>Confined to the source's poll thread, except {@link #status}, which any thread may call.
 */
final class Backfill {

  private static final Logger LOG = LoggerFactory.getLogger(Backfill.class);
  private static final Duration LOG_EVERY = Duration.ofSeconds(5);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
  private static final Map<String, String> BACKFILLED = Map.of(ChangeEvent.READ_ORIGIN, "backfill");
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  private static final String DONE = "done";

  /** Where the next chunk starts; persisted. {@code lastKey} null: at the table's start. */
  record Progress(int tableIndex, @Nullable List<String> lastKey, long rowsDone) {}

  /** A row read: its document, or why it could not be made one. */
  private record Row(
      DocumentKey key, @Nullable Document document, @Nullable UnreadableChange failure) {}

  /** Where a row that cannot be made a document goes (the source dead-letters it). */
  @FunctionalInterface
  interface UnreadableRows {
    void unreadable(
        DocumentKey key, Version version, LsnPosition position, UnreadableChange failure);
  }

  /**
   * A chunk read and not yet handed to the stream.
   *
   * @param generation {@link RecentCommits#generation()} read before the snapshot was taken
   */
  private record Held(
      TableShape shape,
      String collection,
      List<Row> rows,
      TxSnapshot snapshot,
      long generation,
      Progress after) {}

  private record Pending(LsnPosition last, Progress progress) {}

  private final BackfillSettings settings;
  private List<TableShape> tables = List.of();
  private @Nullable CheckpointStore store;
  private String progressName = "";
  private Clock clock = Clock.systemUTC();

  private boolean done;

  /** Progress after the last released chunk. */
  private Progress cursor = new Progress(0, null, 0);

  /** Progress after the last chunk read (ahead of {@link #cursor} by the held chunks). */
  private Progress readCursor = new Progress(0, null, 0);

  /** The chunk read and not yet released, if any. */
  private @Nullable Held held;

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final SnapshotReader reader;
  private long nextReadNanos;
  private long nextLogNanos;
  private long startedNanos;
  private long rowsThisRun;

  // --- status, read from any thread ---
  private volatile String state = "not started";
  private volatile String currentTable = "";
  private volatile String currentCollection = "";
  private volatile long rowsDone;
  private volatile long rowsTotal = -1;
  private volatile long rowsDropped;
  private volatile long chunksRead;
  private volatile long chunksReread;
  private volatile double rate;
  private volatile long rowsThisRunStatus;

  /** Run once when the backfill finishes (on the poll thread). */
  private Runnable onDone = () -> {};

  private Consumer<PipelineListener.BackfillProgress> onProgress = p -> {};
  private long nextProgressNanos;

  private UnreadableRows unreadableRows =
      (key, version, position, failure) -> {
        throw failure;
      };
  private final RecentCommits recent;

  Backfill(
      BackfillSettings settings,
      Callable<Connection> connector,
      ColumnValueDecoder values,
      RecentCommits recent) {
    this.settings = settings;
    this.reader = new SnapshotReader(connector, "the backfill", values);
    this.recent = recent;
  }

  /** Where rows that cannot be made documents go. */
  void onUnreadable(UnreadableRows rows) {
    this.unreadableRows = rows;
  }

  /** Whether this backfill is done (read, written and committed), as last seen by any thread. */
  boolean finished() {
    return DONE.equals(state);
  }

  /** Where progress goes (at most once a second, and once at the end). */
  void onProgress(Consumer<PipelineListener.BackfillProgress> listener) {
    this.onProgress = listener;
  }

  private void reportProgress(boolean finished) {
    try {
      onProgress.accept(
          new PipelineListener.BackfillProgress(currentCollection, rowsDone, rowsTotal, finished));
    } catch (RuntimeException e) {
      LOG.warn("backfill progress listener failed", e);
    }
  }

  /** Runs {@code listener} once when this backfill finishes. */
  void onDone(Runnable listener) {
    this.onDone = listener;
  }

  /**
   * Checks the tables against the replicated ones ({@code shapes}, by qualified name) and resolves
   * them. Called before the source creates anything, so that a wrong table fails the start first.
   *
   * @throws ConfigurationException naming a table the source does not replicate
   */
  void resolve(Map<String, TableShape> shapes) {
    List<TableShape> resolved = new ArrayList<>();
    if (settings.tables().isEmpty()) {
      this.tables = List.copyOf(shapes.values()); // every replicated table
      return;
    }
    for (String t : settings.tables()) {
      TableShape shape = shapes.get(t);
      if (shape == null) {
        throw new ConfigurationException(
            "backfill table "
                + t
                + " is not one the source replicates (tables/publication): replicated are "
                + shapes.keySet());
      }
      resolved.add(shape);
    }
    this.tables = List.copyOf(resolved);
  }

  /**
   * Saves "nothing done yet" under {@code progressName}, durably: the source does this before it
   * creates a replication slot, so that a crash at any point after finds no progress (or "done")
   * that belonged to an earlier slot.
   */
  void reset(CheckpointStore store, String progressName) throws Exception {
    store.save(progressName, format(new Progress(0, null, 0)));
  }

  /**
   * Loads persisted progress ({@link #resolve} first). With {@code startOver} the progress is reset
   * first.
   */
  void start(CheckpointStore store, String progressName, Clock clock, boolean startOver)
      throws Exception {
    this.store = store;
    this.progressName = progressName;
    this.clock = clock;
    if (startOver) {
      // Durable at once: a crash before the first chunk settles must not find an old "done".
      reset(store, progressName);
    }
    Optional<String> saved = store.load(progressName);
    if (saved.isPresent() && saved.get().equals(DONE)) {
      done = true;
      state = "done";
      LOG.info("backfill {} already done; not run again", progressName);
      return;
    }
    cursor = saved.map(this::parse).orElse(new Progress(0, null, 0));
    readCursor = cursor;
    rowsDone = cursor.rowsDone();
    state = "running";
    startedNanos = System.nanoTime();
    nextLogNanos = startedNanos + LOG_EVERY.toNanos();
    LOG.info(
        "backfill {} {} at table {}{}",
        progressName,
        saved.isPresent() ? "resumes" : "starts",
        tables.get(Math.min(cursor.tableIndex(), tables.size() - 1)).qualifiedName(),
        cursor.lastKey() == null ? "" : " after key " + cursor.lastKey());
  }

  boolean active() {
    return !done && store != null;
  }

  /** The rows of a chunk. */
  int chunkRows() {
    return settings.chunkRows();
  }

  /** Whether a chunk is read and waits to be handed to the stream. */
  boolean hasHeld() {
    return held != null;
  }

  /**
   * Reads the next chunk if none is held and the throttle allows. Failures are logged and retried
   * later: the stream goes on meanwhile.
   */
  void maybeRead() {
    if (!active() || held != null || System.nanoTime() < nextReadNanos) {
      return;
    }
    if (readCursor.tableIndex() >= tables.size()) {
      finishWhenSettled();
      return;
    }
    long begin = System.nanoTime();
    try {
      Held h = read(tables.get(readCursor.tableIndex()));
      chunksRead++;
      // Even an empty chunk (a table's end) is held: its progress must follow the chunks before.
      held = h;
      readCursor = h.after();
      if (settings.rowsPerSecond() > 0) {
        nextReadNanos =
            begin
                + TimeUnit.SECONDS.toNanos(Math.max(1, h.rows().size())) / settings.rowsPerSecond();
      }
    } catch (Exception e) {
      closeConnection();
      nextReadNanos = System.nanoTime() + RETRY_AFTER.toNanos();
      LOG.warn("backfill chunk read failed; retrying: " + e);
    }
  }

  /**
   * Hands the held chunk to the stream, which is between two transactions with {@code lastDecoded}
   * its last position: emits, through {@code emit}, the rows whose keys no decoded transaction the
   * chunk's snapshot missed has changed, with the frontier as their version, at positions after
   * {@code lastDecoded}. A chunk read before transactions it may not see were forgotten is read
   * again instead; before the stream has started, nothing happens.
   */
  void release(Consumer<ChangeEvent> emit, @Nullable LsnPosition lastDecoded) {
    Held h = held;
    if (h == null) {
      return;
    }
    List<DocumentKey> keys = new ArrayList<>(h.rows().size());
    for (Row r : h.rows()) {
      keys.add(r.key());
    }
    RecentCommits.Verdict verdict = recent.check(h.snapshot(), keys, h.generation());
    if (verdict.frontier() < 0
        || (lastDecoded != null
            && Long.compareUnsigned(lastDecoded.commitLsn(), verdict.frontier()) > 0)) {
      // Not started, or the stream emitted part of a transaction it has not finished decoding
      // (a reconnect cut it): the chunk waits, its positions must not fall behind the stream's.
      return;
    }
    held = null;
    if (verdict.retake()) {
      chunksReread++;
      readCursor = cursor;
      return;
    }
    long version = verdict.frontier();
    // Positions continue the stream's (or the previous chunk's) at the same version.
    long seq =
        lastDecoded != null && lastDecoded.commitLsn() == version ? lastDecoded.sequence() + 1 : 0;
    LsnPosition last = null;
    long dropped = 0;
    for (Row r : h.rows()) {
      if (verdict.racing().contains(r.key())) {
        dropped++;
        continue;
      }
      LsnPosition pos = new LsnPosition(version, seq++);
      Document doc = r.document();
      UnreadableChange failure = r.failure();
      if (doc != null) {
        last = pos;
        emit.accept(
            ChangeEvent.upsert(
                r.key(), Version.of(version), pos, doc, clock.instant(), BACKFILLED));
      } else if (failure != null) {
        // Stored before any later event is returned, like the stream's unreadable changes.
        unreadableRows.unreadable(r.key(), Version.of(version), pos, failure);
      }
    }
    rowsDropped += dropped;
    advance(last, h.after());
  }

  /** The pipeline settled everything at or before {@code position}. */
  void committed(LsnPosition position) throws Exception {
    Progress settled = null;
    while (!pending.isEmpty() && pending.peek().last().compareTo(position) <= 0) {
      settled = pending.poll().progress();
    }
    if (settled != null) {
      save(settled);
    }
    if (pending.isEmpty() && held == null && cursor.tableIndex() >= tables.size()) {
      finishWhenSettled();
    }
  }

  private void advance(@Nullable LsnPosition last, Progress after) {
    long n = after.rowsDone() - cursor.rowsDone();
    cursor = after;
    rowsDone = after.rowsDone();
    rowsThisRun += n;
    rowsThisRunStatus = rowsThisRun;
    if (after.tableIndex() < tables.size()) {
      TableShape next = tables.get(after.tableIndex());
      currentTable = next.qualifiedName();
      currentCollection = TableShape.collectionOf(next.schema(), next.table());
    }
    if (last != null) {
      pending.add(new Pending(last, after));
    } else if (!pending.isEmpty()) {
      // Nothing new to settle: the progress becomes durable with the chunk before it.
      pending.add(new Pending(pending.peekLast().last(), after));
    } else {
      try {
        save(after);
      } catch (Exception e) {
        LOG.warn("could not save backfill progress: " + e);
      }
    }
    long now = System.nanoTime();
    double seconds = Math.max(1e-3, (now - startedNanos) / 1e9);
    rate = rowsThisRun / seconds;
    if (now >= nextProgressNanos) {
      nextProgressNanos = now + PROGRESS_EVERY.toNanos();
      reportProgress(false);
    }
    if (now >= nextLogNanos) {
      nextLogNanos = now + LOG_EVERY.toNanos();
      LOG.info(
          "backfill {}: {} of ~{} rows, {} rows/s, table {}",
          progressName,
          rowsDone,
          rowsTotal,
          Math.round(rate),
          currentTable);
    }
  }

  private void finishWhenSettled() {
    if (done || !pending.isEmpty() || held != null) {
      return;
    }
    try {
      save(null);
      done = true;
      state = "done";
      closeConnection();
      reportProgress(true);
      try {
        onDone.run();
      } catch (RuntimeException e) {
        LOG.warn("backfill-done listener failed", e);
      }
      LOG.info(
          "backfill {} done: {} rows, {} left to the stream (race rule)",
          progressName,
          rowsDone,
          rowsDropped);
    } catch (Exception e) {
      nextReadNanos = System.nanoTime() + RETRY_AFTER.toNanos();
      LOG.warn("could not save backfill progress: " + e);
    }
  }

  private void save(@Nullable Progress p) throws Exception {
    CheckpointStore s = store;
    if (s != null) {
      s.save(progressName, p == null ? DONE : format(p));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reading

  private Held read(TableShape shape) throws Exception {
    SnapshotReader.Columns columns = reader.columns(shape);
    if (rowsTotal < 0) {
      rowsTotal = estimateTotal(reader.connection());
    }
    currentTable = shape.qualifiedName();
    currentCollection = TableShape.collectionOf(shape.schema(), shape.table());
    List<String> after = readCursor.lastKey();
    String sql = RowSql.chunk(shape, columns, after != null, settings.chunkRows());
    String collection = TableShape.collectionOf(shape.schema(), shape.table());
    try {
      long generation = recent.generation();
      TxSnapshot snapshot = reader.begin();
      Connection c = reader.connection();
      if (RecentCommits.anyCommitted(c, recent.unseenAtStart(snapshot))) {
        throw new RetriableException(
            "the chunk's snapshot misses a transaction that was finishing when the source started;"
                + " reading it again",
            null);
      }
      List<Row> rows = new ArrayList<>();
      List<List<String>> lastKey = new ArrayList<>(List.of(after == null ? List.of() : after));
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        if (after != null) {
          for (int k = 0; k < after.size(); k++) {
            ps.setString(k + 1, after.get(k));
          }
        }
        reader.read(
            ps,
            shape,
            columns,
            (keyText, document, failure) -> {
              DocumentKey key =
                  keyText.size() == 1
                      ? DocumentKey.of(collection, keyText.get(0))
                      : DocumentKey.composite(collection, keyText);
              rows.add(new Row(key, document, failure));
              lastKey.set(0, keyText);
            });
      }
      c.commit();
      Progress next =
          rows.size() < settings.chunkRows()
              ? new Progress(readCursor.tableIndex() + 1, null, readCursor.rowsDone() + rows.size())
              : new Progress(
                  readCursor.tableIndex(), lastKey.get(0), readCursor.rowsDone() + rows.size());
      return new Held(shape, collection, List.copyOf(rows), snapshot, generation, next);
    } catch (SQLException | RuntimeException e) {
      reader.rollbackQuietly();
      throw e;
    }
  }

  private long estimateTotal(Connection c) throws SQLException {
    long total = 0;
    for (TableShape shape : tables) {
      long estimate;
      try (PreparedStatement ps =
          c.prepareStatement("SELECT reltuples::bigint FROM pg_class WHERE oid = ?::regclass")) {
        ps.setString(1, shape.sqlName());
        try (ResultSet rs = ps.executeQuery()) {
          estimate = rs.next() ? rs.getLong(1) : -1;
        }
      }
      if (estimate <= 0) {
        // Never analysed (-1) or empty: count; fine for the tables that have no statistics yet.
        estimate =
            Long.parseLong(
                ReplicationSetup.single(c, "SELECT count(*)::text FROM " + shape.sqlName()));
      }
      total += estimate;
    }
    return total;
  }

  void closeConnection() {
    reader.close(); // a new connection is opened for the next chunk
  }

  // ------------------------------------------------------------------------------------------
  // Progress text: "table\t<index>\t<qualified name>\t<rows done>" then one line per key part.

  private String format(Progress p) {
    StringBuilder b = new StringBuilder("table\t").append(p.tableIndex()).append('\t');
    b.append(p.tableIndex() < tables.size() ? tables.get(p.tableIndex()).qualifiedName() : "-");
    b.append('\t').append(p.rowsDone());
    List<String> key = p.lastKey();
    if (key != null) {
      for (String part : key) {
        b.append('\n').append(URLEncoder.encode(part, StandardCharsets.UTF_8));
      }
    }
    return b.toString();
  }

  private Progress parse(String text) {
    String[] lines = text.split("\n", -1);
    String[] head = lines[0].split("\t", -1);
    if (head.length != 4 || !head[0].equals("table")) {
      throw new IllegalStateException(
          "backfill progress '" + progressName + "' is not readable: " + lines[0]);
    }
    int index = Integer.parseInt(head[1]);
    long rows = Long.parseLong(head[3]);
    if (index < tables.size() && !tables.get(index).qualifiedName().equals(head[2])) {
      LOG.warn("backfill tables changed since the progress was saved; starting over");
      return new Progress(0, null, 0);
    }
    if (lines.length == 1) {
      return new Progress(index, null, rows);
    }
    List<String> key = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      key.add(URLDecoder.decode(lines[i], StandardCharsets.UTF_8));
    }
    return new Progress(index, key, rows);
  }

  // ------------------------------------------------------------------------------------------
  // Status

  Map<String, Object> status() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("backfillState", state);
    s.put("backfillTable", currentTable);
    s.put("backfillRowsDone", rowsDone);
    long total = rowsTotal;
    s.put("backfillRowsTotalEstimate", total);
    double r = rate;
    s.put("backfillRowsPerSecond", Math.round(r));
    long remaining = Math.max(0, total - rowsDone);
    s.put(
        "backfillEtaSeconds",
        "done".equals(state) ? 0L : r > 0 && total >= 0 ? Math.round(remaining / r) : -1L);
    s.put("backfillChunks", chunksRead);
    s.put("backfillChunksReread", chunksReread);
    s.put("backfillRowsLeftToStream", rowsDropped);
    s.put("backfillRowsReadThisRun", rowsThisRunStatus);
    return s;
  }
}
