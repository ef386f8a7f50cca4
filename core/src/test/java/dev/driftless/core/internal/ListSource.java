package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A minimal source over a fixed list, for the runner's own tests (the tck has the full one). */
class ListSource implements ChangeSource {
  final List<ChangeEvent> events = new CopyOnWriteArrayList<>();
  final List<SourcePosition> commits = new CopyOnWriteArrayList<>();
  volatile int next;
  volatile boolean keptAlive;
  volatile RepairReader repair;

  ListSource(List<ChangeEvent> events) {
    this.events.addAll(events);
  }

  @Override
  public void start(SourceContext context) {}

  @Override
  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws InterruptedException {
    List<ChangeEvent> out = new ArrayList<>();
    while (out.size() < maxEvents && next < events.size()) {
      out.add(events.get(next++));
    }
    if (out.isEmpty()) {
      Thread.sleep(Math.min(5, maxWait.toMillis()));
    }
    return out;
  }

  @Override
  public void commit(SourcePosition position) {
    commits.add(position);
  }

  @Override
  public void keepAlive() {
    keptAlive = true;
  }

  @Override
  public Optional<RepairReader> repairReader() {
    return Optional.ofNullable(repair);
  }

  @Override
  public void close() {}
}
