package dev.driftless.spring.boot.autoconfigure;

import dev.driftless.core.Pipeline;
import dev.driftless.spring.boot.DriftlessProperties;
import dev.driftless.spring.boot.actuate.DriftlessHealthIndicator;
import java.time.Clock;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code driftless} health indicator, when spring-boot-health is on the class path (with
 * spring-boot-starter-actuator). {@code management.health.driftless.enabled=false} turns it off.
 */
@AutoConfiguration(after = DriftlessAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(Pipeline.class)
@ConditionalOnEnabledHealthIndicator("driftless")
public class DriftlessHealthAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "driftlessHealthIndicator")
  DriftlessHealthIndicator driftlessHealthIndicator(
      Pipeline pipeline, DriftlessProperties properties) {
    DriftlessProperties.HealthProperties h = properties.getHealth();
    return new DriftlessHealthIndicator(
        pipeline, h.getDegradedStatus(), h.getThrottleWindow(), Clock.systemUTC());
  }
}
