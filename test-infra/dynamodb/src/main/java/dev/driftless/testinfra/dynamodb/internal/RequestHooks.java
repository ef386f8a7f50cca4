package dev.driftless.testinfra.dynamodb.internal;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Actions a test runs when a request of an operation arrives, before the operation (and before any
 * fault) on the serving thread and without the emulator's lock, so an action may itself call the
 * emulator (through the SDK, on another serving thread): "between two Scan pages, write this".
 */
public final class RequestHooks {
  private final Map<String, Runnable> hooks = new ConcurrentHashMap<>();

  /** Runs {@code action} before each request of {@code operation}, replacing an earlier one. */
  public void set(String operation, Runnable action) {
    hooks.put(
        Objects.requireNonNull(operation, "operation"), Objects.requireNonNull(action, "action"));
  }

  public void clear() {
    hooks.clear();
  }

  /** Runs the hook of {@code operation}, if any; what it throws reaches the caller as a 500. */
  void before(String operation) {
    Runnable action = hooks.get(operation);
    if (action != null) {
      action.run();
    }
  }
}
