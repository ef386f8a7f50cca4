package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Pipeline;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.search.StoredDocument;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.testinfra.faults.secure.SecureFront;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Elasticsearch sink building its own client from an {@code https} URL, credentials and trust
 * settings, against the real 7.10.2 node behind a {@link SecureFront} (the in-process node has no
 * security plugin): HTTPS with the certificate given as PEM or trust store, basic and API-key
 * authentication, wrong credentials, missing trust material, a host name the certificate does not
 * name, and trusting everything.
 */
class TlsAndAuthIT {

  private static final String USER = "driftless";
  private static final String PASSWORD = "s3cret-pw";
  private static final String KEY_ID = "VuaCfGcBCdbkQm-e5aOx";
  private static final String KEY = "ui2lp2axTNmsyakw9tvNnw";

  private static SecureFront front;

  @BeforeAll
  static void startFront() {
    front =
        SecureFront.builder()
            .target(SharedElasticsearch.node().url())
            .basicAuth(USER, PASSWORD)
            .apiKey(KEY_ID, KEY)
            .start();
  }

  @AfterAll
  static void stopFront() {
    front.close();
  }

  @BeforeEach
  void forgetRequests() {
    front.clearRequests();
  }

  private static ElasticsearchSink sink(
      String collection, UnaryOperator<ElasticsearchSink.Builder> security) {
    return security
        .apply(ElasticsearchSink.builder().hosts(front.httpsUrl()))
        .settings(SharedElasticsearch.settings().collections(List.of(collection)).build())
        .build();
  }

