package dev.driftless.search.internal;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The Jackson mapper the search modules read engine responses and write request bodies with. */
public final class EngineJson {
  /**
   * Parses engine responses. Jackson's default 20-million-character string limit would refuse a
   * response holding a large document, which the engines accept up to {@code
   * http.max_content_length}.
   */
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
              com.fasterxml.jackson.core.JsonFactory.builder()
                  .streamReadConstraints(
                      com.fasterxml.jackson.core.StreamReadConstraints.builder()
                          .maxStringLength(Integer.MAX_VALUE)
                          .build())
                  .build())
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private EngineJson() {}
}
