/**
 * Micrometer meters for Driftless pipelines and reconcilers. {@link
 * dev.driftless.micrometer.PipelineMetrics#bind} binds a pipeline's meters to a registry; {@link
 * dev.driftless.micrometer.ReconcilerMetrics} is given to {@code Reconciler.Builder.listener}. The
 * meters, their tags and what to alert on are listed in docs/operations.md ("Monitoring").
 */
@NullMarked
package dev.driftless.micrometer;

import org.jspecify.annotations.NullMarked;
