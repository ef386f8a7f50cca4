package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {

  @Test
  void hidesThePasswordOfAUrlsUserInfoAndKeepsTheUser() {
    assertThat(Redaction.redact("was postgresql://app:secret@db/shop"))
        .isEqualTo("was postgresql://app:***@db/shop");
    assertThat(Redaction.redact("jdbc:postgresql://app:s3cr%40t@db:5432/shop?sslmode=require"))
        .isEqualTo("jdbc:postgresql://app:***@db:5432/shop?sslmode=require");
  }

  @Test
  void hidesAPasswordWithABlank() {
    assertThat(Redaction.redact("not a URL: https://app:sec ret@search"))
        .isEqualTo("not a URL: https://app:***@search");
  }

  @Test
  void hidesALoneUserInfoValueThatMayBeAToken() {
    assertThat(Redaction.redact("https://ghp_abcdef123@search:9200"))
        .isEqualTo("https://***@search:9200");
  }

  @Test
  void hidesSecretParametersOfQueriesAndConnectionStrings() {
    assertThat(
            Redaction.redact(
                "jdbc:postgresql://db/shop?user=app&password=secret&sslmode=verify-full"))
        .isEqualTo("jdbc:postgresql://db/shop?user=app&password=***&sslmode=verify-full");
    assertThat(Redaction.redact("jdbc:postgresql://db/shop?sslpassword=k&PASSWORD=x"))
        .isEqualTo("jdbc:postgresql://db/shop?sslpassword=***&PASSWORD=***");
    assertThat(Redaction.redact("http://h:9200/?api_key=abc&token=t1;secret=s"))
        .isEqualTo("http://h:9200/?api_key=***&token=***;secret=***");
  }

  @Test
  void hidesAuthorizationValues() {
    assertThat(
            Redaction.redact(
                "Authorization: ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="))
        .isEqualTo("Authorization: ApiKey ***");
    assertThat(Redaction.redact("Basic YXBwOnNlY3JldA==")).isEqualTo("Basic ***");
  }

  @Test
  void leavesTextWithoutCredentialsAlone() {
    String plain =
        "hosts: https://search-1:9200 must not have a path; see jdbc:postgresql://db/x;"
            + " Basic authentication over plain http";
    assertThat(Redaction.redact(plain)).isEqualTo(plain);
  }

  @Test
  void tellsAPasswordInAUrl() {
    assertThat(Redaction.carriesPassword("jdbc:postgresql://db/shop?password=x")).isTrue();
    assertThat(Redaction.carriesPassword("jdbc:postgresql://db/shop?user=a&Password=")).isTrue();
    assertThat(Redaction.carriesPassword("postgresql://app:secret@db/shop")).isTrue();
    assertThat(Redaction.carriesPassword("jdbc:postgresql://app@db/shop")).isFalse();
    assertThat(Redaction.carriesPassword("jdbc:postgresql://db/shop?sslpassword=k")).isFalse();
    assertThat(Redaction.carriesPassword("jdbc:postgresql://db/shop?sslmode=require")).isFalse();
  }
}
