package dev.driftless.spring.boot.internal;

import static dev.driftless.spring.boot.internal.PropertyChecks.invalid;
import static dev.driftless.spring.boot.internal.PropertyChecks.property;

import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.SearchSinkBuilder;
import dev.driftless.spring.boot.DriftlessProperties;
import dev.driftless.spring.boot.DriftlessProperties.SearchProperties;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.context.properties.source.MutuallyExclusiveConfigurationPropertiesException;
import org.springframework.util.ClassUtils;

/**
 * Chooses and builds the sink: OpenSearch or Elasticsearch, whichever {@code
 * driftless.opensearch.*} or {@code driftless.elasticsearch.*} configures, else whichever sink
 * module is on the class path with a client bean of the application. The vendor classes are touched
 * only inside {@link OpenSearchSinks} and {@link ElasticsearchSinks}, which load only when their
 * module is present.
 */
public final class SearchSinks {

  static final String OPENSEARCH_SINK = "dev.driftless.opensearch.OpenSearchSink";
  static final String ELASTICSEARCH_SINK = "dev.driftless.elasticsearch.ElasticsearchSink";

  private SearchSinks() {}

  /**
   * The sink the properties (or the application's client bean) describe.
   *
   * @throws RuntimeException naming the property, when both engines or neither are configured, or
   *     the configured engine's module is missing, or a value is invalid
   */
  public static VersionedSink sink(DriftlessProperties properties, ListableBeanFactory beans) {
    SearchProperties os = properties.getOpensearch();
    SearchProperties es = properties.getElasticsearch();
    ClassLoader loader = SearchSinks.class.getClassLoader();
    boolean osPresent = ClassUtils.isPresent(OPENSEARCH_SINK, loader);
    boolean esPresent = ClassUtils.isPresent(ELASTICSEARCH_SINK, loader);
    if (os.isConfigured() && es.isConfigured()) {
      throw new MutuallyExclusiveConfigurationPropertiesException(
          java.util.Set.of("driftless.opensearch.hosts", "driftless.elasticsearch.hosts"),
          java.util.Set.of("driftless.opensearch.hosts", "driftless.elasticsearch.hosts"));
    }
    if (os.isConfigured()) {
      if (!osPresent) {
        throw invalid(
            "driftless.opensearch.hosts",
            os.getHosts(),
            "driftless-opensearch-sink is not on the class path; add it (or configure"
                + " driftless.elasticsearch.* with driftless-elasticsearch-sink)");
      }
      return OpenSearchSinks.fromProperties(os);
    }
    if (es.isConfigured()) {
      if (!esPresent) {
        throw invalid(
            "driftless.elasticsearch.hosts",
            es.getHosts(),
            "driftless-elasticsearch-sink is not on the class path; add it (or configure"
                + " driftless.opensearch.* with driftless-opensearch-sink)");
      }
      return ElasticsearchSinks.fromProperties(es);
    }
    Optional<VersionedSink> fromClient =
        osPresent ? OpenSearchSinks.fromClientBean(os, beans) : Optional.empty();
    if (fromClient.isEmpty() && esPresent) {
      fromClient = ElasticsearchSinks.fromClientBean(es, beans);
    }
    return fromClient.orElseThrow(
        () ->
            PropertyChecks.missing(
                osPresent || !esPresent
                    ? "driftless.opensearch.hosts"
                    : "driftless.elasticsearch.hosts",
                "no sink is configured: set driftless.opensearch.hosts (with"
                    + " driftless-opensearch-sink) or driftless.elasticsearch.hosts (with"
                    + " driftless-elasticsearch-sink), or declare a client bean"
                    + " (OpenSearchClient, RestClient) or a VersionedSink bean"));
  }

  /** The index side of reconciliation, if {@code sink} is one of the Driftless search sinks. */
  public static Optional<FingerprintReader> fingerprintReader(VersionedSink sink) {
    ClassLoader loader = SearchSinks.class.getClassLoader();
    if (ClassUtils.isPresent(OPENSEARCH_SINK, loader)) {
      Optional<FingerprintReader> r = OpenSearchSinks.fingerprintReader(sink);
      if (r.isPresent()) {
        return r;
      }
    }
    if (ClassUtils.isPresent(ELASTICSEARCH_SINK, loader)) {
      return ElasticsearchSinks.fingerprintReader(sink);
    }
    return Optional.empty();
  }

  /** Applies the engine-neutral settings of {@code p} ({@code prefix} names them). */
  static <B extends SearchSinkBuilder<B>> B configure(B b, SearchProperties p, String prefix) {
    List<String> hosts = p.getHosts();
    if (hosts.isEmpty()) {
      throw PropertyChecks.missing(prefix + "hosts", "the nodes of the cluster");
    }
    property(prefix + "hosts", hosts, () -> b.hosts(hosts));
    String user = p.getUsername();
    String password = p.getPassword();
    if (user != null || password != null) {
      if (user == null || password == null) {
        throw invalid(
            prefix + (user == null ? "username" : "password"),
            null,
            prefix + "username and " + prefix + "password go together");
      }
      property(prefix + "username", user, () -> b.basicAuth(user, password));
    }
    String apiKey = p.getApiKey();
    if (apiKey != null) {
      property(prefix + "api-key", null, () -> b.apiKey(apiKey));
    }
    Path trust = p.getTrustCertificates();
    if (trust != null) {
      property(prefix + "trust-certificates", trust, () -> b.trustCertificates(trust));
    }
    routing(b, p, prefix);
    return b;
  }

  /** Applies the index prefix. */
  static <B extends SearchSinkBuilder<B>> B routing(B b, SearchProperties p, String prefix) {
    String indexPrefix = p.getIndexPrefix();
    return property(
        prefix + "index-prefix", indexPrefix, () -> b.routing(IndexRouting.prefixed(indexPrefix)));
  }
}
