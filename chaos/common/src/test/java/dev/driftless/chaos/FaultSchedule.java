package dev.driftless.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * The faults of one run, drawn from the seed: every kind once (in a random order, at random
 * moments, with random lengths), plus a few more drawn at random, spread over the run's duration.
 * The first fault is always a kill during the backfill; it is not part of this list (it waits for
 * the backfill to run, not for a moment).
 */
final class FaultSchedule {

  enum Kind {
    /** {@code kill -9} of the pipeline's process at a random moment, then a new process. */
    KILL,
    /** {@code kill -9} while the process replays dead letters, then a new process. */
    KILL_DURING_REPLAY,
    /** {@code pg_terminate_backend} of the slot's walsender. */
    TERMINATE_WALSENDER,
    /** PostgreSQL stopped and started again (fast shutdown). */
    RESTART_POSTGRES,
    /** The index node stopped for a while, then started on the same data. */
    STOP_INDEX,
    /** The index proxy answers every request with 429 for a while. */
    INDEX_429_STORM,
    PG_CUT,
    PG_DELAY,
    PG_BLACK_HOLE,
    PG_REFUSE,
    INDEX_CUT,
    INDEX_DELAY,
    INDEX_BLACK_HOLE,
    INDEX_REFUSE;

    boolean timed() {
      return this == STOP_INDEX
          || this == INDEX_429_STORM
          || this == PG_DELAY
          || this == PG_BLACK_HOLE
          || this == PG_REFUSE
          || this == INDEX_DELAY
          || this == INDEX_BLACK_HOLE
          || this == INDEX_REFUSE;
    }
  }

  /** One fault: when (from the start of the schedule), how long, and a delay's amount. */
  record Fault(Kind kind, long atMillis, long lengthMillis, long amountMillis) {
    @Override
    public String toString() {
      StringBuilder s = new StringBuilder(String.format("t+%.1fs %s", atMillis / 1000.0, kind));
      if (kind.timed()) {
        s.append(String.format(" for %.1fs", lengthMillis / 1000.0));
      }
      if (amountMillis > 0) {
        s.append(" of ").append(amountMillis).append("ms");
      }
      return s.toString();
    }
  }

  private final List<Fault> faults;

  private FaultSchedule(List<Fault> faults) {
    this.faults = List.copyOf(faults);
  }

  /**
   * Draws the faults of a run.
   *
   * @param only the kinds to draw from (all, for the suite; fewer to narrow a failure down)
   */
  static FaultSchedule draw(long seed, Duration duration, Duration indexStop, List<Kind> only) {
    Random random = new Random(seed);
    List<Kind> kinds = new ArrayList<>(only);
    if (only.contains(Kind.KILL)) {
      kinds.add(Kind.KILL); // two kills at random moments besides the scripted ones
    }
    Kind[] all = only.toArray(new Kind[0]);
    long extra = all.length == 0 ? 0 : Math.max(3, duration.toSeconds() / 15);
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
      if (kind == Kind.STOP_INDEX) {
        length = indexStop.toMillis();
      } else if (kind.timed()) {
        length = 300 + random.nextInt(2700);
      }
      if (kind == Kind.PG_DELAY || kind == Kind.INDEX_DELAY) {
        amount = 5 + random.nextInt(200);
      }
      out.add(new Fault(kind, at, length, amount));
    }
    return new FaultSchedule(out);
  }

  List<Fault> faults() {
    return faults;
  }

  @Override
  public String toString() {
    return faults.stream().map(Fault::toString).collect(Collectors.joining("; "));
  }
}
