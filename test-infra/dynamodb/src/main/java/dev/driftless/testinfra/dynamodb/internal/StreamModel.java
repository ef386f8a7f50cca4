package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * The stream side of every write: which shard a change goes to, the record it becomes, and the
 * shard lifecycle (enable, disable, rollover, split, retention trimming). Guarded by the emulator
 * lock; time comes in as an argument.
 */
final class StreamModel {
  private static final DateTimeFormatter LABEL =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private final Settings settings;
  private final StreamBehaviour behaviour;
  private final SequenceNumbers sequences;
  private final Random random;

  /** Every stream ever created, in creation order (removed ones flagged). */
  final List<Stream> streams = new ArrayList<>();

  /** The order of records of one multi-item write: request order, reversed, or shuffled. */
  String multiItemOrder = "REQUEST";

  StreamModel(Settings settings, StreamBehaviour behaviour) {
    this.settings = settings;
    this.behaviour = behaviour;
    this.sequences = new SequenceNumbers(settings.seed());
    this.random = new Random(settings.seed() ^ 0x5DEECE66DL);
  }

  Random random() {
    return random;
  }

  Stream enable(Table t, String viewType, Instant now) {
    Instant created = now;
    if (t.latestStream != null && !created.isAfter(t.latestStream.createdAt)) {
      created = t.latestStream.createdAt.plusMillis(1);
    }
    while (stream(t.arn + "/stream/" + LABEL.format(created)) != null) {
      created = created.plusMillis(1); // a table re-created within the same millisecond
    }
    String label = LABEL.format(created);
    String arn = t.arn + "/stream/" + label;
    Stream s = new Stream(arn, label, t.name, viewType, t.keySchema.deepCopy(), created);
    for (Table.Partition p : t.partitions) {
      s.add(newShard(null, p.id(), now));
    }
    streams.add(s);
    t.stream = s;
    t.latestStream = s;
    return s;
  }

  void disable(Table t, Instant now) {
    Stream s = t.stream;
    if (s == null) {
      return;
    }
    for (Shard open : new ArrayList<>(s.openByPartition.values())) {
      close(open, now);
    }
    s.openByPartition.clear();
    s.status = "DISABLED";
    s.disabledAt = now;
    t.stream = null;
  }

  private Shard newShard(@Nullable String parent, int partition, Instant now) {
    String id =
        String.format(
            "shardId-%020d-%s", now.toEpochMilli(), HexFormat.of().toHexDigits(random.nextInt()));
    return new Shard(id, parent, partition, now, sequences.nextShardStart());
  }

  private static void close(Shard s, Instant now) {
    s.end = s.size() == 0 ? s.start : s.record(s.size() - 1).sequenceNumber();
    s.closedAt = now;
  }

  /** A child made by rollover or split, with the listing faults switched on. */
  private Shard child(Shard parent, int partition, Instant now) {
    Shard c = newShard(parent.id, partition, now);
    c.hiddenForDescribeCalls = behaviour.childListedLateCalls;
    parent.listedOpenForDescribeCalls = behaviour.parentListedOpenCalls;
    return c;
  }

  /** Closes a partition's open shard and opens one child for the same partition. */
  @Nullable Shard rollover(Table t, int partition, Instant now) {
    Stream s = t.stream;
    if (s == null) {
      return null;
    }
    Shard open = s.openByPartition.get(partition);
    if (open == null) {
      throw new IllegalArgumentException(
          "partition " + partition + " of " + t.name + " has no open shard");
    }
    close(open, now);
    Shard child = child(open, partition, now);
    s.add(child);
    return child;
  }

  /** Splits a partition's hash range in two; its open shard closes and gets two children. */
  List<Shard> split(Table t, int partition, Instant now) {
    Table.Partition p = t.partition(partition);
    if (p == null) {
      throw new IllegalArgumentException("table " + t.name + " has no partition " + partition);
    }
    if (p.hi() - p.lo() < 2) {
      throw new IllegalArgumentException("partition " + partition + " is too small to split");
    }
    long mid = p.lo() + (p.hi() - p.lo()) / 2;
    Table.Partition a = new Table.Partition(t.nextPartitionId++, p.lo(), mid);
    Table.Partition b = new Table.Partition(t.nextPartitionId++, mid, p.hi());
    int at = t.partitions.indexOf(p);
    t.partitions.set(at, a);
    t.partitions.add(at + 1, b);
    Stream s = t.stream;
    if (s == null) {
      return List.of();
    }
    Shard open = s.openByPartition.remove(partition);
    if (open == null) {
      throw new IllegalStateException("partition " + partition + " has no open shard");
    }
    close(open, now);
    Shard ca = child(open, a.id(), now);
    Shard cb = child(open, b.id(), now);
    s.add(ca);
    s.add(cb);
    return List.of(ca, cb);
  }

