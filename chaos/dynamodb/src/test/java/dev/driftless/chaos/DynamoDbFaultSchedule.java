package dev.driftless.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * The faults of one DynamoDB run, drawn from the seed the way {@link FaultSchedule} draws the
 * PostgreSQL run's: every kind once (two kills at random moments), a few more drawn at random,
 * shuffled and spread over the duration. The kill during the backfill comes first and is not part
 * of this list. Emulator faults are bursts: a number of hits on one operation (or {@code "*"}),
 * each call hit with probability {@link #STORM_PROBABILITY}; all are cleared when the phase ends.
 */
final class DynamoDbFaultSchedule {

  static final double STORM_PROBABILITY = 0.5;

  /**
   * Operations a burst may target: the Streams API, the table API (the backfill's Scan, the
   * workload's writes, replays' BatchGetItem), or every one.
   */
  private static final List<String> OPERATIONS =
      List.of(
          "GetRecords",
          "GetShardIterator",
          "DescribeStream",
          "Scan",
          "PutItem",
          "UpdateItem",
          "BatchGetItem",
          "*");

  enum Kind {
    /** {@code kill -9} of the pipeline's process at a random moment, then a new process. */
    KILL,
    /** {@code kill -9} while the process replays dead letters, then a new process. */
    KILL_DURING_REPLAY,
    /** The index node stopped for a while, then started on the same data. */
    STOP_INDEX,
    /** The index proxy answers every request with 429 for a while. */
    INDEX_429_STORM,
    INDEX_CUT,
    INDEX_DELAY,
    INDEX_BLACK_HOLE,
    INDEX_REFUSE,
    /** A burst of ThrottlingException on one operation. */
    THROTTLING,
    /** A burst of 500 InternalServerError on one operation. */
    SERVER_ERRORS,
    /** A burst of responses cut off after their headers on one operation. */
    CONNECTION_RESETS,
    /** A burst of answers with a wrong x-amz-crc32 (the call was applied) on one operation. */
    CORRUPT_CRC32,
    /** A few GetRecords answered ExpiredIteratorException. */
    EXPIRED_ITERATORS,
    /** Every open shard of the table's stream closed, each with one child. */
    ROLLOVER,
    /** One partition split: its shard closes with two children. */
    SPLIT;

    boolean timed() {
      return this == STOP_INDEX
          || this == INDEX_429_STORM
          || this == INDEX_DELAY
          || this == INDEX_BLACK_HOLE
          || this == INDEX_REFUSE;
    }

    boolean emulator() {
      return this == THROTTLING
          || this == SERVER_ERRORS
          || this == CONNECTION_RESETS
          || this == CORRUPT_CRC32
          || this == EXPIRED_ITERATORS;
    }
  }

  /**
   * One fault: when (from the start of the schedule), how long, a delay's amount or a burst's hits,
   * and the operation a burst targets.
   */
  record Fault(Kind kind, long atMillis, long lengthMillis, long amount, String operation) {
    @Override
    public String toString() {
      StringBuilder s = new StringBuilder(String.format("t+%.1fs %s", atMillis / 1000.0, kind));
      if (kind.timed()) {
        s.append(String.format(" for %.1fs", lengthMillis / 1000.0));
      }
      if (kind == Kind.INDEX_DELAY) {
        s.append(" of ").append(amount).append("ms");
      }
      if (kind.emulator()) {
        s.append(" x").append(amount).append(" on ").append(operation);
      }
      return s.toString();
    }
  }

  private final List<Fault> faults;

  private DynamoDbFaultSchedule(List<Fault> faults) {
    this.faults = List.copyOf(faults);
  }

  static DynamoDbFaultSchedule draw(
      long seed, Duration duration, Duration indexStop, List<Kind> only) {
    Random random = new Random(seed);
    List<Kind> kinds = new ArrayList<>(only);
    if (only.contains(Kind.KILL)) {
      kinds.add(Kind.KILL);
    }
    Kind[] all = only.toArray(new Kind[0]);
    long extra = all.length == 0 ? 0 : Math.max(3, duration.toSeconds() / 10);
    for (int i = 0; i < extra; i++) {
      kinds.add(all[random.nextInt(all.length)]);
    }
    Collections.shuffle(kinds, random);
    long span = duration.toMillis();
    double slot = (double) span / Math.max(1, kinds.size());
    List<Fault> out = new ArrayList<>();
    for (int i = 0; i < kinds.size(); i++) {
      Kind kind = kinds.get(i);
      long at = (long) (slot * (i + random.nextDouble() * 0.8));
      long length = 0;
      long amount = 0;
      String operation = "";
      if (kind == Kind.STOP_INDEX) {
        length = indexStop.toMillis();
      } else if (kind.timed()) {
        length = 300 + random.nextInt(2700);
      }
      if (kind == Kind.INDEX_DELAY) {
        amount = 5 + random.nextInt(200);
      } else if (kind == Kind.EXPIRED_ITERATORS) {
        amount = 1 + random.nextInt(6);
        operation = "GetRecords";
      } else if (kind.emulator()) {
        amount = 5 + random.nextInt(36);
        operation = OPERATIONS.get(random.nextInt(OPERATIONS.size()));
      }
      out.add(new Fault(kind, at, length, amount, operation));
    }
    return new DynamoDbFaultSchedule(out);
  }

  List<Fault> faults() {
    return faults;
  }

  @Override
  public String toString() {
    return faults.stream().map(Fault::toString).collect(Collectors.joining("; "));
  }
}
