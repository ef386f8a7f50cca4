package dev.driftless.postgres.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Version;
import dev.driftless.postgres.LsnPosition;
import dev.driftless.postgres.PostgresSource.TruncateMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns decoded pgoutput messages into events, in commit order: transactions (BEGIN ... COMMIT),
 * relations as announced (per streamed transaction until it commits), large transactions the server
 * streams while in progress (spilled to a file per transaction, released at STREAM COMMIT, dropped
 * at STREAM ABORT, a subtransaction's part dropped at its own abort), truncates per {@link
 * TruncateMode}, and the row changes themselves through the {@link ChangeConverter} (keys,
 * documents, unchanged out-of-line values).
 *
 * <p>Owns the relation history, the spill files, the transaction being decoded or released, the
 * ready queue and the last position emitted. Tells its {@link Listener} where a transaction ends
 * (flush tracking) and where the stream is between transactions (backfill chunks go there), and
 * {@link RecentCommits} what each transaction changed. Needs no server: the catalog and the re-read
 * of out-of-line values come in as interfaces ({@code TransactionAssemblerTest}). Confined to the
 * source's poll thread.
 */
final class TransactionAssembler {

  /** What the assembler tells the source. */
  interface Listener {
    /** The stream is between two transactions: a backfill chunk may be inserted now. */
    void betweenTransactions();

    /** A transaction ended at {@code endLsn}; {@code last} is its last event, or null if none. */
    void transactionEnd(@Nullable LsnPosition last, long endLsn, Instant commitTime);

    /** A change that cannot be read: dead-letter it before any later event is returned. */
    void unreadable(
        DocumentKey key, Version version, LsnPosition position, UnreadableChange failure);
  }

  /** Derives what the source needs of a newly announced relation (its table's key, collection). */
  @FunctionalInterface
  interface RelationCatalog {
    ReplicatedRelation describe(PgOutputMessage.Relation relation, int historyIndex)
        throws Exception;
  }

  private final RelationCatalog catalog;
  private final ColumnValueDecoder values;
  private final RecentCommits recent;
  private final Listener listener;
  private final TruncateMode truncateMode;
  private final Path spillDirectory;
  private final ChangeConverter converter;

  private PgOutputDecoder decoder = new PgOutputDecoder(1);
  // Names the spill files (slot and database), so that leftovers of a killed run are recognised.
  private String spillOwner = "unstarted";
  private final Map<Integer, ReplicatedRelation> relations = new HashMap<>();
  private final Map<Long, Map<Integer, ReplicatedRelation>> streamRelations = new HashMap<>();
  private final List<ReplicatedRelation> relationHistory = new ArrayList<>();
  private final Map<Long, SpillFile> spills = new HashMap<>();
  private long currentStreamXid = -1;
  private @Nullable DecodedTransaction tx;
  private @Nullable Release release;
  private final ArrayDeque<ChangeEvent> ready = new ArrayDeque<>();
  private @Nullable LsnPosition lastDecoded;

  TransactionAssembler(
      RelationCatalog catalog,
      ColumnValueDecoder values,
      ChangeConverter.RowRereader rereader,
      RecentCommits recent,
      TruncateMode truncateMode,
      Path spillDirectory,
      Listener listener) {
    this.catalog = catalog;
    this.values = values;
    this.recent = recent;
    this.truncateMode = truncateMode;
    this.spillDirectory = spillDirectory;
    this.listener = listener;
    this.converter = new ChangeConverter(values, rereader, new ConverterOutput());
  }

  /** Decodes protocol {@code version} from now on; spill files are named after {@code owner}. */
  void start(int protocolVersion, String spillOwner) {
    this.decoder = new PgOutputDecoder(protocolVersion);
    this.spillOwner = spillOwner;
  }

  /** How many rows were re-read to complete an unchanged out-of-line value. */
  long rereads() {
    return converter.rereads();
  }

  /** The next event ready to be returned, or null. */
  @Nullable ChangeEvent poll() {
    return ready.poll();
  }

