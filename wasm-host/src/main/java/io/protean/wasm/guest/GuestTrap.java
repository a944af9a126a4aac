package io.protean.wasm.guest;

/**
 * A guest call that did not complete normally: a trap, a time-out, a memory breach or an invalid
 * result. The instance it happened in must not be used again.
 */
public final class GuestTrap extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the guest failed; also the {@code reason} label of the failure metric. */
  public enum Reason {
    TRAP,
    TIMEOUT,
    STACK_OVERFLOW,
    INVALID_RESULT
  }

  private final Reason reason;

  public GuestTrap(Reason reason, String message, Throwable cause) {
    super(message, cause, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
