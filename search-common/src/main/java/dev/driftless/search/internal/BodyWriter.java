package dev.driftless.search.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A request body that writes itself to the wire, so that large bulk bodies are streamed rather than
 * copied into one more buffer.
 *
 * <p>{@link #writeTo} may be called more than once by a transport that needs to replay the body
 * (for example after an authentication challenge); every call writes the same bytes.
 */
public interface BodyWriter {

  /** {@code application/json}. */
  String JSON = "application/json";

  /** {@code application/x-ndjson}, what {@code _bulk} expects. */
  String NDJSON = "application/x-ndjson";

  /** Writes the whole body to {@code out} and does not close it. */
  void writeTo(OutputStream out) throws IOException;

  /** The content type of the body; {@link #JSON} unless overridden. */
  default String contentType() {
    return JSON;
  }

  /** The body's length in bytes, or -1 when unknown. */
  default long contentLength() {
    return -1;
  }

  /** A JSON body of the given bytes (not copied: do not change them afterwards). */
  static BodyWriter json(byte[] bytes) {
    return new Bytes(bytes, JSON);
  }

  /** A JSON body of the given text. */
  static BodyWriter json(String json) {
    return new Bytes(json.getBytes(StandardCharsets.UTF_8), JSON);
  }

  /** A body of fixed bytes. */
  record Bytes(byte[] bytes, String contentType) implements BodyWriter {
    public Bytes {
      Objects.requireNonNull(bytes, "bytes");
      Objects.requireNonNull(contentType, "contentType");
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      out.write(bytes);
    }

    @Override
    public long contentLength() {
      return bytes.length;
    }
  }
}
