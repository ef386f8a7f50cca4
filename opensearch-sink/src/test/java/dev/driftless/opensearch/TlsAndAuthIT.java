package dev.driftless.opensearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.faults.secure.SecureFront;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenSearch sink building its own client from an {@code https} URL, credentials (basic or API
 * key) and trust settings (trust store or PEM), against the real OpenSearch 2.19 node behind a
 * {@link SecureFront} (the in-process node runs without the security plugin). The front challenges
 * like a secured node (401 with {@code WWW-Authenticate: Basic realm=...}), which is when this
 * client's credentials provider answers.
 */
class TlsAndAuthIT {

  private static final String USER = "driftless";
  private static final String PASSWORD = "s3cret-pw";
  private static final String KEY_ID = "os-key-id";
  private static final String KEY = "os-key-secret";

  private static OpenSearchNode node;
  private static SecureFront front;

  @BeforeAll
  static void start() {
    node = OpenSearchNode.shared();
    front =
        SecureFront.builder()
            .target(node.httpUrl())
            .basicAuth(USER, PASSWORD)
            .apiKey(KEY_ID, KEY)
            .start();
  }

  @AfterAll
  static void stop() {
    front.close();
  }

  @BeforeEach
  void forgetRequests() {
    front.clearRequests();
  }

  private static final SinkContext CONTEXT =
      new SinkContext() {
        @Override
        public String pipelineName() {
          return "tls-it";
        }

        @Override
        public int maxBatchEvents() {
          return 100;
        }

        @Override
        public long maxBatchBytes() {
          return 8L * 1024 * 1024;
        }
      };

  private static OpenSearchSink sink(
      String url, String collection, UnaryOperator<OpenSearchSink.Builder> security) {
    return security
        .apply(OpenSearchSink.builder().hosts(url))
        .routing(IndexRouting.prefixed("os-tls-"))
        .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
        .collections(collection)
        .build();
  }

