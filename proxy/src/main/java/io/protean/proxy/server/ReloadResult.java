package io.protean.proxy.server;

import java.time.Instant;

/**
 * What one reload did.
 *
 * @param outcome  applied (a new version runs), unchanged (nothing to do), or refused (nothing
 *                 changed; {@code field} and {@code reason} say why)
 * @param version  the version running after the reload
 * @param field    the field at fault when refused ({@code clusters[1].endpoints[0]}), else null
 * @param reason   why it was refused, else null
 * @param at       when the reload finished
 */
public record ReloadResult(Outcome outcome, long version, String field, String reason, Instant at) {

  /** The kinds of result; {@code protean_config_reloads_total{result}} counts each. */
  public enum Outcome {
    APPLIED,
    UNCHANGED,
    REFUSED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  static ReloadResult applied(long version) {
    return new ReloadResult(Outcome.APPLIED, version, null, null, Instant.now());
  }

  static ReloadResult unchanged(long version) {
    return new ReloadResult(Outcome.UNCHANGED, version, null, null, Instant.now());
  }

  static ReloadResult refused(long version, String field, String reason) {
    return new ReloadResult(Outcome.REFUSED, version, field, reason, Instant.now());
  }

  @Override
  public String toString() {
    return switch (outcome) {
      case APPLIED -> "applied: version " + version;
      case UNCHANGED -> "unchanged: version " + version;
      case REFUSED -> "refused, still running version " + version + ": " + field + ": " + reason;
    };
  }
}
