package dev.driftless.search.internal;

import dev.driftless.core.RetriableException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one thing a vendor sink must provide: send an HTTP request to the engine and hand back its
 * status and body, whatever the status.
 *
 * <h2>Contract</h2>
 *
 * <ol>
 *   <li>{@code path} is already URL-encoded by the caller (for example {@code
 *       /my-index/_doc/a%2Fb}); the transport sends it as is. {@code params} are raw values that
 *       the transport encodes into the query string.
 *   <li>Every HTTP response, 2xx or not, is returned as a {@link TransportResponse}; the transport
 *       never throws because of a status code. Classifying statuses is the caller's job.
 *   <li>A failure to get any response that may heal (connection refused or reset, timeout, DNS, TLS
 *       handshake on a restarting node, I/O error while streaming) is thrown as a {@link
 *       RetriableException}. Anything else thrown is treated as fatal.
 *   <li>When {@code body} is not null it is written exactly once, by a call to {@link
 *       BodyWriter#writeTo}, with {@link BodyWriter#contentType()} as the request's content type.
 * </ol>
 *
 * <p>Implementations are thread-safe: {@link SearchSink} calls {@code perform} from the pipeline's
 * worker threads concurrently. {@code perform} blocks until the response is read.
 */
@FunctionalInterface
public interface SearchTransport extends AutoCloseable {

  /**
   * Sends one request and returns the engine's response.
   *
   * @param method the HTTP method, upper case ({@code GET}, {@code PUT}, {@code POST}, {@code
   *     DELETE}, {@code HEAD})
   * @param path the URL-encoded path, starting with {@code /}
   * @param params query parameters, not yet encoded; may be empty
   * @param body the request body, or {@code null} for none
   * @throws RetriableException when no response could be had and trying again may help
   */
  TransportResponse perform(
      String method, String path, Map<String, String> params, @Nullable BodyWriter body);

  /**
   * Releases what the transport owns. A transport wrapping a client the user handed in must not
   * close that client. Idempotent; the default does nothing.
   */
  @Override
  default void close() {}

  /**
   * {@code segment} percent-encoded for use as one path segment: every byte of its UTF-8 form
   * except the RFC 3986 unreserved characters becomes {@code %XX} (so {@code /}, {@code ?}, {@code
   * #}, {@code %}, {@code +} and spaces are safe in document ids).
   */
  static String pathSegment(String segment) {
    byte[] bytes = segment.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length + 16);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        sb.append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return sb.toString();
  }
}