  /** Starts the sink, writes three documents, reads them back through it. */
  private static void writeAndReadBack(ElasticsearchSink sink, String collection) {
    sink.start(MappingConflictIT.context());
    assertThat(sink.serverVersion()).hasValue("7.10.2");
    List<ChangeEvent> batch = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      batch.add(
          ChangeEvent.upsert(
              DocumentKey.of(collection, "doc-" + i),
              Version.of(10 + i),
              SourcePosition.ofOffset(i),
              Document.of("name", "item " + i, "n", (long) i),
              Instant.EPOCH));
    }
    assertThat(sink.write(batch)).allMatch(r -> r instanceof WriteResult.Applied);
    for (int i = 1; i <= 3; i++) {
      StoredDocument stored = sink.get(DocumentKey.of(collection, "doc-" + i)).orElseThrow();
      assertThat(stored.version()).isEqualTo(Version.of(10 + i));
      assertThat(stored.document().get("name")).isEqualTo("item " + i);
    }
  }

  /**
   * Every request the front forwarded carried {@code scheme}; any refused one carried nothing (a
   * client waiting for the challenge), never wrong credentials.
   */
  private static void assertAuthenticatedWith(String scheme) {
    List<SecureFront.Seen> seen = front.requests();
    assertThat(seen).isNotEmpty();
    assertThat(seen)
        .filteredOn(s -> !s.refused())
        .isNotEmpty()
        .allMatch(s -> s.scheme().equals(scheme));
    assertThat(seen).filteredOn(SecureFront.Seen::refused).allMatch(s -> s.scheme().equals("none"));
  }

  @Test
  void basicAuthOverHttpsTrustingThePemCertificate() {
    try (ElasticsearchSink sink =
        sink(
            "tls-pem",
            b -> b.basicAuth(USER, PASSWORD).trustCertificates(front.certificatePem()))) {
      writeAndReadBack(sink, "tls-pem");
    }
    assertAuthenticatedWith("Basic");
    // The REST client sends basic credentials pre-emptively: no request waits for a challenge.
    assertThat(front.requestsRefused()).isZero();
  }

  @Test
  void basicAuthOverHttpsTrustingATrustStore() {
    try (ElasticsearchSink sink =
        sink(
            "tls-p12",
            b ->
                b.basicAuth(USER, PASSWORD)
                    .trustStore(front.trustStore(), SecureFront.STORE_PASSWORD.toCharArray()))) {
      writeAndReadBack(sink, "tls-p12");
    }
    assertAuthenticatedWith("Basic");
  }

  @Test
  void apiKeyOverHttps() {
    try (ElasticsearchSink sink =
        sink("tls-key", b -> b.apiKey(KEY_ID, KEY).trustCertificates(front.certificatePem()))) {
      writeAndReadBack(sink, "tls-key");
    }
    assertAuthenticatedWith("ApiKey");
    assertThat(front.requestsRefused()).isZero();
  }

  @Test
  void wrongPasswordFailsOnceAndIsNotRetriable() {
    try (ElasticsearchSink sink =
        sink(
            "tls-wrong",
            b -> b.basicAuth(USER, "wrong").trustCertificates(front.certificatePem()))) {
      Throwable atStart = catchThrowable(() -> sink.start(MappingConflictIT.context()));
      assertThat(atStart)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("401");
      // A write with refused credentials is not a Retry either.
      Throwable atWrite =
          catchThrowable(
              () ->
                  sink.write(
                      List.of(
                          ChangeEvent.upsert(
                              DocumentKey.of("tls-wrong", "x"),
                              Version.of(1),
                              SourcePosition.ofOffset(1),
                              Document.of("n", 1L),
                              Instant.EPOCH))));
      assertThat(atWrite)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("401");
    }
    // One request each: neither the client nor the sink tried again.
    assertThat(front.requests())
        .hasSize(2)
        .allMatch(s -> s.refused() && s.scheme().equals("Basic"));
  }

  @Test
  void wrongApiKeyFailsAndIsNotRetriable() {
    try (ElasticsearchSink sink =
        sink(
            "tls-wrong-key",
            b -> b.apiKey(KEY_ID, "not-the-key").trustCertificates(front.certificatePem()))) {
      Throwable thrown = catchThrowable(() -> sink.start(MappingConflictIT.context()));
      assertThat(thrown)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("401");
    }
    assertThat(front.requests())
        .hasSize(1)
        .allMatch(s -> s.refused() && s.scheme().equals("ApiKey"));
  }

  @Test
  void untrustedCertificateIsAConfigurationErrorNamingTheTrustSettings() {
    try (ElasticsearchSink sink = sink("tls-untrusted", b -> b.basicAuth(USER, PASSWORD))) {
      Throwable thrown = catchThrowable(() -> sink.start(MappingConflictIT.context()));
      assertThat(thrown)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("trustCertificates")
          .hasMessageContaining("trustStore")
          .hasRootCauseInstanceOf(java.security.cert.CertPathBuilderException.class);
    }
    assertThat(front.requestsSeen()).isZero();
  }

  @Test
  void hostNameTheCertificateDoesNotNameIsAConfigurationError() {
    try (SecureFront elsewhere =
            SecureFront.builder()
                .target(SharedElasticsearch.node().url())
                .basicAuth(USER, PASSWORD)
                .subjectAlternativeNames("dns:search.invalid")
                .start();
        ElasticsearchSink sink =
            ElasticsearchSink.builder()
                .hosts(elsewhere.httpsUrl())
                .basicAuth(USER, PASSWORD)
                .trustCertificates(elsewhere.certificatePem())
                .settings(SharedElasticsearch.settings().build())
                .build()) {
      Throwable thrown = catchThrowable(() -> sink.start(MappingConflictIT.context()));
      assertThat(thrown)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("host name");
      assertThat(elsewhere.requestsSeen()).isZero();
    }
  }

  @Test
  void insecureTrustAllCertificatesWorksAgainstTheSelfSignedFront() {
    try (ElasticsearchSink sink =
        sink("tls-insecure", b -> b.basicAuth(USER, PASSWORD).insecureTrustAllCertificates(true))) {
      writeAndReadBack(sink, "tls-insecure");
    }
    assertAuthenticatedWith("Basic");
  }

  @Test
  void aRefusedConnectionStaysRetriable() {
    SecureFront closed =
        SecureFront.builder()
            .target(SharedElasticsearch.node().url())
            .basicAuth(USER, PASSWORD)
            .start();
    String url = closed.httpsUrl();
    java.nio.file.Path pem = closed.certificatePem();
    ElasticsearchSink sink;
    try (closed) {
      sink =
          ElasticsearchSink.builder()
              .hosts(url)
              .basicAuth(USER, PASSWORD)
              .trustCertificates(pem)
              .settings(SharedElasticsearch.settings().build())
              .build();
    }
    try (sink) {
      assertThat(catchThrowable(() -> sink.start(MappingConflictIT.context())))
          .isInstanceOf(RetriableException.class);
    }
  }

  /**
   * Credentials revoked while a pipeline runs: the pipeline stops with a {@link
   * ConfigurationException} naming the refusal, commits nothing past what was applied, and
   * dead-letters nothing (a whole-request failure it did not recognise would be narrowed down and
   * every event of the stream dead-lettered one by one).
   */
  @Test
  void credentialsRevokedMidStreamStopThePipelineWithoutDeadLetteringTheStream() throws Exception {
    String collection = "tls-revoked";
    String name = "revoked";
    InMemoryChangeLog log = InMemoryChangeLog.create();
    for (int i = 0; i < 50; i++) {
      log.upsert(DocumentKey.of(collection, "before-" + i), Document.of("n", (long) i));
    }
    InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name(name)
            .source(new InMemoryChangeSource(log))
            .sink(
                sink(
                    collection,
                    b -> b.basicAuth(USER, PASSWORD).trustCertificates(front.certificatePem())))
            .deadLetterStore(deadLetters)
            .batchSize(10)
            .build()) {
      pipeline.start();
      Converged.awaitDrained(pipeline, log, name, Duration.ofSeconds(60));
      long committed = log.committedOffset(name);

      front.revokeCredentials(true);
      try {
        for (int i = 0; i < 50; i++) {
          log.upsert(DocumentKey.of(collection, "after-" + i), Document.of("n", (long) i));
        }
        Eventually.until(
            Duration.ofSeconds(60),
            () -> "pipeline stopped; now " + pipeline.status().summary(),
            () -> pipeline.failure().isPresent());
      } finally {
        front.revokeCredentials(false);
      }
      assertThat(pipeline.failure().orElseThrow())
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("401");
      assertThat(log.committedOffset(name))
          .as("nothing committed past the refusal")
          .isEqualTo(committed);
      assertThat(front.requestsRefused()).isPositive();
    }
    // Checked once the pipeline is closed: writers still in flight when it failed must not
    // dead-letter their batches either.
    assertThat(deadLetters.list(100)).as("dead letters").isEmpty();
  }
}
