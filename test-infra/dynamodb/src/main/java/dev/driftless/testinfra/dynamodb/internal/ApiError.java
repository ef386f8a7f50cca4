package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

/**
 * A service error as DynamoDB sends it: an HTTP status and a JSON body {@code {"__type": ...,
 * "message": ...}} (plus extra members for some errors, such as a transaction's cancellation
 * reasons).
 */
public final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private static final String DYNAMODB = "com.amazonaws.dynamodb.v20120810#";

  private final int status;
  private final String type;
  private final transient @Nullable ObjectNode extra;

  public ApiError(int status, String type, String message, @Nullable ObjectNode extra) {
    super(message);
    this.status = status;
    this.type = type;
    this.extra = extra;
  }

  public int status() {
    return status;
  }

  /**
   * The full {@code __type}, e.g. {@code
   * com.amazonaws.dynamodb.v20120810#ResourceNotFoundException}.
   */
  public String type() {
    return type;
  }

  public @Nullable ObjectNode extra() {
    return extra;
  }

  /** A modelled DynamoDB error with status 400 (500 for {@code InternalServerError}). */
  public static ApiError service(String name, String message) {
    int status = name.equals("InternalServerError") ? 500 : 400;
    return new ApiError(status, DYNAMODB + name, message, null);
  }

  public static ApiError validation(String message) {
    return new ApiError(400, "com.amazon.coral.validate#ValidationException", message, null);
  }

  public static ApiError throttling(String message) {
    return new ApiError(400, "com.amazon.coral.availability#ThrottlingException", message, null);
  }

  public static ApiError unknownOperation(String message) {
    return new ApiError(400, "com.amazon.coral.service#UnknownOperationException", message, null);
  }

  public static ApiError serialization(String message) {
    return new ApiError(400, "com.amazon.coral.service#SerializationException", message, null);
  }

  public static ApiError notFound(String message) {
    return service("ResourceNotFoundException", message);
  }

  public static ApiError conditionFailed(@Nullable ObjectNode item) {
    ApiError e =
        new ApiError(
            400,
            DYNAMODB + "ConditionalCheckFailedException",
            "The conditional request failed",
            null);
    if (item == null) {
      return e;
    }
    ObjectNode extra = Json.MAPPER.createObjectNode();
    extra.set("Item", item);
    return new ApiError(e.status, e.type, e.getMessage(), extra);
  }

  @Override
  public String getMessage() {
    String m = super.getMessage();
    return m == null ? "" : m;
  }
}
