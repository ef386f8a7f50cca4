/**
 * Micrometer meters for Driftless: {@link dev.driftless.micrometer.PipelineMetrics} for a pipeline,
 * {@link dev.driftless.micrometer.ReconcilerMetrics} for reconcilers.
 */
module dev.driftless.micrometer {
  requires transitive dev.driftless.core;
  requires transitive micrometer.core;
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;

  exports dev.driftless.micrometer;
}
