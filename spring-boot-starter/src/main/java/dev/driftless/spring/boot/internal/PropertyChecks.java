package dev.driftless.spring.boot.internal;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Turns a builder's refusal of a value into Spring Boot's {@link
 * InvalidConfigurationPropertyValueException}, which names the property (and its origin, through
 * Boot's failure analyzer) when start-up fails.
 */
public final class PropertyChecks {

  private PropertyChecks() {}

  /**
   * Runs {@code step}, which hands the value of {@code property} to a builder.
   *
   * @param shown the value to show in the message, or null to hide it (credentials)
   * @throws InvalidConfigurationPropertyValueException naming {@code property} if the builder
   *     refuses the value
   */
  public static <T> T property(String property, @Nullable Object shown, Supplier<T> step) {
    try {
      return step.get();
    } catch (IllegalArgumentException | IllegalStateException | NullPointerException e) {
      throw invalid(property, shown, String.valueOf(e.getMessage()));
    }
  }

  /** The exception for a missing or invalid property. */
  public static InvalidConfigurationPropertyValueException invalid(
      String property, @Nullable Object shown, String reason) {
    return new InvalidConfigurationPropertyValueException(
        property, shown == null ? "(not shown)" : shown, reason);
  }

  /** The exception for a required property that is not set. */
  public static InvalidConfigurationPropertyValueException missing(String property, String why) {
    return new InvalidConfigurationPropertyValueException(
        property, "(not set)", "required: " + why);
  }
}
