/**
 * Micrometer meters for Driftless: {@link dev.driftless.micrometer.PipelineMetrics} for a pipeline,
 * {@link dev.driftless.micrometer.ReconcilerMetrics} for reconcilers.
 */
// Micrometer's jars are automatic modules; its MeterRegistry and MeterBinder are in our API.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.driftless.micrometer {
  requires transitive dev.driftless.core;
  requires transitive micrometer.core;
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;

  exports dev.driftless.micrometer;
}
