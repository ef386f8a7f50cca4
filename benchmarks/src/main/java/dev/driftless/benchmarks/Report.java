package dev.driftless.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of one benchmark: machine facts, parameters, every run, the median rate of each
 * contender and the ratios against the baseline, written as {@code <name>.md} and {@code
 * <name>.json}. Not thread-safe: filled by the benchmark's own thread.
 */
final class Report {

  /**
   * A ratio of two contenders' median rates, and the target it is held against.
   *
   * @param numerator the contender measured
   * @param denominator the baseline
   * @param target the ratio the issue asks for (at least)
   */
  record Ratio(String numerator, String denominator, double target) {}

  private final String name;
  private final String title;
  private final String unit;
  private final Instant startedAt = Instant.now();
  private final Map<String, Object> machine = new LinkedHashMap<>();
  private final Map<String, Object> parameters = new LinkedHashMap<>();
  private final List<String> contenders = new ArrayList<>();
  private final Map<String, String> descriptions = new LinkedHashMap<>();
  private final List<Run> runs = new ArrayList<>();
  private final List<Ratio> ratios = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, String> sections = new LinkedHashMap<>();
  private final Map<String, Object> extra = new LinkedHashMap<>();

  /**
   * @param name file name without extension
   * @param title heading of the Markdown report
   * @param unit what is counted per second, e.g. {@code docs} or {@code events}
   */
  Report(String name, String title, String unit) {
    this.name = name;
    this.title = title;
    this.unit = unit;
    machine.putAll(MachineFacts.collect());
  }

  void machine(String key, Object value) {
    machine.put(key, value);
  }

  void parameter(String key, Object value) {
    parameters.put(key, value);
  }

  /** Declares a contender, in the order the report lists them. */
  void contender(String contender, String description) {
    if (!contenders.contains(contender)) {
      contenders.add(contender);
    }
    descriptions.put(contender, description);
  }

  void run(Run run) {
    runs.add(run);
    System.out.printf(
        Locale.ROOT,
        "[%s] round %d %-22s %,d %s in %.2f s = %,.0f %s/s%n",
        name,
        run.round(),
        run.contender(),
        run.items(),
        unit,
        run.seconds(),
        run.perSecond(),
        unit);
  }

  void ratio(String numerator, String denominator, double target) {
    ratios.add(new Ratio(numerator, denominator, target));
  }

  void note(String note) {
    notes.add(note);
  }

  /** A Markdown section of its own after the result (for what is not a rate, e.g. delays). */
  void section(String heading, String markdown) {
    sections.put(heading, markdown);
  }

  /** A top-level entry of the JSON report beside the runs (the data behind a {@link #section}). */
  void json(String key, Object value) {
    extra.put(key, value);
  }

  /** Every measured rate of a contender, in run order. */
  List<Double> rates(String contender) {
    List<Double> rates = new ArrayList<>();
    for (Run r : runs) {
      if (r.contender().equals(contender)) {
        rates.add(r.perSecond());
      }
    }
    return rates;
  }

  /** The median rate of a contender's runs, or NaN if it has none. */
  double median(String contender) {
    List<Double> rates = new ArrayList<>();
    for (Run r : runs) {
      if (r.contender().equals(contender)) {
        rates.add(r.perSecond());
      }
    }
    return rates.isEmpty() ? Double.NaN : Run.median(rates);
  }

  private double medianSteady(String contender) {
    List<Double> rates = new ArrayList<>();
    for (Run r : runs) {
      if (r.contender().equals(contender) && r.steadyNanos() > 0) {
        rates.add(r.steadyPerSecond());
      }
    }
    return rates.isEmpty() ? Double.NaN : Run.median(rates);
  }

  double value(Ratio r) {
    return median(r.numerator()) / median(r.denominator());
  }

  /** Writes {@code <name>.md} and {@code <name>.json} into {@code dir}. */
  List<Path> write(Path dir) throws IOException {
    Files.createDirectories(dir);
    machine.put("load average at end", MachineFacts.loadAverage());
    Path md = dir.resolve(name + ".md");
    Path json = dir.resolve(name + ".json");
    Files.writeString(md, markdown(), StandardCharsets.UTF_8);
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Files.writeString(json, mapper.writeValueAsString(jsonTree()) + "\n", StandardCharsets.UTF_8);
    return List.of(md, json);
  }

  String summary() {
    StringBuilder s = new StringBuilder(title).append('\n');
    for (String c : contenders) {
      s.append(String.format(Locale.ROOT, "  %-22s %,12.0f %s/s%n", c, median(c), unit));
    }
    for (Ratio r : ratios) {
      s.append(
          String.format(
              Locale.ROOT,
              "  %s / %s = %.3f (target >= %.2f: %s)%n",
              r.numerator(),
              r.denominator(),
              value(r),
              r.target(),
              value(r) >= r.target() ? "met" : "NOT met"));
    }
    return s.toString();
  }

