package dev.driftless.spring.boot.internal;

import static dev.driftless.spring.boot.internal.PropertyChecks.invalid;
import static dev.driftless.spring.boot.internal.PropertyChecks.property;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.Reconciler;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import dev.driftless.postgres.reconcile.TableMapping;
import dev.driftless.spring.boot.DriftlessProperties.ReconciliationProperties;
import dev.driftless.spring.boot.DriftlessReconcilers;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Builds {@link DriftlessReconcilers} from {@code driftless.reconciliation.*}. */
public final class Reconcilers {
  private static final String PIPELINE_METRICS = "dev.driftless.micrometer.PipelineMetrics";
  private static final String RECONCILER_METRICS = "dev.driftless.micrometer.ReconcilerMetrics";

  private Reconcilers() {}

  /**
   * The reconcilers of the configured collections: the database side read through {@code database},
   * the index side through the sink's fingerprint reader.
   *
   * @throws RuntimeException naming the property, if an interval is invalid or the beans they need
   *     are missing
   */
  public static DriftlessReconcilers create(
      Map<String, ReconciliationProperties> config,
      Pipeline pipeline,
      @Nullable PostgresDatabase database,
      @Nullable VersionedSink sink) {
    String name = "driftless.reconciliation";
    if (database == null) {
      throw invalid(name, null, "reconciliation needs a PostgresDatabase bean (the source's)");
    }
    FingerprintReader index =
        sink == null ? null : SearchSinks.fingerprintReader(sink).orElse(null);
    if (index == null) {
      throw invalid(
          name,
          null,
          "reconciliation needs the OpenSearch or Elasticsearch sink of driftless (its index"
              + " fingerprint reader); the VersionedSink bean is "
              + (sink == null ? "missing" : sink.getClass().getName()));
    }
    Map<String, @Nullable Duration> intervals = new LinkedHashMap<>();
    config.forEach(
        (collection, p) -> {
          Duration interval = p.getInterval();
          if (interval != null && (interval.isNegative() || interval.isZero())) {
            throw invalid(
                name + "." + collection + ".interval", interval, "must be positive when set");
          }
          property(name + "." + collection, collection, () -> tableMapping(collection));
          intervals.put(collection, interval);
        });
    return new DriftlessReconcilers(
        pipeline,
        intervals,
        (collection, listeners) -> {
          ReconciliationProperties p = config.get(collection);
          FingerprintReader source =
              PostgresFingerprintReader.builder()
                  .database(database)
                  .table(tableMapping(collection))
                  .build();
          Reconciler.Builder b =
              Reconciler.builder()
                  .source(source)
                  .index(index)
                  .pipeline(pipeline)
                  .collection(collection);
          Duration verifyDelay = p == null ? null : p.getVerifyDelay();
          if (verifyDelay != null) {
            property(
                name + "." + collection + ".verify-delay",
                verifyDelay,
                () -> b.verifyDelay(verifyDelay));
          }
          for (PipelineListener l : listeners) {
            b.listener(l);
          }
          return b.build();
        });
  }

  /** {@code table} (schema public) or {@code schema.table}, as the source names collections. */
  static TableMapping tableMapping(String collection) {
    int dot = collection.indexOf('.');
    return dot < 0
        ? TableMapping.of("public", collection)
        : TableMapping.of(collection.substring(0, dot), collection.substring(dot + 1));
  }

  /** Whether {@code l} is a Micrometer binder of driftless-micrometer (it listens by itself). */
  public static boolean isMetricsBinder(PipelineListener l) {
    String name = l.getClass().getName();
    return name.equals(PIPELINE_METRICS) || name.equals(RECONCILER_METRICS);
  }

  /** Whether {@code l} is a pipeline's Micrometer binder (not a reconciler's). */
  public static boolean isPipelineMetrics(PipelineListener l) {
    return l.getClass().getName().equals(PIPELINE_METRICS);
  }
}
