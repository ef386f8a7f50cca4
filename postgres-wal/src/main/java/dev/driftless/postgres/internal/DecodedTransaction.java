package dev.driftless.postgres.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.postgres.LsnPosition;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A transaction as the source decodes it: its commit LSN (its events' version), commit time and
 * xid, the sequence of its next event's position, its last emitted position, and what it changed.
 * Confined to the source's poll thread.
 */
final class DecodedTransaction {
  final long commitLsn;
  final Instant commitTime;
  final long xid;
  long sequence;
  @Nullable LsnPosition last;
  // Keys this transaction changed, and collections it changed as a whole (truncated, or more
  // keys than RecentCommits keeps): the version rule of repair reads and backfill needs them.
  final Set<DocumentKey> touched = new HashSet<>();
  final Set<String> truncated = new HashSet<>();

  DecodedTransaction(long commitLsn, Instant commitTime, long xid) {
    this.commitLsn = commitLsn;
    this.commitTime = commitTime;
    this.xid = xid;
  }

  /** Remembers what an event changed, within {@link RecentCommits#MAX_KEYS_PER_COMMIT} keys. */
  void touch(ChangeEvent event) {
    String collection = event.key().collection();
    if (event instanceof ChangeEvent.Truncate || truncated.contains(collection)) {
      truncated.add(collection);
    } else if (touched.size() < RecentCommits.MAX_KEYS_PER_COMMIT) {
      touched.add(event.key());
    } else {
      truncated.add(collection);
      touched.removeIf(k -> k.collection().equals(collection));
    }
  }
}
