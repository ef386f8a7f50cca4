package dev.driftless.search.internal;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An HTTP response from the engine.
 *
 * @param status the HTTP status code
 * @param body the response body, empty when there was none (not copied)
 */
public record TransportResponse(int status, byte[] body) {

  public TransportResponse {
    Objects.requireNonNull(body, "body");
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be an HTTP status code, was " + status);
    }
  }

  /** Whether the status is 2xx. */
  public boolean isSuccess() {
    return status >= 200 && status < 300;
  }

  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    String text = bodyText();
    return "HTTP " + status + " " + (text.length() > 500 ? text.substring(0, 500) + "…" : text);
  }
}
