package dev.driftless.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Facts about the machine and JVM a report was measured on. */
final class MachineFacts {

  private MachineFacts() {}

  static Map<String, Object> collect() {
    Map<String, Object> m = new LinkedHashMap<>();
    Runtime rt = Runtime.getRuntime();
    m.put("cores (JVM)", rt.availableProcessors());
    m.put("cpu", firstValue(Path.of("/proc/cpuinfo"), "model name"));
    m.put("memory", firstValue(Path.of("/proc/meminfo"), "MemTotal"));
    m.put("max heap", String.format(Locale.ROOT, "%.1f GiB", rt.maxMemory() / 1073741824.0));
    m.put(
        "java",
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")");
    m.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    m.put("load average at start", loadAverage());
    m.put("driftless build", build());
    return m;
  }

  /**
   * The commit the benchmark runs on, and which library modules had uncommitted changes (the
   * reactor build compiles the working tree, so those changes are part of what was measured).
   */
  static String build() {
    String head = git("rev-parse", "--short", "HEAD");
    String dirty =
        git(
            "status",
            "--porcelain",
            "--",
            "core/src/main",
            "search-common/src/main",
            "opensearch-sink/src/main",
            "postgres-wal/src/main");
    if (head.isEmpty()) {
      return "unknown (not run from a git checkout)";
    }
    java.util.Set<String> modules = new java.util.TreeSet<>();
    for (String line : dirty.split("\n")) {
      String path = line.length() > 3 ? line.substring(3).trim() : "";
      int slash = path.indexOf('/');
      if (slash > 0) {
        modules.add(path.substring(0, slash));
      }
    }
    return modules.isEmpty()
        ? "commit " + head + ", clean"
        : "commit " + head + " plus uncommitted changes in " + String.join(", ", modules);
  }

  private static String git(String... args) {
    java.util.List<String> cmd = new java.util.ArrayList<>();
    cmd.add("git");
    cmd.add("-C");
    // The exec plugin runs in benchmarks/; the repository root is its parent.
    Path here = Path.of("").toAbsolutePath();
    Path parent = here.getParent();
    cmd.add((here.endsWith("benchmarks") && parent != null ? parent : here).toString());
    cmd.addAll(java.util.List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
      // Only trailing whitespace: porcelain lines start with a status column that may be blank.
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .stripTrailing();
      return p.waitFor() == 0 ? out : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** The 1, 5 and 15 minute load averages from {@code /proc/loadavg}, or "unknown". */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String firstValue(Path file, String key) {
    try {
      List<String> lines = Files.readAllLines(file);
      for (String line : lines) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
          return line.substring(colon + 1).trim();
        }
      }
    } catch (IOException e) {
      // Not Linux: leave the fact out rather than fail the benchmark.
    }
    return "unknown";
  }
}
