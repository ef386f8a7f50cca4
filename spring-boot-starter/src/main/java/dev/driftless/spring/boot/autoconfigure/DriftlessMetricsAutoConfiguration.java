package dev.driftless.spring.boot.autoconfigure;

import dev.driftless.core.Pipeline;
import dev.driftless.micrometer.PipelineMetrics;
import dev.driftless.micrometer.ReconcilerMetrics;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The pipeline's and the reconcilers' meters (driftless-micrometer) as {@link MeterBinder} beans,
 * which Spring Boot's Micrometer auto-configuration binds to every registry it manages. Needs
 * driftless-micrometer and spring-boot-micrometer-metrics (spring-boot-starter-actuator) on the
 * class path.
 */
@AutoConfiguration(after = DriftlessAutoConfiguration.class)
@ConditionalOnClass({MeterBinder.class, PipelineMetrics.class})
@ConditionalOnBean(Pipeline.class)
public class DriftlessMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  PipelineMetrics driftlessPipelineMetrics(Pipeline pipeline) {
    return PipelineMetrics.of(pipeline);
  }

  @Bean
  @ConditionalOnMissingBean
  ReconcilerMetrics driftlessReconcilerMetrics() {
    return ReconcilerMetrics.create();
  }
}
