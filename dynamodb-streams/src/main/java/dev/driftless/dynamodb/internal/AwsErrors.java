package dev.driftless.dynamodb.internal;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/** Which SDK failures are transient (throttling, 5xx, I/O). Stateless. */
public final class AwsErrors {
  private static final Set<String> TRANSIENT_CODES =
      Set.of(
          "ThrottlingException",
          "Throttling",
          "LimitExceededException",
          "ProvisionedThroughputExceededException",
          "RequestLimitExceeded",
          "TooManyRequestsException",
          "InternalServerError",
          "InternalFailure",
          "ServiceUnavailable",
          // Only after the fetch replaced the iterator once: back off and replace it again.
          "ExpiredIteratorException");

  private AwsErrors() {}

  /** Whether retrying later may succeed: throttling, a server error, or a connection failure. */
  public static boolean isTransient(Throwable e) {
    if (e instanceof AwsServiceException service) {
      if (service.isThrottlingException() || service.statusCode() >= 500) {
        return true;
      }
      String code =
          service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
      return code != null && TRANSIENT_CODES.contains(code);
    }
    return e instanceof SdkClientException;
  }
}
