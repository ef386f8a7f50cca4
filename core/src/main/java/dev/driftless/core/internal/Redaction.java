package dev.driftless.core.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides credentials in text that may show a URL or a header before it goes into an exception
 * message or a log line: the password (or a lone token) in a URL's user-info, the value of query or
 * connection parameters named like a secret ({@code password=}, {@code sslpassword=}, {@code
 * token=}, {@code apiKey=}, ...), and the value of {@code Basic}, {@code Bearer} and {@code ApiKey}
 * authorization schemes. Used by every Driftless module; not an API.
 */
public final class Redaction {

  /** What replaces a hidden value. */
  public static final String HIDDEN = "***";

  /**
   * {@code scheme://user:password@} or {@code scheme://token@}. Blanks count as part of it (a
   * mistyped password may hold one): hiding too much of a message beats showing a secret.
   */
  private static final Pattern USER_INFO =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)([^/@\\r\\n?#]*)@");

  /** A parameter whose name says it holds a secret, after {@code ?}, {@code &} or {@code ;}. */
  private static final Pattern SECRET_PARAMETER =
      Pattern.compile(
          "([?&;]\\s*[A-Za-z0-9_.-]*"
              + "(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credential)"
              + "[A-Za-z0-9_.-]*\\s*=)[^&;#\\s]*",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern PASSWORD_PARAMETER =
      Pattern.compile("[?&;]\\s*password\\s*=", Pattern.CASE_INSENSITIVE);

  /**
   * A credential after an authorization scheme: a token of at least 6 characters, one of them a
   * digit or {@code +/=} (so that prose such as "Basic authentication" stays).
   */
  private static final Pattern AUTHORIZATION =
      Pattern.compile(
          "\\b(Basic|Bearer|ApiKey)\\s+(?=[A-Za-z._~-]*[0-9+/=])[A-Za-z0-9+/=._~-]{6,}");

  private Redaction() {}

  /** {@code text} with every credential it shows replaced by {@value #HIDDEN}. */
  public static String redact(String text) {
    Matcher userInfo = USER_INFO.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (userInfo.find()) {
      String info = userInfo.group(2);
      int colon = info.indexOf(':');
      // Keep a user name (it helps diagnose a refused login); hide a password, or a lone value
      // that may be a token.
      String kept = colon >= 0 ? info.substring(0, colon + 1) + HIDDEN : HIDDEN;
      userInfo.appendReplacement(out, Matcher.quoteReplacement(userInfo.group(1) + kept + "@"));
    }
    userInfo.appendTail(out);
    String redacted = SECRET_PARAMETER.matcher(out).replaceAll("$1" + HIDDEN);
    return AUTHORIZATION.matcher(redacted).replaceAll("$1 " + HIDDEN);
  }

  /**
   * Whether {@code url} carries a password: in its user-info ({@code user:password@}) or as a
   * {@code password=} parameter.
   */
  public static boolean carriesPassword(String url) {
    Matcher userInfo = USER_INFO.matcher(url);
    while (userInfo.find()) {
      if (userInfo.group(2).indexOf(':') >= 0) {
        return true;
      }
    }
    return PASSWORD_PARAMETER.matcher(url).find();
  }
}
