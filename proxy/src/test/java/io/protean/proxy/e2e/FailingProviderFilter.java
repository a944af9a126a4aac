package io.protean.proxy.e2e;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.dubbo.common.constants.CommonConstants;
import org.apache.dubbo.common.extension.Activate;
import org.apache.dubbo.rpc.Filter;
import org.apache.dubbo.rpc.Invocation;
import org.apache.dubbo.rpc.Invoker;
import org.apache.dubbo.rpc.Result;
import org.apache.dubbo.rpc.RpcException;

/**
 * A Dubbo provider-side filter that makes a real provider fail every n-th call with a server
 * error: the exception leaves the filter chain, so Dubbo answers with status 70 SERVICE_ERROR (a
 * server failure, not a business exception). Off unless the provider's JVM has
 * {@code -Dprotean.test.fail-every=n} ({@link ProviderProcess} passes it to one child JVM), so
 * every other provider of the test classpath passes calls straight through.
 */
@Activate(group = CommonConstants.PROVIDER)
public final class FailingProviderFilter implements Filter {
  private static final int EVERY = Integer.getInteger("protean.test.fail-every", 0);
  private final AtomicInteger calls = new AtomicInteger();

  @Override
  public Result invoke(Invoker<?> invoker, Invocation invocation) throws RpcException {
    if (EVERY > 0 && calls.incrementAndGet() % EVERY == 0) {
      throw new RpcException("this provider fails every " + EVERY + " calls on purpose");
    }
    return invoker.invoke(invocation);
  }
}
