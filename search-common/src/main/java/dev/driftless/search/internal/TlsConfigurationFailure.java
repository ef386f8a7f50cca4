package dev.driftless.search.internal;

import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DriftlessException;
import java.io.IOException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.jspecify.annotations.Nullable;

/**
 * Recognises, in an HTTP client's {@link IOException}, the TLS failures that are configuration
 * errors rather than outages: the server's certificate is not trusted (no trust material for it, an
 * expired or otherwise invalid chain) or does not name the host the client connected to. Retrying
 * does not heal either, and no event is to blame, so a transport throws them as a {@link
 * ConfigurationException} (a pipeline stops on it: it neither retries nor dead-letters) instead of
 * a {@link dev.driftless.core.RetriableException}.
 *
 * <p>Recognised by the cause chain, since clients wrap the JDK's exception (Elastic's REST client
 * rethrows it as a plain {@code IOException}): a {@link CertificateException}, {@link
 * CertPathValidatorException} or {@link CertPathBuilderException} (the JDK's {@code
 * SunCertPathBuilderException} is one) under an {@link SSLException} means an untrusted
 * certificate, unless its message is the JDK's host name check ("No subject alternative ...
 * matching ..."); an {@link SSLPeerUnverifiedException} is Apache HttpClient's host name check.
 * Every other failure, TLS or not (a handshake cut by a restarting node, a refused connection), is
 * not recognised and stays retriable.
 */
public final class TlsConfigurationFailure {

  private TlsConfigurationFailure() {}

  /**
   * The configuration error {@code failure} stands for, if it is one.
   *
   * @param failure what the HTTP client threw
   * @param request the request, for the message (such as {@code GET /})
   * @param trustSettings the builder settings that supply trust material, for the message (such as
   *     {@code trustCertificates(pem) or trustStore(path, password)})
   */
  public static Optional<DriftlessException> of(
      IOException failure, String request, String trustSettings) {
    boolean underTls = false;
    for (Throwable t : Causes.chain(failure)) {
      if (t instanceof SSLException) {
        underTls = true;
      }
      if (t instanceof SSLPeerUnverifiedException) {
        return Optional.of(hostNameMismatch(failure, request, t));
      }
      if (underTls && isCertificateFailure(t)) {
        return Optional.of(
            isHostNameCheck(t.getMessage())
                ? hostNameMismatch(failure, request, t)
                : new ConfigurationException(
                    request
                        + " failed: the server's TLS certificate is not trusted ("
                        + t.getMessage()
                        + "). Give the certificate of its CA with "
                        + trustSettings
                        + "; without them the JVM's default trust store is used",
                    failure));
      }
    }
    return Optional.empty();
  }

  private static boolean isCertificateFailure(Throwable t) {
    return t instanceof CertificateException
        || t instanceof CertPathValidatorException
        || t instanceof CertPathBuilderException;
  }

  private static boolean isHostNameCheck(@Nullable String message) {
    if (message == null) {
      return false;
    }
    String m = message.toLowerCase(Locale.ROOT);
    return m.startsWith("no subject alternative") || m.startsWith("no name matching");
  }

  private static ConfigurationException hostNameMismatch(
      IOException failure, String request, Throwable cause) {
    return new ConfigurationException(
        request
            + " failed: the server's TLS certificate does not name the host name in the URL ("
            + cause.getMessage()
            + "). Connect with a host name the certificate is issued to (its subject alternative"
            + " names)",
        failure);
  }
}
