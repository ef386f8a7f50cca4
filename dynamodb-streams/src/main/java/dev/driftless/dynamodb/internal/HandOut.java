package dev.driftless.dynamodb.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.Version;
import dev.driftless.core.spi.SourceContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands buffered records out to the pipeline: each becomes an event (with its metadata) or, when
 * unreadable, a dead letter, gets the next position ordinal, and is registered with the {@link
 * SettleTracker} in hand-out order. Shards take turns (a rotating start), so a busy shard cannot
 * starve the others. Called under the {@link StreamReader}'s lock, which guards its state.
 */
final class HandOut {
  private final SettleTracker tracker;
  private final AtomicLong ttlDeletes;
  private final SourceContext context;
  private long ordinal;
  private int rotation;

  HandOut(SettleTracker tracker, AtomicLong ttlDeletes, SourceContext context) {
    this.tracker = tracker;
    this.ttlDeletes = ttlDeletes;
    this.context = context;
  }

  /** The position ordinal of the next event handed out (a backfill's, between the stream's). */
  long nextOrdinal() {
    return ++ordinal;
  }

  /** The ordinal of the last event handed out, 0 before the first. */
  long lastOrdinal() {
    return ordinal;
  }

  /**
   * Takes up to {@code max} events (and any unreadable records met on the way, as dead letters)
   * from the shards' buffers, shards in turn, records of a shard in order; returns how many records
   * left the buffers.
   */
  int take(List<TableStream> tables, int max, List<ChangeEvent> events, List<DeadLetter> letters) {
    List<ShardState> ready = new ArrayList<>();
    for (TableStream table : tables) {
      for (ShardState s : table.reading.values()) {
        if (!s.buffer.isEmpty()) {
          ready.add(s);
        }
      }
    }
    if (ready.isEmpty()) {
      return 0;
    }
    int removed = 0;
    int start = Math.floorMod(rotation++, ready.size());
    int taken = 0;
    boolean progress = true;
    while (taken < max && progress) {
      progress = false;
      for (int i = 0; i < ready.size() && taken < max; i++) {
        ShardState s = ready.get((start + i) % ready.size());
        Fetched f = s.buffer.pollFirst();
        if (f == null) {
          continue;
        }
        progress = true;
        removed++;
        long n = ++ordinal;
        StreamPosition position = new StreamPosition(n, s.table.name, s.id, f.sequence().text());
        tracker.delivered(
            new SettleTracker.Delivery(
                n, s.id, f.sequence(), f.keyId(), f.clockSecond(), f.clockCount(), f.unreadable()));
        if (f.unreadable()) {
          letters.add(letterOf(f, position));
          continue;
        }
        taken++;
        Document doc = f.document();
        events.add(
            doc == null
                ? ChangeEvent.delete(
                    f.key(), Version.of(f.version()), position, f.committedAt(), f.metadata())
                : ChangeEvent.upsert(
                    f.key(),
                    Version.of(f.version()),
                    position,
                    doc,
                    f.committedAt(),
                    f.metadata()));
        if (f.ttlExpiry()) {
          ttlDeletes.incrementAndGet();
        }
      }
    }
    return removed;
  }

  private DeadLetter letterOf(Fetched f, StreamPosition position) {
    Instant now = context.clock().instant();
    return new DeadLetter(
        "ddb:" + position.table() + ":" + position.shard() + ":" + position.sequence(),
        f.key(),
        Version.of(f.version()),
        position.asString(),
        "upsert",
        null,
        String.valueOf(f.errorType()),
        "unreadable DynamoDB stream record: " + f.error(),
        1,
        now,
        now);
  }
}