  int readySize() {
    return ready.size();
  }

  /** The last position emitted (or inserted), or null before any. */
  @Nullable LsnPosition lastDecoded() {
    return lastDecoded;
  }

  /** Whether a committed streamed transaction is being released from its spill file. */
  boolean releasing() {
    return release != null;
  }

  /** Whether a transaction is open: begun and not committed, or being released. */
  boolean inTransaction() {
    return tx != null || release != null;
  }

  /** Whether nothing is open at all: no transaction, no release, no streamed block. */
  boolean betweenTransactions() {
    return tx == null && release == null && currentStreamXid == -1;
  }

  /** Queues an event from outside the stream (a backfill row) at the stream's current end. */
  void insert(ChangeEvent event) {
    ready.add(event);
    lastDecoded = (LsnPosition) event.position();
  }

  /** Records what a decoded transaction changed, for the version rule of reads. */
  private void decodedTx(DecodedTransaction t) {
    recent.decoded(t.xid, t.commitLsn, t.touched, t.truncated);
  }

  private record Release(
      SpillFile spill,
      Iterator<SpillFile.Record> records,
      DecodedTransaction tx,
      long endLsn,
      long xid) {}

  /** Decodes one message of the replication stream and acts on it. */
  void handle(ByteBuffer message) throws Exception {
    boolean streamedChange = decoder.inStreamBlock();
    PgOutputMessage m = decoder.decode(message, null);
    if (m instanceof PgOutputMessage.Begin b) {
      // Commits come in LSN order: a transaction at or past the chunk's LSN means all below it
      // are decoded; the chunk goes first.
      listener.betweenTransactions();
      tx = new DecodedTransaction(b.finalLsn(), b.commitTime(), b.xid());
    } else if (m instanceof PgOutputMessage.Commit c) {
      DecodedTransaction t = tx;
      tx = null;
      if (t != null) {
        decodedTx(t);
      }
      listener.transactionEnd(t == null ? null : t.last, c.endLsn(), c.commitTime());
    } else if (m instanceof PgOutputMessage.Relation r) {
      ReplicatedRelation entry = relationEntry(r.withoutXid());
      if (streamedChange) {
        streamRelations.computeIfAbsent(currentStreamXid, k -> new HashMap<>()).put(r.oid(), entry);
      } else {
        relations.put(r.oid(), entry);
      }
    } else if (m instanceof PgOutputMessage.Type t) {
      values.invalidate(t.oid());
    } else if (m instanceof PgOutputMessage.LogicalMessage lm) {
      // Carries no rows; a non-transactional one (a heartbeat) tells how far the stream is.
      if (!lm.transactional()) {
        listener.betweenTransactions();
      }
    } else if (m instanceof PgOutputMessage.Origin) {
      // Nothing to index: origins name where a change came from, messages carry no rows.
    } else if (m instanceof PgOutputMessage.StreamStart st) {
      currentStreamXid = st.xid();
      if (!spills.containsKey(st.xid())) {
        spills.put(st.xid(), new SpillFile(spillDirectory, spillOwner, st.xid()));
      }
    } else if (m instanceof PgOutputMessage.StreamStop) {
      SpillFile f = spills.get(currentStreamXid);
      if (f != null) {
        f.flush();
      }
      currentStreamXid = -1;
    } else if (m instanceof PgOutputMessage.StreamCommit sc) {
      SpillFile f = spills.remove(sc.xid());
      listener.betweenTransactions();
      DecodedTransaction t = new DecodedTransaction(sc.commitLsn(), sc.commitTime(), sc.xid());
      // The server counts relations announced in a committed streamed transaction as announced
      // for the whole session, and does not repeat them for later transactions.
      Map<Integer, ReplicatedRelation> announced = streamRelations.get(sc.xid());
      if (announced != null) {
        relations.putAll(announced);
      }
      if (f == null) {
        streamRelations.remove(sc.xid());
        recent.decoded(sc.xid(), sc.commitLsn(), Set.of(), Set.of());
        listener.transactionEnd(null, sc.endLsn(), sc.commitTime());
      } else {
        release = new Release(f, f.read(), t, sc.endLsn(), sc.xid());
      }
    } else if (m instanceof PgOutputMessage.StreamAbort sa) {
      if (sa.xid() == sa.subXid()) {
        SpillFile f = spills.remove(sa.xid());
        if (f != null) {
          f.close();
        }
        streamRelations.remove(sa.xid());
      } else {
        SpillFile f = spills.get(sa.xid());
        if (f != null) {
          f.abortSubtransaction(sa.subXid());
        }
      }
    } else if (m instanceof PgOutputMessage.Insert i) {
      change(i, i.relationOid(), i.xid(), streamedChange, message);
    } else if (m instanceof PgOutputMessage.Update u) {
      change(u, u.relationOid(), u.xid(), streamedChange, message);
    } else if (m instanceof PgOutputMessage.Delete d) {
      change(d, d.relationOid(), d.xid(), streamedChange, message);
    } else if (m instanceof PgOutputMessage.Truncate t) {
      if (streamedChange) {
        spill(t.xid(), -1, message);
      } else {
        truncate(t, requireTx(), relations);
      }
    }
  }

