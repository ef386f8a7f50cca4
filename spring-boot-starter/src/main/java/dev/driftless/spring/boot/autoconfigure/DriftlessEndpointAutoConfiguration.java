package dev.driftless.spring.boot.autoconfigure;

import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.spring.boot.DriftlessReconcilers;
import dev.driftless.spring.boot.actuate.DriftlessEndpoint;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code driftless} actuator endpoint, when spring-boot-actuator-autoconfigure is on the class
 * path and the endpoint is available (exposed, e.g. {@code
 * management.endpoints.web.exposure.include=health,driftless}).
 */
@AutoConfiguration(after = DriftlessAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(Pipeline.class)
@ConditionalOnAvailableEndpoint(DriftlessEndpoint.class)
public class DriftlessEndpointAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  DriftlessEndpoint driftlessEndpoint(
      Pipeline pipeline,
      ObjectProvider<DeadLetterStore> deadLetters,
      ObjectProvider<DriftlessReconcilers> reconcilers) {
    return new DriftlessEndpoint(pipeline, deadLetters.getIfUnique(), reconcilers.getIfUnique());
  }
}
