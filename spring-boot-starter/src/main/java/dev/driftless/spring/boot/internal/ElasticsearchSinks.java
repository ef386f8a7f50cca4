package dev.driftless.spring.boot.internal;

import static dev.driftless.spring.boot.internal.PropertyChecks.property;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.elasticsearch.ElasticsearchSink;
import dev.driftless.spring.boot.DriftlessProperties.SearchProperties;
import java.util.Optional;
import org.elasticsearch.client.RestClient;
import org.springframework.beans.factory.ListableBeanFactory;

/** The Elasticsearch sink; loaded only when driftless-elasticsearch-sink is on the class path. */
final class ElasticsearchSinks {
  private static final String PREFIX = "driftless.elasticsearch.";

  private ElasticsearchSinks() {}

  static VersionedSink fromProperties(SearchProperties p) {
    ElasticsearchSink.Builder b = SearchSinks.configure(ElasticsearchSink.builder(), p, PREFIX);
    return property(PREFIX + "hosts", p.getHosts(), b::build);
  }

  static Optional<VersionedSink> fromClientBean(SearchProperties p, ListableBeanFactory beans) {
    if (!isPresent("org.elasticsearch.client.RestClient")) {
      return Optional.empty();
    }
    RestClient client = beans.getBeanProvider(RestClient.class).getIfUnique();
    if (client == null) {
      return Optional.empty();
    }
    ElasticsearchSink.Builder b =
        SearchSinks.routing(ElasticsearchSink.builder().client(client), p, PREFIX);
    return Optional.of(property(PREFIX + "index-prefix", p.getIndexPrefix(), b::build));
  }

  static Optional<FingerprintReader> fingerprintReader(VersionedSink sink) {
    return sink instanceof ElasticsearchSink s
        ? Optional.of(s.fingerprintReader())
        : Optional.empty();
  }

  private static boolean isPresent(String name) {
    return org.springframework.util.ClassUtils.isPresent(
        name, ElasticsearchSinks.class.getClassLoader());
  }
}
