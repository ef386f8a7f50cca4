package dev.driftless.postgres.internal;

import dev.driftless.core.DocumentKey;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the stream decoded recently — each transaction's xid, commit LSN and the keys it changed —
 * and how far: the <em>frontier</em>, an LSN such that every commit at or below it was decoded by
 * this source (and recorded here) or precedes the position the source started from. It answers the
 * question every read that labels rows with a version must answer (DESIGN §5): does this snapshot
 * include every change up to that version for these keys?
 *
 * <p>A commit record can be decoded before its transaction is visible to new snapshots (PostgreSQL
 * writes and flushes the commit record, then marks the transaction committed, then makes it
 * visible; a synchronous standby that does not answer keeps it invisible indefinitely). So "read
 * now, label with the newest LSN" is wrong. Instead a read labels its rows with the frontier {@code
 * D}, and a key is only labelled when no transaction recorded here with commit LSN at most {@code
 * D} that changed it is invisible to the read's snapshot; such keys are read again later (the
 * transaction is committed, so it becomes visible). Commits above {@code D} carry higher versions
 * and overwrite what the read wrote, in the stream's order.
 *
 * <p>Transactions that committed before this source started (at or below its start position) were
 * decoded by an earlier run and are not recorded here. One of them can be invisible to a snapshot
 * only if it was still finishing when the source started: {@link #startedWith} keeps the
 * transactions in progress then, and {@link #unseenAtStart} names those a snapshot does not see,
 * for the caller to ask the server whether they have committed.
 *
 * <p>Bounded: a transaction stays recorded until a snapshot sees it ({@link #forgetVisible}; every
 * later snapshot sees it too), which takes milliseconds unless the commit-visibility race holds it
 * back; a transaction that changes more than {@link #MAX_KEYS_PER_COMMIT} keys is recorded by its
 * collections instead. Thread-safe: the poll thread records, any thread checks.
 */
final class RecentCommits {

  /** Past this many keys, a transaction is recorded as changing its collections as a whole. */
  static final int MAX_KEYS_PER_COMMIT = 10_000;

  /**
   * One decoded transaction.
   *
   * @param xid the transaction's 32-bit id, as pgoutput sends it
   * @param commitLsn its commit LSN (its events' version)
   * @param keys the keys it changed
   * @param collections collections it changed as a whole (truncated, or too many keys to keep)
   */
  record Commit(long xid, long commitLsn, Set<DocumentKey> keys, Set<String> collections) {
    boolean touches(DocumentKey key) {
      return collections.contains(key.collection()) || keys.contains(key);
    }
  }

  /**
   * What {@link #check} found.
   *
   * @param frontier the version the read's rows may carry
   * @param racing the keys that must be read again (a transaction that changed them is committed
   *     and at or below the frontier, but the snapshot does not see it yet)
   * @param retake transactions were forgotten since the snapshot was taken, which it may not see:
   *     take a newer one
   */
  record Verdict(long frontier, Set<DocumentKey> racing, boolean retake) {}

  private final ArrayDeque<Commit> commits = new ArrayDeque<>(); // guarded by this
  private long frontier = -1; // guarded by this
  private long generation; // guarded by this: how many times something was forgotten
  private long[] inProgressAtStart = new long[0]; // guarded by this

  /**
   * The source (re)starts following the stream from {@code startLsn} (the slot's confirmed
   * position), and the server's snapshot at that moment is {@code atStart}: every commit below
   * {@code startLsn} was written before then.
   */
  synchronized void startedWith(long startLsn, TxSnapshot atStart) {
    commits.clear();
    frontier = Math.max(frontier, startLsn - 1);
    inProgressAtStart = atStart.inProgress();
  }

  /** A transaction was decoded whole (its commit processed). */
  synchronized void decoded(
      long xid, long commitLsn, Collection<DocumentKey> keys, Collection<String> collections) {
    cut(xid, commitLsn, keys, collections);
    advance(commitLsn);
  }

  /**
   * A transaction was cut by a lost connection after changing {@code keys}: its emitted changes
   * count for the race rule like a decoded transaction's, but the frontier stays where it is,
   * because the transaction is not decoded until the server sends it again (then {@link #decoded}
   * records it whole).
   */
  synchronized void cut(
      long xid, long commitLsn, Collection<DocumentKey> keys, Collection<String> collections) {
    if (!keys.isEmpty() || !collections.isEmpty()) {
      commits.add(new Commit(xid, commitLsn, Set.copyOf(keys), Set.copyOf(collections)));
    }
  }

  /** Every commit below {@code lsn} is decoded (the stream is between transactions at it). */
  synchronized void decodedBelow(long lsn) {
    advance(lsn - 1);
  }

  private void advance(long lsn) {
    if (Long.compareUnsigned(lsn, frontier) > 0 || frontier < 0) {
      frontier = lsn;
    }
  }

  /** The frontier, or -1 before the source started. */
  synchronized long frontier() {
    return frontier;
  }

  /**
   * Forgets what every snapshot from now on sees anyway: the transactions {@code snapshot} (taken
   * just now) sees.
   */
  synchronized void forgetVisible(TxSnapshot snapshot) {
    if (commits.removeIf(c -> snapshot.sawCommitted(c.xid()))) {
      generation++;
    }
    if (inProgressAtStart.length > 0
        && inProgressAtStart[inProgressAtStart.length - 1] < snapshot.xmin()) {
      inProgressAtStart = new long[0];
    }
  }

  /**
   * A number that changes whenever something is forgotten: read it before taking a snapshot, and
   * pass it to {@link #check}.
   */
  synchronized long generation() {
    return generation;
  }

  /** How many transactions are recorded (for status and tests). */
  synchronized int size() {
    return commits.size();
  }

  /**
   * Whether a read in {@code snapshot} may label {@code keys} with the frontier; see {@link
   * Verdict}. {@code generationBeforeSnapshot} is {@link #generation()} read before the snapshot
   * was taken.
   */
  synchronized Verdict check(
      TxSnapshot snapshot, Collection<DocumentKey> keys, long generationBeforeSnapshot) {
    if (generation != generationBeforeSnapshot) {
      // Something it may not see was forgotten; a snapshot taken now sees all of it.
      return new Verdict(frontier, Set.of(), true);
    }
    Set<DocumentKey> racing = new HashSet<>();
    for (Commit c : commits) {
      if (Long.compareUnsigned(c.commitLsn(), frontier) <= 0 && !snapshot.sawCommitted(c.xid())) {
        for (DocumentKey k : keys) {
          if (c.touches(k)) {
            racing.add(k);
          }
        }
      }
    }
    return new Verdict(frontier, racing, false);
  }

  /**
   * The transactions that were in progress when the source started and that {@code snapshot} does
   * not see (64-bit ids): any of them that has committed may have committed below the start
   * position, so a read in this snapshot may miss it.
   */
  synchronized List<Long> unseenAtStart(TxSnapshot snapshot) {
    List<Long> unseen = new ArrayList<>();
    for (long x : inProgressAtStart) {
      if (!snapshot.sees(x)) {
        unseen.add(x);
      }
    }
    return unseen;
  }

  /**
   * Whether the server says one of these (64-bit) transactions committed: asked for the ones {@link
   * #unseenAtStart} names, on any connection (the commit log is not snapshot-bound).
   */
  static boolean anyCommitted(java.sql.Connection c, List<Long> xids) throws java.sql.SQLException {
    if (xids.isEmpty()) {
      return false;
    }
    try (java.sql.PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FROM unnest(?::text[]) x WHERE pg_xact_status(x::xid8) = 'committed'")) {
      String[] texts = new String[xids.size()];
      for (int i = 0; i < texts.length; i++) {
        texts[i] = Long.toString(xids.get(i));
      }
      ps.setArray(1, c.createArrayOf("text", texts));
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }

  @Override
  public synchronized String toString() {
    return "RecentCommits[frontier="
        + frontier
        + ", commits="
        + commits.size()
        + ", inProgressAtStart="
        + Arrays.toString(inProgressAtStart)
        + "]";
  }
}
