package io.protean.proxy.admin;

import java.util.concurrent.CompletableFuture;

/**
 * One admin endpoint. Called on the admin's own thread; a handler with slow work (a reload)
 * returns a future completed elsewhere, so the admin stays responsive and the data plane's event
 * loops are never involved.
 */
@FunctionalInterface
public interface AdminHandler {
  CompletableFuture<AdminResponse> handle(AdminRequest request);

  /** A handler that answers at once. */
  static AdminHandler of(java.util.function.Function<AdminRequest, AdminResponse> f) {
    return r -> CompletableFuture.completedFuture(f.apply(r));
  }
}
