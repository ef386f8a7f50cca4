package dev.driftless.examples;

import java.util.Locale;

/**
 * The demo launcher behind {@code mvn -Pdemo -pl examples -am verify -DskipTests}: runs the demo
 * named by {@code -Ddemo}: {@code postgres} (the default, {@link Demo}), {@code dynamodb} ({@link
 * DynamoDbDemo}) or {@code inmemory} ({@link InMemoryDemo}).
 */
public final class Demos {
  private Demos() {}

  public static void main(String[] args) throws Exception {
    String demo = System.getProperty("demo", "postgres").trim().toLowerCase(Locale.ROOT);
    switch (demo) {
      case "", "postgres" -> Demo.main(args);
      case "dynamodb" -> DynamoDbDemo.main(args);
      case "inmemory" -> InMemoryDemo.main(args);
      default -> {
        System.err.println(
            "demo: unknown demo '" + demo + "'; choose postgres, dynamodb or inmemory");
        System.exit(2);
      }
    }
  }
}
