/**
 * The DynamoDB Streams source ({@code dev.driftless.dynamodb}). Users hand in their own AWS SDK v2
 * clients; the parts inside ({@code dev.driftless.dynamodb.internal}) are not exported.
 */
module dev.driftless.dynamodb {
  requires transitive dev.driftless.core;
  requires transitive software.amazon.awssdk.services.dynamodb;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.awscore;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;

  exports dev.driftless.dynamodb;
  exports dev.driftless.dynamodb.reconcile;
}
