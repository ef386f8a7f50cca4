package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Derived versions survive restarts (I2, I3): a lineage of two shards (a parent and the child it
 * rolled over into) is read, committed up to a random point and restarted from the saved
 * checkpoints, as {@link StreamReader} does; every record read again gets the version it had, and a
 * key's versions strictly increase along the lineage, also for changes within one second.
 */
class DerivedVersionRestartProperties {

  record Change(String key, long second) {}

  @Provide
  Arbitrary<List<Change>> lineage() {
    Arbitrary<Change> change =
        Combinators.combine(Arbitraries.of("a", "b", "c"), Arbitraries.longs().between(0, 3))
            .as(Change::new);
    // Creation seconds mostly grow; the deltas keep several changes of a key in one second.
    return change
        .list()
        .ofMinSize(1)
        .ofMaxSize(40)
        .map(DerivedVersionRestartProperties::withGrowingSeconds);
  }

  private static List<Change> withGrowingSeconds(List<Change> deltas) {
    List<Change> out = new ArrayList<>();
    long second = 1_700_000_000L;
    for (Change d : deltas) {
      second += d.second() == 3 ? -1 : d.second() == 0 ? 0 : d.second() - 1; // sometimes going back
      out.add(new Change(d.key(), second));
    }
    return out;
  }

  /** Reads the records of both shards from their checkpoints; returns versions by record index. */
  private static Map<Integer, Long> read(
      List<Change> changes,
      int split,
      Map<String, ShardCheckpoint> checkpoints,
      SettleTracker tracker,
      List<SettleTracker.Delivery> delivered,
      long[] ordinal) {
    Map<Integer, Long> versions = new HashMap<>();
    VersionClock parentClock = null;
    for (String shard : List.of("parent", "child")) {
      ShardCheckpoint cp = checkpoints.get(shard);
      if (cp != null && cp.end()) {
        parentClock = cp.clock();
        continue;
      }
      VersionClock clock =
          cp != null ? cp.clock() : parentClock != null ? parentClock.copy() : VersionClock.start();
      SequenceNumber after = cp == null ? null : cp.sequence();
      tracker.start(shard, after, clock, 0);
      VersionClock reading = clock.copy();
      int from = shard.equals("parent") ? 0 : split;
      int to = shard.equals("parent") ? split : changes.size();
      for (int i = from; i < to; i++) {
        SequenceNumber seq = SequenceNumber.of(Integer.toString(1000 + i));
        if (after != null && !seq.isAfter(after)) {
          continue;
        }
        Change c = changes.get(i);
        long v = reading.next(c.key(), c.second());
        versions.put(i, v);
        SettleTracker.Delivery d =
            new SettleTracker.Delivery(
                ++ordinal[0],
                shard,
                seq,
                c.key(),
                v / VersionClock.PER_SECOND,
                (int) (v % VersionClock.PER_SECOND),
                false);
        tracker.delivered(d);
        delivered.add(d);
      }
      parentClock = reading;
    }
    return versions;
  }

  @Property(tries = 300)
  void versionsRepeatAfterARestartAndGrowPerKey(
      @ForAll("lineage") List<Change> changes, @ForAll int splitSeed, @ForAll int commitSeed) {
    int split = Math.floorMod(splitSeed, changes.size() + 1);
    // First run: everything read, committed up to a random record.
    SettleTracker first = new SettleTracker();
    List<SettleTracker.Delivery> delivered = new ArrayList<>();
    Map<Integer, Long> original = read(changes, split, Map.of(), first, delivered, new long[] {0});
    int committed = Math.floorMod(commitSeed, delivered.size() + 1);
    Map<String, ShardCheckpoint> saved = new HashMap<>();
    if (committed > 0) {
      first.commit(delivered.get(committed - 1).ordinal());
    }
    // The parent is done when every record of it settled, as the reader decides.
    boolean parentSettled = first.settled("parent");
    saved.put("parent", first.checkpoint("parent", parentSettled && committed >= split));
    if (parentSettled && committed >= split) {
      saved.put("child", first.checkpoint("child", false));
    }

    Map<Integer, Long> again =
        read(changes, split, saved, new SettleTracker(), new ArrayList<>(), new long[] {0});
    for (Map.Entry<Integer, Long> e : again.entrySet()) {
      assertThat(e.getValue())
          .as("record %d read again after a restart at %d", e.getKey(), committed)
          .isEqualTo(original.get(e.getKey()));
    }
    assertThat(again.keySet())
        .as("nothing after the checkpoint is skipped")
        .containsAll(original.keySet().stream().filter(i -> i >= committed).toList());
    Map<String, Long> lastOfKey = new HashMap<>();
    for (int i = 0; i < changes.size(); i++) {
      long v = original.get(i);
      Long before = lastOfKey.put(changes.get(i).key(), v);
      if (before != null) {
        assertThat(v)
            .as("version of change %d of key %s", i, changes.get(i).key())
            .isGreaterThan(before);
      }
    }
  }
}
