package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DriftlessException;
import java.io.IOException;
import java.net.ConnectException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.Test;

/**
 * The cause chains real clients throw (seen in the sinks' TlsAndAuthIT) and their neighbours that
 * must stay retriable.
 */
class TlsConfigurationFailureTest {

  private static final String TRUST = "trustCertificates(pem) or trustStore(path, password)";

  private static <T extends Throwable> T causedBy(T t, Throwable cause) {
    t.initCause(cause);
    return t;
  }

  @Test
  void anUnknownCertificatePathIsAConfigurationErrorNamingTheTrustSettings() {
    // The JDK's chain: SSLHandshakeException <- ValidatorException <- SunCertPathBuilderException,
    // which Elastic's REST client wraps once more into an exception of the same type.
    IOException thrown =
        causedBy(
            new SSLHandshakeException("PKIX path building failed"),
            causedBy(
                new SSLHandshakeException("PKIX path building failed"),
                new CertificateException(
                    "PKIX path building failed",
                    new CertPathBuilderException("unable to find valid certification path"))));
    DriftlessException e = TlsConfigurationFailure.of(thrown, "GET /", TRUST).orElseThrow();
    assertThat(e).isInstanceOf(ConfigurationException.class).hasCause(thrown);
    assertThat(e.getMessage()).contains("GET /", "not trusted", TRUST);
  }

  @Test
  void apacheHostNameVerificationIsAConfigurationError() {
    IOException thrown =
        causedBy(
            new IOException("Host name 'localhost' does not match"),
            new SSLPeerUnverifiedException("Host name 'localhost' does not match"));
    assertThat(TlsConfigurationFailure.of(thrown, "POST /_bulk", TRUST))
        .hasValueSatisfying(
            e -> {
              assertThat(e).isInstanceOf(ConfigurationException.class);
              assertThat(e.getMessage()).contains("does not name the host");
            });
  }

  @Test
  void theJdkHostNameCheckIsReportedAsAHostNameMismatch() {
    IOException thrown =
        causedBy(
            new SSLHandshakeException("No subject alternative DNS name matching localhost found."),
            new CertificateException("No subject alternative DNS name matching localhost found."));
    assertThat(TlsConfigurationFailure.of(thrown, "GET /", TRUST))
        .hasValueSatisfying(
            e -> {
              assertThat(e).isInstanceOf(ConfigurationException.class);
              assertThat(e.getMessage()).contains("does not name the host");
            });
  }

  @Test
  void otherFailuresAreNotRecognised() {
    assertThat(
            TlsConfigurationFailure.of(new ConnectException("Connection refused"), "GET /", TRUST))
        .isEmpty();
    assertThat(
            TlsConfigurationFailure.of(
                new SSLHandshakeException("Remote host terminated the handshake"), "GET /", TRUST))
        .isEmpty();
    assertThat(
            TlsConfigurationFailure.of(
                new SSLException("Connection reset", new IOException("Connection reset")),
                "GET /",
                TRUST))
        .isEmpty();
    // A certificate problem outside TLS (say, a body that failed to parse one) is not a trust
    // error.
    assertThat(
            TlsConfigurationFailure.of(
                causedBy(new IOException("read"), new CertificateException("bad")), "GET /", TRUST))
        .isEmpty();
  }
}
