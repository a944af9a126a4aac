package io.protean.proxy.admin;

/**
 * An admin endpoint's answer. The status is the handler's typed decision, never inferred from
 * the body.
 *
 * @param status      HTTP status code
 * @param contentType the body's media type
 */
public record AdminResponse(int status, String contentType, String body) {
  public static final String TEXT = "text/plain; charset=utf-8";
  public static final String JSON = "application/json";

  public static AdminResponse text(int status, String body) {
    return new AdminResponse(status, TEXT, body);
  }

  public static AdminResponse ok(String body) {
    return text(200, body);
  }

  public static AdminResponse json(int status, String body) {
    return new AdminResponse(status, JSON, body);
  }
}
