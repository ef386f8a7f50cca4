package dev.driftless.search.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Walking an exception's cause chain, which HTTP clients wrap answers and TLS failures in. */
public final class Causes {

  private Causes() {}

  /** {@code failure} and its causes, outermost first, each once (a cycle ends the chain). */
  public static List<Throwable> chain(Throwable failure) {
    List<Throwable> chain = new ArrayList<>();
    Set<Throwable> visited = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = failure; t != null && visited.add(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }

  /** The outermost throwable of {@code type} in {@code failure}'s chain, or {@code null}. */
  public static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
    for (Throwable t : chain(failure)) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
