package dev.driftless.search.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.search.IndexMapping;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A fake of our own {@link SearchTransport} that records every request and answers from a table of
 * {@code "METHOD /path"} to status and body; unlisted requests fail the test.
 */
final class ScriptedEngine implements SearchTransport {

  /** One request as sent. */
  record Request(String line, Map<String, String> params, @Nullable String body) {
    JsonNode json() {
      try {
        return EngineJson.MAPPER.readTree(String.valueOf(body));
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  final List<Request> requests = new ArrayList<>();
  private final Map<String, TransportResponse> answers = new LinkedHashMap<>();

  ScriptedEngine answer(String line, int status, String body) {
    answers.put(line, new TransportResponse(status, body.getBytes(StandardCharsets.UTF_8)));
    return this;
  }

  /** Answers a mapping read of {@code index} with the metadata fields Driftless needs. */
  ScriptedEngine validIndex(String index) {
    return answer(
        "GET /" + index + "/_mapping",
        200,
        "{\"" + index + "\":{\"mappings\":" + IndexMapping.merge(null).toJson() + "}}");
  }

  List<String> lines() {
    return requests.stream().map(Request::line).toList();
  }

  @Override
  public synchronized TransportResponse perform(
      String method, String path, Map<String, String> params, @Nullable BodyWriter body) {
    String text = null;
    if (body != null) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try {
        body.writeTo(out);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
      text = out.toString(StandardCharsets.UTF_8);
    }
    String line = method + " " + path;
    requests.add(new Request(line, params, text));
    TransportResponse answer = answers.get(line);
    if (answer == null) {
      throw new AssertionError("unexpected request " + line);
    }
    return answer;
  }
}
