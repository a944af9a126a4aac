package io.protean.proxy.upstream;

import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;

/** A request sent upstream, as the upstream connection sees it. Called on the request's event loop. */
public interface UpstreamCallbacks {

  /** The request as decoded from downstream (owned by the request; says where its id sits). */
  Frame frame();

  /** The response arrived; ownership of {@code response} passes to the callee. */
  void onResponse(Frame response);

  /** The request could not be completed upstream (connect failure, connection closed...). */
  void onUpstreamFailure(ErrorType error, String message);
}
