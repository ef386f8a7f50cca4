package dev.driftless.dynamodb.internal;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code ProjectionExpression} of top-level attributes, every name behind a placeholder ({@code
 * #a0, #a1, ...}) so that reserved words and odd characters are safe.
 *
 * @param expression the expression
 * @param names the placeholders' names
 */
public record Projection(String expression, Map<String, String> names) {

  public Projection {
    names = Map.copyOf(names);
  }

  /** The projection of {@code attributes}. */
  public static Projection of(Collection<String> attributes) {
    if (attributes.isEmpty()) {
      throw new IllegalArgumentException("a projection needs at least one attribute");
    }
    StringBuilder expression = new StringBuilder();
    Map<String, String> names = new LinkedHashMap<>();
    for (String a : attributes) {
      String placeholder = "#a" + names.size();
      if (!names.isEmpty()) {
        expression.append(", ");
      }
      expression.append(placeholder);
      names.put(placeholder, a);
    }
    return new Projection(expression.toString(), names);
  }
}
