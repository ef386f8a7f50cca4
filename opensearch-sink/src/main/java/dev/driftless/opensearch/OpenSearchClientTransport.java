package dev.driftless.opensearch;

import dev.driftless.core.RetriableException;
import dev.driftless.search.internal.BodyWriter;
import dev.driftless.search.internal.Causes;
import dev.driftless.search.internal.SearchTransport;
import dev.driftless.search.internal.TlsConfigurationFailure;
import dev.driftless.search.internal.TransportResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.generic.Body;
import org.opensearch.client.opensearch.generic.OpenSearchGenericClient;
import org.opensearch.client.opensearch.generic.Requests;
import org.opensearch.client.opensearch.generic.Response;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.httpclient5.ResponseException;

/**
 * {@link SearchTransport} over opensearch-java's generic client, which sends any request and
 * returns most statuses without throwing; those its transport throws (429, 401, ...) are read back
 * from the exception. A failure without an answer is a {@link RetriableException}, except a server
 * certificate that is not trusted or does not name the host: a {@link
 * dev.driftless.core.ConfigurationException} (see {@link TlsConfigurationFailure}). Thread-safe
 * (the client is).
 *
 * <p>The generic client takes a body as bytes or a stream; the bulk body is written once into an
 * array of its known length and handed over as those bytes.
 */
final class OpenSearchClientTransport implements SearchTransport {

  private static final String TRUST_SETTINGS =
      "OpenSearchSink.builder().trustCertificates(pem) or trustStore(path, password) (or your"
          + " OpenSearchClient's SSL context)";

  private final OpenSearchGenericClient generic;
  private final @Nullable OpenSearchTransport owned;

  /**
   * @param client the client to send through
   * @param owned the transport to close with this one, or {@code null} when the user owns it
   */
  OpenSearchClientTransport(OpenSearchClient client, @Nullable OpenSearchTransport owned) {
    this.generic = Objects.requireNonNull(client, "client").generic();
    this.owned = owned;
  }

  @Override
  public TransportResponse perform(
      String method, String path, Map<String, String> params, @Nullable BodyWriter body) {
    Body requestBody = null;
    if (body != null) {
      requestBody = Body.from(bytesOf(body), body.contentType());
    }
    try (Response response =
        generic.execute(Requests.create(method, path, List.of(), params, requestBody))) {
      byte[] bytes = response.getBody().map(Body::bodyAsBytes).orElse(new byte[0]);
      return new TransportResponse(response.getStatus(), bytes);
    } catch (IOException e) {
      // The Apache HttpClient 5 transport throws for some statuses even for the generic client: a
      // 429 as a ResponseException, a 401 as an IOException around a TransportException around
      // one. They are answers, not lost requests: classify them like any other.
      ResponseException answer = Causes.find(e, ResponseException.class);
      if (answer != null) {
        return new TransportResponse(answer.status(), bodyOf(answer));
      }
      // An untrusted certificate or a host name it does not name never heals by retrying.
      throw TlsConfigurationFailure.of(e, method + " " + path, TRUST_SETTINGS)
          .orElseGet(
              () ->
                  new RetriableException(
                      method + " " + path + " failed without a response: " + e, e, false));
    }
  }

  /**
   * The body of the response a {@link ResponseException} stands for. The exception offers the
   * response only as a type of the transport's own package; its message, though, is the request
   * line followed by a line break and the body, which is what this returns (empty without one).
   */
  static byte[] bodyOf(ResponseException e) {
    String message = Objects.requireNonNullElse(e.getMessage(), "");
    int newline = message.indexOf('\n');
    return newline < 0
        ? new byte[0]
        : message.substring(newline + 1).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The body's bytes. A bulk body knows its length, so it is written straight into an array of that
   * size: one copy of a request that may be megabytes, instead of a growing buffer and its copy.
   */
  static byte[] bytesOf(BodyWriter body) {
    long length = body.contentLength();
    try {
      if (length >= 0 && length <= Integer.MAX_VALUE - 16) {
        ExactBuffer exact = new ExactBuffer((int) length);
        body.writeTo(exact);
        return exact.bytes();
      }
      ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
      body.writeTo(buffer);
      return buffer.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the request body", e);
    }
  }

  /** An output stream into an array of the announced length; it refuses to write past it. */
  private static final class ExactBuffer extends OutputStream {
    private final byte[] bytes;
    private int size;

    ExactBuffer(int length) {
      this.bytes = new byte[length];
    }

    @Override
    public void write(int b) {
      ensure(1);
      bytes[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      Objects.checkFromIndexSize(off, len, b.length);
      ensure(len);
      System.arraycopy(b, off, bytes, size, len);
      size += len;
    }

    private void ensure(int more) {
      if (more > bytes.length - size) {
        throw new IllegalStateException(
            "request body is longer than its announced length of " + bytes.length + " bytes");
      }
    }

    byte[] bytes() {
      return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }
  }

  @Override
  public void close() {
    OpenSearchTransport t = owned;
    if (t != null) {
      try {
        t.close();
      } catch (IOException e) {
        throw new UncheckedIOException("closing the OpenSearch transport", e);
      }
    }
  }
}