  private void change(
      PgOutputMessage m, int relationOid, long xid, boolean streamed, ByteBuffer raw)
      throws Exception {
    if (streamed) {
      ReplicatedRelation entry = lookupRelation(relationOid, currentStreamXid);
      if (entry.shape() != null) {
        spill(xid, entry.historyIndex(), raw);
      }
    } else {
      converter.convert(lookupRelation(relationOid, -1), m, requireTx());
    }
  }

  private void spill(long subXid, int relationIndex, ByteBuffer raw) throws IOException {
    SpillFile f = spills.get(currentStreamXid);
    if (f == null) {
      throw new DriftlessException(
          "streamed change for transaction " + currentStreamXid + " outside a STREAM START");
    }
    f.append(subXid, relationIndex, raw);
  }

  private DecodedTransaction requireTx() {
    DecodedTransaction t = tx;
    if (t == null) {
      throw new DriftlessException("change received outside a transaction (protocol error)");
    }
    return t;
  }

  private ReplicatedRelation lookupRelation(int oid, long streamXid) {
    ReplicatedRelation entry = null;
    if (streamXid != -1) {
      Map<Integer, ReplicatedRelation> own = streamRelations.get(streamXid);
      entry = own == null ? null : own.get(oid);
    }
    if (entry == null) {
      entry = relations.get(oid);
    }
    if (entry == null) {
      throw new DriftlessException("change for relation " + oid + " before its RELATION message");
    }
    return entry;
  }

  private ReplicatedRelation relationEntry(PgOutputMessage.Relation r) throws Exception {
    for (int i = relationHistory.size() - 1; i >= 0; i--) {
      ReplicatedRelation known = relationHistory.get(i);
      if (known.relation().equals(r)) {
        return known;
      }
    }
    ReplicatedRelation entry = catalog.describe(r, relationHistory.size());
    relationHistory.add(entry);
    return entry;
  }

  /**
   * Emits the next changes of the streamed transaction being released (at most about {@code room}
   * events), and ends it once its spill file is read.
   */
  void pumpRelease(int room) throws Exception {
    Release r = Objects.requireNonNull(release);
    int produced = 0;
    // Each record makes at most two events; stop once the caller's room is used.
    while (produced < Math.max(1, room) && r.records().hasNext()) {
      SpillFile.Record rec = r.records().next();
      int before = ready.size();
      PgOutputMessage m = decoder.decode(rec.message(), true);
      if (m instanceof PgOutputMessage.Truncate t) {
        Map<Integer, ReplicatedRelation> view = new HashMap<>(relations);
        Map<Integer, ReplicatedRelation> own = streamRelations.get(r.xid());
        if (own != null) {
          view.putAll(own);
        }
        truncate(t, r.tx(), view);
      } else {
        converter.convert(relationHistory.get(rec.relationIndex()), m, r.tx());
      }
      produced += ready.size() - before;
    }
    if (!r.records().hasNext()) {
      release = null;
      r.spill().close();
      streamRelations.remove(r.xid());
      decodedTx(r.tx());
      listener.transactionEnd(r.tx().last, r.endLsn(), r.tx().commitTime);
    }
  }

