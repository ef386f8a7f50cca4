package dev.driftless.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.dynamodb.ShardLeases;
import dev.driftless.dynamodb.StartingPosition;
import dev.driftless.dynamodb.StreamDataLostException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The stream source's side of leases: one lease per shard, keyed {@code <table>/<shardId>} in the
 * scope {@code dynamodb-streams/<pipeline>}, with the shard's checkpoint ({@link Lease#START},
 * {@link Lease#END} or the last settled sequence number), its parent's key, and as state the
 * stream's ARN and what {@link ShardCheckpoint} holds besides the sequence (the derived-version
 * clock, the LATEST cut-off), so that a shard taken over or a child started by another instance
 * goes on with the exact versions.
 *
 * <p>Leases are created by whichever instance lists a shard first, parents before children; a shard
 * whose descendant has a lease is done already (its own lease was deleted after its children
 * finished) and gets none. A finished lease is deleted once all its children's leases are finished.
 * Called on the reader's coordinator thread (and {@link #write} on the commit path); the lineage
 * views it gets are snapshots taken under the reader's lock.
 */
final class ShardLeasing {
  private static final Logger LOG = LoggerFactory.getLogger(ShardLeasing.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What {@link #sync} and {@link #cleanUp} need of a table's lineage, copied under the lock. */
  record LineageView(
      String table,
      String streamArn,
      List<String> ids,
      Map<String, String> parents,
      Map<String, List<String>> children,
      Map<String, Boolean> closed) {

    List<String> childrenOf(String id) {
      return children.getOrDefault(id, List.of());
    }

    static LineageView of(TableStream t) {
      Map<String, String> parents = new HashMap<>();
      Map<String, List<String>> children = new HashMap<>();
      Map<String, Boolean> closed = new HashMap<>();
      List<String> ids = new ArrayList<>(t.lineage.ids());
      for (String id : ids) {
        String p = t.lineage.parentOf(id);
        if (p != null) {
          parents.put(id, p);
          children.computeIfAbsent(p, k -> new ArrayList<>()).add(id);
        }
        closed.put(id, t.lineage.isClosed(id));
      }
      return new LineageView(t.name, t.streamArn, ids, parents, children, closed);
    }
  }

  /** A checkpoint to write into a held lease. */
  record Pending(String table, String shard, long generation, ShardCheckpoint checkpoint) {}

  private final StartingPosition startingPosition;
  private final LeaseCoordinator coordinator;

  /** What {@link #doneShards} last answered from, per table (its caller's thread only). */
  private final Map<String, Map<String, Lease>> lastDoneListing = new HashMap<>();

  private final Map<String, Integer> lastDoneLineageSize = new HashMap<>();

  ShardLeasing(
      ShardLeases settings,
      StartingPosition startingPosition,
      DynamoDbClient dynamoDb,
      String pipeline,
      Runnable onChange) {
    this.startingPosition = startingPosition;
    this.coordinator =
        new LeaseCoordinator(
            new LeaseTable(dynamoDb, settings.table(), "dynamodb-streams/" + pipeline),
            new LeaseCoordinator.Timing(
                settings.workerId(),
                settings.leaseDuration(),
                settings.renewInterval(),
                settings.takeInterval()),
            System::nanoTime,
            onChange);
  }

  static String key(String table, String shard) {
    return table + "/" + shard;
  }

  /** Creates the lease table if missing and reads the leases. */
  void open() throws InterruptedException {
    coordinator.table().ensureExists(Duration.ofMinutes(5));
    coordinator.takeRound();
  }

  void startRounds(String threadName) {
    coordinator.start(threadName);
  }

  /**
   * Fails if a lease of {@code table} follows another stream than the table's.
   *
   * @throws StreamDataLostException if the stream was disabled and enabled again
   */
  void checkStream(String table, String streamArn) {
    for (Lease l : coordinator.listing().values()) {
      if (!l.key().startsWith(table + "/")) {
        continue;
      }
      String arn = stateOf(l).path("stream").asText(streamArn);
      if (!arn.equals(streamArn)) {
        throw new StreamDataLostException(
            table,
            "the leases follow stream "
                + arn
                + " but the table's stream is now "
                + streamArn
                + " (disabled and enabled again): changes in between were never recorded");
      }
    }
  }

  /** Creates the leases of listed shards that have none (parents first). */
  void sync(LineageView view, long nowSecond) {
    Map<String, Lease> leases = coordinator.listing();
    boolean first = true;
    for (String k : leases.keySet()) {
      if (k.startsWith(view.table() + "/")) {
        first = false;
        break;
      }
    }
    List<String> ids = new ArrayList<>(view.ids());
    ids.sort(Comparator.comparingInt(id -> depth(view, id)));
    boolean created = false;
    for (String id : ids) {
      String key = key(view.table(), id);
      if (leases.containsKey(key) || leasedDescendant(view, id, leases)) {
        continue;
      }
      String parent = view.parents().get(id);
      boolean parentKnown = parent != null && view.closed().containsKey(parent);
      String checkpoint = Lease.START;
      long notBefore = 0;
      if (first && startingPosition == StartingPosition.LATEST) {
        if (Boolean.TRUE.equals(view.closed().get(id))) {
          checkpoint = Lease.END;
        } else {
          notBefore = nowSecond;
        }
      }
      boolean trimTolerant =
          first && startingPosition == StartingPosition.TRIM_HORIZON && !parentKnown;
      ObjectNode state = JSON.createObjectNode();
      state.put("stream", view.streamArn());
      if (notBefore > 0) {
        state.put("notBefore", notBefore);
      }
      if (trimTolerant) {
        state.put("trimTolerant", true);
      }
      Set<String> parents = parent == null ? Set.of() : Set.of(key(view.table(), parent));
      created |= coordinator.create(Lease.create(key, checkpoint, parents, state.toString()));
    }
    if (created) {
      coordinator.takeRound();
    }
  }

  private static int depth(LineageView view, String id) {
    int d = 0;
    String p = view.parents().get(id);
    while (p != null && d < 10_000) {
      d++;
      p = view.parents().get(p);
    }
    return d;
  }

  private static boolean leasedDescendant(LineageView view, String id, Map<String, Lease> leases) {
    List<String> todo = new ArrayList<>(view.childrenOf(id));
    while (!todo.isEmpty()) {
      String c = todo.remove(todo.size() - 1);
      if (leases.containsKey(key(view.table(), c))) {
        return true;
      }
      todo.addAll(view.childrenOf(c));
    }
    return false;
  }

  /**
   * Shards of {@code table} that are done as the leases say: a finished lease, or no lease but a
   * descendant with one.
   */
  List<String> doneShards(TableStream table) {
    Map<String, Lease> leases = coordinator.listing();
    if (leases == lastDoneListing.get(table.name)
        && table.lineage.size() == lastDoneLineageSize.getOrDefault(table.name, -1)) {
      return List.of(); // nothing new since the last answer
    }
    lastDoneListing.put(table.name, leases);
    lastDoneLineageSize.put(table.name, table.lineage.size());
    LineageView view = LineageView.of(table);
    List<String> done = new ArrayList<>();
    for (String id : view.ids()) {
      Lease l = leases.get(key(table.name, id));
      if (l != null ? l.finished() : leasedDescendant(view, id, leases)) {
        done.add(id);
      }
    }
    return done;
  }

  /** Deletes finished leases of {@code view}'s table whose children's leases are all finished. */
  void cleanUp(LineageView view) {
    Map<String, Lease> leases = coordinator.listing();
    for (String id : view.ids()) {
      Lease l = leases.get(key(view.table(), id));
      List<String> children = view.childrenOf(id);
      if (l == null || !l.finished() || children.isEmpty()) {
        continue;
      }
      boolean childrenDone = true;
      for (String c : children) {
        Lease cl = leases.get(key(view.table(), c));
        childrenDone &= cl != null && cl.finished();
      }
      if (childrenDone && coordinator.delete(l)) {
        LOG.debug("Deleted lease {}: it and its children are finished", l.key());
      }
    }
  }

  /** The lease of {@code shard} held now, or null. */
  LeaseCoordinator.@Nullable Held held(String table, String shard) {
    return coordinator.held().get(key(table, shard));
  }

  Map<String, LeaseCoordinator.Held> held() {
    return coordinator.held();
  }

  /** What a shard whose lease is {@code lease} resumes from. */
  static ShardCheckpoint checkpointOf(Lease lease) {
    JsonNode state = stateOf(lease);
    Map<String, Integer> counts = new HashMap<>();
    state
        .path("clockCounts")
        .fields()
        .forEachRemaining(c -> counts.put(c.getKey(), c.getValue().asInt()));
    String cp = lease.checkpoint();
    SequenceNumber sequence =
        cp.equals(Lease.START) || cp.equals(Lease.END) ? null : SequenceNumber.of(cp);
    return new ShardCheckpoint(
        sequence,
        lease.finished(),
        state.path("notBefore").asLong(0),
        state.path("clockSecond").asLong(0),
        counts);
  }

  static boolean trimTolerant(Lease lease) {
    return lease.checkpoint().equals(Lease.START)
        && stateOf(lease).path("trimTolerant").asBoolean();
  }

  /**
   * The clock a shard starting at its beginning goes on from: its parent's final clock, as the
   * parent's lease says, or a new clock if the parent's lease is gone.
   */
  VersionClock parentClock(String table, @Nullable String parent) {
    if (parent == null) {
      return VersionClock.start();
    }
    Lease l = coordinator.listing().get(key(table, parent));
    return l == null ? VersionClock.start() : checkpointOf(l).clock();
  }

  /**
   * Writes checkpoints into held leases; returns those written. A lease lost meanwhile is skipped
   * (the coordinator drops it, and the reader stops the shard).
   */
  List<Pending> write(List<Pending> pending) {
    List<Pending> written = new ArrayList<>();
    for (Pending p : pending) {
      String key = key(p.table(), p.shard());
      LeaseCoordinator.Held held = coordinator.held().get(key);
      String stream = held == null ? null : stateOf(held.lease()).path("stream").asText(null);
      if (coordinator.checkpoint(
          key, p.generation(), checkpointText(p.checkpoint()), stateJson(p.checkpoint(), stream))) {
        written.add(p);
      }
    }
    return written;
  }

  /** A checkpoint's {@link Lease#checkpoint()}. */
  static String checkpointText(ShardCheckpoint c) {
    if (c.end()) {
      return Lease.END;
    }
    SequenceNumber s = c.sequence();
    return s == null ? Lease.START : s.text();
  }

  /** A checkpoint's state in a lease: all of it but the sequence and the end. */
  static String stateJson(ShardCheckpoint c, @Nullable String stream) {
    ObjectNode state = JSON.createObjectNode();
    if (stream != null) {
      state.put("stream", stream);
    }
    if (c.notBeforeSecond() > 0) {
      state.put("notBefore", c.notBeforeSecond());
    }
    if (c.clockSecond() > 0) {
      state.put("clockSecond", c.clockSecond());
      ObjectNode counts = state.putObject("clockCounts");
      new TreeMap<>(c.clockCounts()).forEach(counts::put);
    }
    return state.toString();
  }

  private static JsonNode stateOf(Lease lease) {
    String state = lease.state();
    if (state == null) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(state);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable state of lease " + lease.key() + ": " + state, e);
    }
  }

  /** Status values: the worker, the shards held, the lease counters. */
  Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>(coordinator.status());
    m.put("shardsHeld", List.copyOf(new java.util.TreeSet<>(coordinator.held().keySet())));
    return m;
  }

  void close(boolean release) throws InterruptedException {
    coordinator.close(release);
  }
}
