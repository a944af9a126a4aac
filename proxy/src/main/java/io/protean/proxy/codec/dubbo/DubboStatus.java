package io.protean.proxy.codec.dubbo;

import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.ResponseClass;

/** Dubbo response status codes, their names, and the status each proxy error is answered with. */
final class DubboStatus {
  private static final String[] NAMES = new String[256];

  static {
    NAMES[20] = "OK";
    NAMES[30] = "CLIENT_TIMEOUT";
    NAMES[31] = "SERVER_TIMEOUT";
    NAMES[35] = "CHANNEL_INACTIVE";
    NAMES[40] = "BAD_REQUEST";
    NAMES[50] = "BAD_RESPONSE";
    NAMES[60] = "SERVICE_NOT_FOUND";
    NAMES[70] = "SERVICE_ERROR";
    NAMES[80] = "SERVER_ERROR";
    NAMES[90] = "CLIENT_ERROR";
    NAMES[100] = "SERVER_THREADPOOL_EXHAUSTED_ERROR";
    for (int i = 0; i < NAMES.length; i++) {
      if (NAMES[i] == null) {
        NAMES[i] = "STATUS_" + i;
      }
    }
  }

  private DubboStatus() {}

  static String name(int status) {
    return NAMES[status & 0xff];
  }

  /**
   * What a non-OK status says for retries (an OK one is a result or a business exception: see
   * {@link DubboCodec#classify}).
   */
  static ResponseClass classOf(int status) {
    return switch (status) {
      case 30, 31 -> ResponseClass.SERVER_TIMEOUT;
      // A provider without the service (60) or with a dead channel may be alone in that: another
      // provider can serve the call, as Dubbo's own failover would try.
      case 35, 50, 60, 70, 80 -> ResponseClass.SERVER_ERROR;
      case 40, 90 -> ResponseClass.REQUEST_REJECTED;
      case 100 -> ResponseClass.OVERLOADED;
      default -> ResponseClass.UNKNOWN;
    };
  }

  /** The status a Dubbo client sees for each proxy-side error. */
  static int of(ErrorType error) {
    return switch (error) {
      case ROUTE_NOT_FOUND, CLUSTER_NOT_FOUND -> 60;
      case NO_HEALTHY_UPSTREAM, UPSTREAM_CONNECT_FAILURE, UPSTREAM_RESET -> 70;
      case TIMEOUT -> 31;
      case OVERLOADED, RATE_LIMITED -> 100;
      // Dubbo's one status for a request refused for what it is (HTTP answers 403, a 4xx).
      case CODEC_FAILURE, PERMISSION_DENIED -> 40;
      case LOCAL_REPLY, INTERNAL -> 80;
    };
  }
}
