package dev.driftless.spring.boot.internal;

import static dev.driftless.spring.boot.internal.PropertyChecks.property;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.spring.boot.DriftlessProperties.SearchProperties;
import java.util.Optional;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.springframework.beans.factory.ListableBeanFactory;

/** The OpenSearch sink; loaded only when driftless-opensearch-sink is on the class path. */
final class OpenSearchSinks {
  private static final String PREFIX = "driftless.opensearch.";

  private OpenSearchSinks() {}

  static VersionedSink fromProperties(SearchProperties p) {
    OpenSearchSink.Builder b = SearchSinks.configure(OpenSearchSink.builder(), p, PREFIX);
    return property(PREFIX + "hosts", p.getHosts(), b::build);
  }

  static Optional<VersionedSink> fromClientBean(SearchProperties p, ListableBeanFactory beans) {
    if (!isPresent("org.opensearch.client.opensearch.OpenSearchClient")) {
      return Optional.empty();
    }
    OpenSearchClient client = beans.getBeanProvider(OpenSearchClient.class).getIfUnique();
    if (client == null) {
      return Optional.empty();
    }
    OpenSearchSink.Builder b =
        SearchSinks.routing(OpenSearchSink.builder().client(client), p, PREFIX);
    return Optional.of(property(PREFIX + "index-prefix", p.getIndexPrefix(), b::build));
  }

  static Optional<FingerprintReader> fingerprintReader(VersionedSink sink) {
    return sink instanceof OpenSearchSink s ? Optional.of(s.fingerprintReader()) : Optional.empty();
  }

  private static boolean isPresent(String name) {
    return org.springframework.util.ClassUtils.isPresent(
        name, OpenSearchSinks.class.getClassLoader());
  }
}
