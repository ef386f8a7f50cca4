package dev.driftless.opensearch;

import dev.driftless.core.RetriableException;
import dev.driftless.search.BodyWriter;
import dev.driftless.search.SearchTransport;
import dev.driftless.search.TransportResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * {@link SearchTransport} over opensearch-java's generic client, which sends any request and
 * returns every status without throwing. Thread-safe (the client is).
 *
 * <p>The generic client takes a body as bytes or a stream; the bulk body is written once into a
 * buffer of its known length and handed over as bytes.
 */
final class OpenSearchClientTransport implements SearchTransport {

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
      long length = body.contentLength();
      ByteArrayOutputStream buffer =
          new ByteArrayOutputStream(length > 0 && length < Integer.MAX_VALUE ? (int) length : 1024);
      try {
        body.writeTo(buffer);
      } catch (IOException e) {
        throw new UncheckedIOException("writing the request body", e);
      }
      requestBody = Body.from(buffer.toByteArray(), body.contentType());
    }
    try (Response response =
        generic.execute(Requests.create(method, path, List.of(), params, requestBody))) {
      byte[] bytes = response.getBody().map(Body::bodyAsBytes).orElse(new byte[0]);
      return new TransportResponse(response.getStatus(), bytes);
    } catch (IOException e) {
      throw new RetriableException(
          method + " " + path + " failed without a response: " + e, e, false);
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