  private String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(title).append("\n\n");
    md.append("Run at ").append(startedAt).append(". Generated by `dev.driftless.benchmarks`; ");
    md.append("see [README](../README.md) for how to run and read it.\n\n");
    md.append("## Result\n\n");
    md.append("| contender | median ")
        .append(unit)
        .append("/s | runs (")
        .append(unit)
        .append("/s) | median steady ")
        .append(unit)
        .append("/s |\n|---|---:|---|---:|\n");
    for (String c : contenders) {
      List<String> each = new ArrayList<>();
      for (Run r : runs) {
        if (r.contender().equals(c)) {
          each.add(String.format(Locale.ROOT, "%,.0f (%.1f s)", r.perSecond(), r.seconds()));
        }
      }
      double steady = medianSteady(c);
      md.append(
          String.format(
              Locale.ROOT,
              "| `%s` | %,.0f | %s | %s |%n",
              c,
              median(c),
              String.join(", ", each),
              Double.isNaN(steady) ? "–" : String.format(Locale.ROOT, "%,.0f", steady)));
    }
    md.append("\n");
    if (!ratios.isEmpty()) {
      md.append("| ratio | value | target | |\n|---|---:|---:|---|\n");
      for (Ratio r : ratios) {
        double v = value(r);
        md.append(
            String.format(
                Locale.ROOT,
                "| `%s` / `%s` | %.3f | ≥ %.2f | %s |%n",
                r.numerator(),
                r.denominator(),
                v,
                r.target(),
                v >= r.target() ? "met" : "**not met**"));
      }
      md.append("\n");
    }
    sections.forEach(
        (heading, body) ->
            md.append("## ").append(heading).append("\n\n").append(body).append("\n"));
    md.append("## Contenders\n\n");
    for (String c : contenders) {
      md.append("- `").append(c).append("`: ").append(descriptions.get(c)).append('\n');
    }
    md.append("\n## Notes\n\n");
    for (String c : contenders) {
      double min = Double.MAX_VALUE;
      double max = 0;
      for (Run r : runs) {
        if (r.contender().equals(c)) {
          min = Math.min(min, r.perSecond());
          max = Math.max(max, r.perSecond());
        }
      }
      if (max > 0 && max / min > 1.3) {
        md.append(
            String.format(
                Locale.ROOT,
                "- Noise: the runs of `%s` differ by %.1f× (fastest / slowest); with the machine"
                    + " this loaded, ratios of medians are indicative only.%n",
                c,
                max / min));
      }
    }
    for (String n : notes) {
      md.append("- ").append(n).append('\n');
    }
    md.append("\n## Machine\n\n| fact | value |\n|---|---|\n");
    machine.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    md.append("\n## Parameters\n\n| parameter | value |\n|---|---|\n");
    parameters.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    md.append("\n## Runs\n\n| round | contender | ")
        .append(unit)
        .append(" | seconds | ")
        .append(unit)
        .append("/s | steady ")
        .append(unit)
        .append("/s | details |\n|---:|---|---:|---:|---:|---:|---|\n");
    for (Run r : runs) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %d | `%s` | %,d | %.2f | %,.0f | %s | %s |%n",
              r.round(),
              r.contender(),
              r.items(),
              r.seconds(),
              r.perSecond(),
              r.steadyNanos() > 0 ? String.format(Locale.ROOT, "%,.0f", r.steadyPerSecond()) : "–",
              r.details().isEmpty() ? "" : new java.util.TreeMap<>(r.details()).toString()));
    }
    return md.toString();
  }

  private Map<String, Object> jsonTree() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("benchmark", name);
    root.put("title", title);
    root.put("startedAt", startedAt.toString());
    root.put("unit", unit + "/s");
    root.put("machine", machine);
    root.put("parameters", parameters);
    List<Map<String, Object>> cs = new ArrayList<>();
    for (String c : contenders) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c);
      m.put("description", descriptions.get(c));
      m.put("medianPerSecond", round(median(c)));
      double steady = medianSteady(c);
      if (!Double.isNaN(steady)) {
        m.put("medianSteadyPerSecond", round(steady));
      }
      cs.add(m);
    }
    root.put("contenders", cs);
    List<Map<String, Object>> rs = new ArrayList<>();
    for (Ratio r : ratios) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("numerator", r.numerator());
      m.put("denominator", r.denominator());
      double v = value(r);
      m.put("value", Math.round(v * 1000) / 1000.0);
      m.put("target", r.target());
      m.put("met", v >= r.target());
      rs.add(m);
    }
    root.put("ratios", rs);
    List<Map<String, Object>> runList = new ArrayList<>();
    for (Run r : runs) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("round", r.round());
      m.put("contender", r.contender());
      m.put("items", r.items());
      m.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
      m.put("perSecond", round(r.perSecond()));
      if (r.steadyNanos() > 0) {
        m.put("steadyPerSecond", round(r.steadyPerSecond()));
      }
      m.put("details", new java.util.TreeMap<>(r.details()));
      runList.add(m);
    }
    root.put("runs", runList);
    root.putAll(extra);
    root.put("notes", notes);
    return root;
  }

  private static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 10) / 10.0;
  }
}