  /**
   * Appends the record of one item change to its partition's open shard. No record when the stream
   * is off or nothing changed.
   */
  void record(
      Table t,
      Table.ItemKey key,
      @Nullable ObjectNode oldItem,
      @Nullable ObjectNode newItem,
      boolean ttl,
      Instant now) {
    Stream s = t.stream;
    if (s == null || Attributes.itemsEqual(oldItem, newItem)) {
      return;
    }
    ObjectNode any = newItem != null ? newItem : oldItem;
    if (any == null) {
      return;
    }
    Shard shard = s.openByPartition.get(t.partitionOf(key.hash()).id());
    if (shard == null) {
      throw new IllegalStateException("no open shard for key " + key);
    }
    BigInteger seq = sequences.next();
    String eventName = oldItem == null ? "INSERT" : newItem == null ? "REMOVE" : "MODIFY";
    ObjectNode keys = t.keyAttributes(any);
    ObjectNode json = Json.object();
    json.put(
        "eventID",
        HexFormat.of().toHexDigits(random.nextLong())
            + HexFormat.of().toHexDigits(random.nextLong()));
    json.put("eventName", eventName);
    json.put("eventVersion", "1.1");
    json.put("eventSource", "aws:dynamodb");
    json.put("awsRegion", settings.region());
    ObjectNode d = json.putObject("dynamodb");
    d.put("ApproximateCreationDateTime", now.getEpochSecond());
    d.set("Keys", keys);
    long size = Attributes.itemSize(keys);
    boolean wantsNew = s.viewType.equals("NEW_IMAGE") || s.viewType.equals("NEW_AND_OLD_IMAGES");
    boolean wantsOld = s.viewType.equals("OLD_IMAGE") || s.viewType.equals("NEW_AND_OLD_IMAGES");
    if (wantsNew && newItem != null) {
      d.set("NewImage", newItem);
      size += Attributes.itemSize(newItem);
    }
    if (wantsOld && oldItem != null) {
      d.set("OldImage", oldItem);
      size += Attributes.itemSize(oldItem);
    }
    d.put("SequenceNumber", seq.toString());
    d.put("SizeBytes", Math.max(1, size));
    d.put("StreamViewType", s.viewType);
    if (ttl) {
      ObjectNode who = json.putObject("userIdentity");
      who.put("PrincipalId", "dynamodb.amazonaws.com");
      who.put("Type", "Service");
    }
    shard.records.add(new StreamRecord(seq, now, eventName, Math.max(1, size), json));
  }

  /** Rolls over every open shard older than the rollover interval. */
  void rollDue(Iterable<Table> tables, Instant now) {
    if (settings.rolloverInterval() == null) {
      return;
    }
    for (Table t : tables) {
      Stream s = t.stream;
      if (s == null) {
        continue;
      }
      for (Shard open : new ArrayList<>(s.openByPartition.values())) {
        if (!open.createdAt.plus(settings.rolloverInterval()).isAfter(now)) {
          rollover(t, open.partition, now);
        }
      }
    }
  }

  /**
   * Drops records older than the retention; a closed shard whose records are all gone (and that
   * closed longer ago than the retention) leaves the listings, and so does a disabled stream once
   * it has no shard left.
   */
  void trim(Instant now) {
    trimBefore(now.minus(settings.retention()));
  }

  void trimBefore(Instant horizon) {
    for (Stream s : streams) {
      if (s.removed) {
        continue;
      }
      boolean anyLeft = false;
      for (Shard sh : s.shards) {
        if (sh.removed) {
          continue;
        }
        while (sh.firstUntrimmed < sh.size()
            && sh.record(sh.firstUntrimmed).createdAt().isBefore(horizon)) {
          sh.lastTrimmed = sh.record(sh.firstUntrimmed).sequenceNumber();
          sh.records.set(sh.firstUntrimmed++, null);
        }
        Instant closedAt = sh.closedAt;
        if (closedAt != null && sh.firstUntrimmed == sh.size() && closedAt.isBefore(horizon)) {
          sh.removed = true;
        } else {
          anyLeft = true;
        }
      }
      Instant disabledAt = s.disabledAt;
      if (!anyLeft && disabledAt != null && disabledAt.isBefore(horizon)) {
        s.removed = true;
      }
    }
  }

  @Nullable Stream stream(String arn) {
    for (Stream s : streams) {
      if (s.arn.equals(arn) && !s.removed) {
        return s;
      }
    }
    return null;
  }
}