  private static List<ChangeEvent> documents(String collection) {
    List<ChangeEvent> batch = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      batch.add(
          Writes.upsert(
              DocumentKey.of(collection, "doc-" + i),
              10 + i,
              Document.of("name", "item " + i, "n", (long) i)));
    }
    return batch;
  }

  /** Starts the sink, writes three documents, reads them back through it. */
  private static void writeAndReadBack(OpenSearchSink sink, String collection) {
    sink.start(CONTEXT);
    assertThat(sink.write(documents(collection))).allMatch(r -> r instanceof WriteResult.Applied);
    for (int i = 1; i <= 3; i++) {
      StoredDocument stored = sink.get(DocumentKey.of(collection, "doc-" + i)).orElseThrow();
      assertThat(stored.version()).isEqualTo(Version.of(10 + i));
      assertThat(stored.document().get("name")).isEqualTo("item " + i);
    }
  }

  @Test
  void basicAuthOverHttpsTrustingATrustStore() {
    try (OpenSearchSink sink =
        sink(
            front.httpsUrl(),
            "p12",
            b ->
                b.basicAuth(USER, PASSWORD)
                    .trustStore(front.trustStore(), SecureFront.STORE_PASSWORD.toCharArray()))) {
      writeAndReadBack(sink, "p12");
    }
    List<SecureFront.Seen> seen = front.requests();
    // Every forwarded request carried the right basic credentials (the front forwards nothing
    // else); a refused one, if any, carried none: a client waiting for the challenge. (In these
    // runs opensearch-java sent the credentials at once: at most one refusal is allowed.)
    assertThat(seen).filteredOn(s -> !s.refused()).hasSizeGreaterThanOrEqualTo(5);
    assertThat(seen).filteredOn(s -> !s.refused()).allMatch(s -> s.scheme().equals("Basic"));
    assertThat(seen).filteredOn(SecureFront.Seen::refused).allMatch(s -> s.scheme().equals("none"));
    assertThat(front.requestsRefused()).as("requests seen: %s", seen).isLessThanOrEqualTo(1);
  }

  @Test
  void apiKeyOverHttpsTrustingThePemCertificateWithCompression() {
    try (OpenSearchSink sink =
        sink(
            front.httpsUrl(),
            "pem-key",
            b ->
                b.apiKey(KEY_ID, KEY)
                    .trustCertificates(front.certificatePem())
                    .compression(true))) {
      writeAndReadBack(sink, "pem-key");
    }
    List<SecureFront.Seen> seen = front.requests();
    // The key goes with every request, unasked: nothing is refused.
    assertThat(seen).hasSizeGreaterThanOrEqualTo(5);
    assertThat(seen).allMatch(s -> s.scheme().equals("ApiKey") && !s.refused());
  }

  @Test
  void wrongPasswordFailsAfterTheChallengeAndIsNotRetriable() {
    try (OpenSearchSink sink =
        sink(
            front.httpsUrl(),
            "wrong",
            b ->
                b.basicAuth(USER, "wrong")
                    .trustStore(front.trustStore(), SecureFront.STORE_PASSWORD.toCharArray()))) {
      Throwable atStart = catchThrowable(() -> sink.start(CONTEXT));
      assertThat(atStart)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("401");
      int afterStart = front.requestsSeen();
      Throwable atWrite = catchThrowable(() -> sink.write(documents("wrong")));
      assertThat(atWrite)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("401");
      // Each request: at most the unauthenticated try and one with the (wrong) credentials.
      assertThat(afterStart).isBetween(1, 2);
      assertThat(front.requestsSeen() - afterStart).isBetween(1, 2);
    }
    List<SecureFront.Seen> seen = front.requests();
    assertThat(seen).allMatch(SecureFront.Seen::refused);
    assertThat(seen).extracting(SecureFront.Seen::scheme).contains("Basic");
  }

  @Test
  void untrustedCertificateIsAConfigurationErrorNamingTheTrustSetting() {
    try (OpenSearchSink sink =
        sink(front.httpsUrl(), "untrusted", b -> b.basicAuth(USER, PASSWORD))) {
      Throwable thrown = catchThrowable(() -> sink.start(CONTEXT));
      assertThat(thrown)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("trustStore");
    }
    assertThat(front.requestsSeen()).isZero();
  }

  @Test
  void hostNameTheCertificateDoesNotNameIsAConfigurationError() {
    try (SecureFront elsewhere =
            SecureFront.builder()
                .target(node.httpUrl())
                .basicAuth(USER, PASSWORD)
                .subjectAlternativeNames("dns:search.invalid")
                .start();
        OpenSearchSink sink =
            sink(
                elsewhere.httpsUrl(),
                "mismatch",
                b ->
                    b.basicAuth(USER, PASSWORD)
                        .trustStore(
                            elsewhere.trustStore(), SecureFront.STORE_PASSWORD.toCharArray()))) {
      Throwable thrown = catchThrowable(() -> sink.start(CONTEXT));
      assertThat(thrown)
          .isInstanceOf(DriftlessException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("host name");
      assertThat(elsewhere.requestsSeen()).isZero();
    }
  }

  @Test
  void insecureTrustAllCertificatesWorksAgainstTheSelfSignedFront() {
    try (OpenSearchSink sink =
        sink(
            front.httpsUrl(),
            "insecure",
            b -> b.basicAuth(USER, PASSWORD).insecureTrustAllCertificates(true))) {
      writeAndReadBack(sink, "insecure");
    }
    assertThat(front.requests()).filteredOn(s -> !s.refused()).isNotEmpty();
  }

  @Test
  void aRefusedConnectionStaysRetriable() {
    SecureFront closed =
        SecureFront.builder().target(node.httpUrl()).basicAuth(USER, PASSWORD).start();
    String url = closed.httpsUrl();
    OpenSearchSink sink;
    try (closed) {
      sink =
          sink(
              url,
              "refused",
              b ->
                  b.basicAuth(USER, PASSWORD)
                      .trustStore(closed.trustStore(), SecureFront.STORE_PASSWORD.toCharArray()));
    }
    try (sink) {
      assertThat(catchThrowable(() -> sink.start(CONTEXT))).isInstanceOf(RetriableException.class);
    }
  }
}
