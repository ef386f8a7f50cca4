package dev.driftless.core;

import dev.driftless.core.internal.Failures;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two sides of a {@link Reconciler} run, the database's and the index's {@link
 * FingerprintReader}, as the run asks them: every call retried on an outage with the run's {@link
 * OutagePolicy} (other failures end the run, see {@link Failures}), answers counted, and two
 * listings turned into differences. Stateless between calls; one run's thread.
 */
final class FingerprintSides {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  /** How a key differs. */
  enum Difference {
    MISSING,
    STALE,
    PHANTOM
  }

  /** What a side answers about some keys: a listing or point reads. */
  @FunctionalInterface
  interface KeyQuery {
    List<KeyFingerprint> ask(FingerprintReader reader, String collection) throws Exception;
  }

  private final FingerprintReader source;
  private final String sourceCollection;
  private final FingerprintReader index;
  private final String indexCollection;
  private final OutagePolicy policy;

  FingerprintSides(
      FingerprintReader source,
      String sourceCollection,
      FingerprintReader index,
      String indexCollection,
      OutagePolicy policy) {
    this.source = source;
    this.sourceCollection = sourceCollection;
    this.index = index;
    this.indexCollection = indexCollection;
    this.policy = policy;
  }

  /** Bytes the two readers reported moving, or -1 when one does not count. */
  long bytesRead() {
    long a = source.bytesRead();
    long b = index.bytesRead();
    return a < 0 || b < 0 ? -1 : a + b;
  }

  /** The non-empty summaries of {@code ranges}, each split {@code splits} ways, on one side. */
  Map<BucketRange, BucketSummary> summaries(
      boolean sourceSide, List<BucketRange> ranges, int splits, RunCounters c)
      throws InterruptedException {
    FingerprintReader reader = sourceSide ? source : index;
    String collection = sourceSide ? sourceCollection : indexCollection;
    c.summaryRequests++;
    List<BucketSummary> list =
        call(
            "summarising " + ranges.size() + " bucket ranges of " + collection,
            () -> reader.summarize(collection, ranges, splits));
    Map<BucketRange, BucketSummary> byRange = new HashMap<>();
    for (BucketSummary s : list) {
      if (s.count() > 0) {
        byRange.put(s.range(), s);
      }
    }
    return byRange;
  }

  static boolean same(@Nullable BucketSummary a, @Nullable BucketSummary b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.count() == b.count()
        && a.sumLow() == b.sumLow()
        && a.sumMid() == b.sumMid()
        && a.sumHigh() == b.sumHigh();
  }

  /** Asks both sides the same, counts what they read, and classifies the differences. */
  Map<String, Difference> compare(String doing, KeyQuery query, RunCounters c)
      throws InterruptedException {
    Map<String, Long> s =
        byId(call(doing + sourceCollection, () -> query.ask(source, sourceCollection)));
    Map<String, Long> i =
        byId(call(doing + indexCollection, () -> query.ask(index, indexCollection)));
    c.sourceListed += s.size();
    c.indexListed += i.size();
    return classify(s, i);
  }

  /**
   * A reader call, retried on {@link RetriableException} (a restarting node, a dropped connection)
   * with the run's outage policy; any other failure ends the run.
   */
  <T> T call(String what, OutagePolicy.Call<T> call) throws InterruptedException {
    try {
      return policy.call(
          "reader outage",
          () -> false,
          (attempt, cause, delay) ->
              LOG.warn(
                  "{} failed (attempt {}), retrying in {} ms: {}",
                  what,
                  attempt,
                  delay.toMillis(),
                  cause.toString()),
          call);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      if (Failures.classify(e, false) == Failures.Failure.STOPPING) {
        // Interrupted (the schedule was closed), whatever the reader's client made of it.
        InterruptedException stopped = new InterruptedException(what + " was interrupted");
        stopped.initCause(e);
        throw stopped;
      }
      // An outage past its deadline, a configuration error, a reader bug: the run ends.
      throw new DriftlessException(what + " failed: " + e, e);
    }
  }

  private static Map<String, Difference> classify(Map<String, Long> s, Map<String, Long> i) {
    Map<String, Difference> out = new HashMap<>();
    for (Map.Entry<String, Long> e : s.entrySet()) {
      Long other = i.get(e.getKey());
      if (other == null) {
        out.put(e.getKey(), Difference.MISSING);
      } else if (!other.equals(e.getValue())) {
        out.put(e.getKey(), Difference.STALE);
      }
    }
    for (String id : i.keySet()) {
      if (!s.containsKey(id)) {
        out.put(id, Difference.PHANTOM);
      }
    }
    return out;
  }

  private static Map<String, Long> byId(List<KeyFingerprint> keys) {
    Map<String, Long> byId = new HashMap<>(keys.size() * 2);
    for (KeyFingerprint k : keys) {
      byId.put(k.key().id(), k.fingerprint());
    }
    return byId;
  }
}
