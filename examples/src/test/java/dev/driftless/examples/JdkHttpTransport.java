package dev.driftless.examples;

import dev.driftless.core.RetriableException;
import dev.driftless.search.internal.BodyWriter;
import dev.driftless.search.internal.SearchTransport;
import dev.driftless.search.internal.TransportResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SearchTransport} over the JDK's HTTP client, so a test can build a {@link
 * dev.driftless.search.SearchSink} directly (and call what {@code OpenSearchSink} does not expose).
 */
final class JdkHttpTransport implements SearchTransport {
  private final HttpClient http = HttpClient.newHttpClient();
  private final String baseUrl;

  JdkHttpTransport(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  @Override
  public TransportResponse perform(
      String method, String path, Map<String, String> params, @Nullable BodyWriter body) {
    StringBuilder url = new StringBuilder(baseUrl).append(path);
    char sep = '?';
    for (Map.Entry<String, String> p : params.entrySet()) {
      url.append(sep)
          .append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
      sep = '&';
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url.toString()));
    try {
      if (body == null) {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        body.writeTo(out);
        request
            .header("Content-Type", body.contentType())
            .method(method, HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()));
      }
      HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new TransportResponse(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new RetriableException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableException(method + " " + path + " interrupted", e);
    }
  }
}