  private void truncate(
      PgOutputMessage.Truncate t,
      DecodedTransaction current,
      Map<Integer, ReplicatedRelation> view) {
    for (int oid : t.relationOids()) {
      ReplicatedRelation entry = view.get(oid);
      if (entry == null || entry.shape() == null) {
        continue;
      }
      switch (truncateMode) {
        case IGNORE -> {}
        case FAIL ->
            throw new DriftlessException(
                "table "
                    + entry.shape().qualifiedName()
                    + " was truncated (commit LSN "
                    + LsnPosition.formatLsn(current.commitLsn)
                    + ") and truncateMode is FAIL: resync collection '"
                    + entry.collection()
                    + "' and restart");
        case REMOVE_DOCUMENTS -> {
          LsnPosition pos = nextPosition(current);
          if (pos != null) {
            emit(
                ChangeEvent.truncate(
                    entry.collection(), Version.of(current.commitLsn), pos, current.commitTime),
                current);
          }
        }
      }
    }
  }

  /** The next position of {@code t}, or null if it was already emitted before a reconnect. */
  private @Nullable LsnPosition nextPosition(DecodedTransaction t) {
    LsnPosition pos = new LsnPosition(t.commitLsn, t.sequence++);
    LsnPosition decoded = lastDecoded;
    return decoded != null && pos.compareTo(decoded) <= 0 ? null : pos;
  }

  private void emit(ChangeEvent event, DecodedTransaction t) {
    LsnPosition pos = (LsnPosition) event.position();
    t.touch(event);
    ready.add(event);
    lastDecoded = pos;
    t.last = pos;
  }

  /** What the change converter needs: positions, the ready queue, dead letters. */
  private final class ConverterOutput implements ChangeConverter.Output {
    @Override
    public @Nullable LsnPosition nextPosition(DecodedTransaction t) {
      return TransactionAssembler.this.nextPosition(t);
    }

    @Override
    public void emit(ChangeEvent event, DecodedTransaction t) {
      TransactionAssembler.this.emit(event, t);
    }

    @Override
    public void unreadable(
        DocumentKey key,
        Version version,
        LsnPosition pos,
        DecodedTransaction t,
        UnreadableChange failure) {
      listener.unreadable(key, version, pos, failure);
      // Settled as dead-lettered: remembered like an emitted change, so that reads wait for its
      // transaction to be visible too.
      t.touch(ChangeEvent.delete(key, version, pos, t.commitTime));
      lastDecoded = pos;
      t.last = pos;
    }
  }

  /**
   * Forgets whatever belongs to transactions not yet complete (after a lost connection); the server
   * sends them again. What a cut transaction touched so far still counts for the race rule.
   */
  void discard() {
    decoder.reset();
    for (SpillFile f : spills.values()) {
      f.close();
    }
    spills.clear();
    streamRelations.clear();
    currentStreamXid = -1;
    DecodedTransaction t = tx;
    tx = null;
    if (t != null) {
      cutTx(t);
    }
    Release r = release;
    release = null;
    if (r != null) {
      cutTx(r.tx());
      r.spill().close();
    }
    relations.clear();
  }

  /**
   * Records what a transaction cut by a lost connection changed so far, without counting it as
   * decoded: it is not, until the server sends it again. (Counting it moved the frontier to its
   * commit LSN; a backfill chunk then took positions at that LSN after the changes emitted before
   * the cut, and the transaction sent again skipped its remaining changes as already emitted: a
   * lost update, found by the combined-fault suite with seed 2167030052.)
   */
  private void cutTx(DecodedTransaction t) {
    recent.cut(t.xid, t.commitLsn, t.touched, t.truncated);
  }
}
