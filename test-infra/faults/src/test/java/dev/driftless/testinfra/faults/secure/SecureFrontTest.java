package dev.driftless.testinfra.faults.secure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The front against a tiny plain-HTTP echo server standing in for an engine. */
class SecureFrontTest {

  private HttpServer engine;
  private SecureFront front;

  @BeforeEach
  void start() throws Exception {
    engine = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    engine.createContext(
        "/",
        exchange -> {
          byte[] body;
          try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
          }
          String echo =
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI()
                  + " "
                  + exchange.getRequestHeaders().getFirst("Content-Type")
                  + " "
                  + new String(body, StandardCharsets.UTF_8);
          byte[] answer = echo.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/plain");
          exchange.sendResponseHeaders(201, answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    engine.start();
    front =
        SecureFront.builder()
            .target("http://127.0.0.1:" + engine.getAddress().getPort())
            .basicAuth("alice", "secret")
            .apiKey("key-id", "key-secret")
            .start();
  }

  @AfterEach
  void stop() {
    front.close();
    engine.stop(0);
  }

  private HttpClient trusting() throws Exception {
    KeyStore trust =
        KeyStore.getInstance(front.trustStore().toFile(), SecureFront.STORE_PASSWORD.toCharArray());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).build();
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void forwardsAuthenticatedRequestsAndRefusesOthersWithAChallenge() throws Exception {
    HttpClient client = trusting();
    HttpRequest.Builder post =
        HttpRequest.newBuilder(URI.create(front.httpsUrl() + "/idx/_doc?refresh=true"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}"));

    HttpResponse<String> anonymous =
        client.send(post.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
        .hasValue("Basic realm=\"driftless-test\"");
    assertThat(anonymous.body()).contains("\"type\":\"security_exception\"", "\"status\":401");

    HttpResponse<String> wrong =
        client.send(
            post.copy().header("Authorization", basic("alice", "nope")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrong.statusCode()).isEqualTo(401);

    HttpResponse<String> ok =
        client.send(
            post.copy().header("Authorization", basic("alice", "secret")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ok.statusCode()).isEqualTo(201);
    assertThat(ok.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(ok.body()).isEqualTo("POST /idx/_doc?refresh=true application/json {\"a\":1}");

    String apiKey =
        Base64.getEncoder().encodeToString("key-id:key-secret".getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> withKey =
        client.send(
            HttpRequest.newBuilder(URI.create(front.httpsUrl() + "/"))
                .header("Authorization", "ApiKey " + apiKey)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(withKey.statusCode()).isEqualTo(201);

    assertThat(front.requestsSeen()).isEqualTo(4);
    assertThat(front.requestsRefused()).isEqualTo(2);
    assertThat(front.requests())
        .extracting(SecureFront.Seen::scheme)
        .containsExactly("none", "Basic", "Basic", "ApiKey");
  }

  @Test
  void theCertificateIsNotTrustedByDefault() {
    HttpRequest get = HttpRequest.newBuilder(URI.create(front.httpsUrl() + "/")).build();
    assertThatThrownBy(
            () -> HttpClient.newHttpClient().send(get, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class);
    assertThat(front.requestsSeen()).isZero();
  }

  @Test
  void thePemFileHoldsOneCertificate() throws Exception {
    String pem = java.nio.file.Files.readString(front.certificatePem());
    assertThat(pem)
        .startsWith("-----BEGIN CERTIFICATE-----\n")
        .endsWith("-----END CERTIFICATE-----\n");
    try (InputStream in = java.nio.file.Files.newInputStream(front.certificatePem())) {
      assertThat(
              java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in))
          .hasSize(1);
    }
  }
}
