package dev.driftless.core.internal;

import dev.driftless.core.ConfigurationException;
import dev.driftless.core.RetriableException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The one place that says what an exception means (docs/guarantees.md, "Failure classes"). Every
 * part that calls a plug-in (the batch writer, the sink's start, the poll loop, the reconciler's
 * readers) asks here, and acts on the class:
 *
 * <table>
 *   <caption>Classes</caption>
 *   <tr><th>class</th><th>thrown as</th><th>what the caller does</th></tr>
 *   <tr><td>{@link Failure#OUTAGE}</td><td>{@link RetriableException}</td>
 *       <td>retries with the {@link dev.driftless.core.OutagePolicy}; never dead-letters</td></tr>
 *   <tr><td>{@link Failure#CONFIGURATION}</td><td>{@link ConfigurationException}</td>
 *       <td>stops: retrying cannot heal it, and no event is to blame</td></tr>
 *   <tr><td>{@link Failure#STOPPING}</td><td>an interrupt, or anything while the pipeline
 *       stops</td><td>leaves the work unsettled, to be done again after a restart</td></tr>
 *   <tr><td>{@link Failure#BUG}</td><td>anything else from a plug-in</td>
 *       <td>stops: a plug-in reports poison per item ({@code WriteResult.Rejected},
 *       {@code SourceContext.deadLetter}), so a thrown exception blames no single event</td></tr>
 * </table>
 *
 * <p>Poison is not a thrown exception but a verdict about one event: a sink answers {@code
 * WriteResult.Rejected} for it, a source stores it with {@code SourceContext.deadLetter}, and
 * anything the user's {@code DocumentMapper} throws is poison (its input is that one event), so
 * those are dead-lettered and the stream goes on.
 *
 * <p>Stateless.
 */
public final class Failures {
  private Failures() {}

  /** What a failure means. */
  public enum Failure {
    OUTAGE,
    CONFIGURATION,
    STOPPING,
    BUG
  }

  /**
   * What an exception thrown by a sink, a source or a reader means, given whether the pipeline is
   * stopping (stopping interrupts calls in flight, and clients turn the interrupt into exceptions
   * of their own: Elastic's REST client a {@code RuntimeException}).
   */
  public static Failure classify(Throwable failure, boolean stopping) {
    if (stopping || interrupted(failure)) {
      return Failure.STOPPING; // whatever it is, the work is left for the next run
    }
    if (failure instanceof RetriableException) {
      return Failure.OUTAGE;
    }
    if (failure instanceof ConfigurationException) {
      return Failure.CONFIGURATION;
    }
    return Failure.BUG;
  }

  /**
   * Whether this thread was interrupted, or {@code failure} stems from an interrupt. A timeout is
   * not an interrupt, although Java and the HTTP clients make many of theirs {@link
   * InterruptedIOException}s ({@link SocketTimeoutException}, Apache HttpClient's connect and
   * request timeouts): a slow index is an outage to retry, not a stop.
   */
  public static boolean interrupted(Throwable failure) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof InterruptedException
          || (t instanceof InterruptedIOException && !timeout(t))) {
        return true;
      }
    }
    return false;
  }

  private static boolean timeout(Throwable t) {
    return t instanceof SocketTimeoutException || t.getClass().getSimpleName().contains("Timeout");
  }
}
