package io.protean.abi.codec;

import io.netty.buffer.ByteBuf;
import java.util.Map;

/**
 * Creates per-connection {@link Codec}s for one protocol. Thread-safe; one per listener/cluster.
 * A factory backed by a file that may change also implements {@link io.protean.abi.Reloadable}.
 */
public interface CodecFactory {

  /** The protocol's name as written in config ("dubbo", "thrift", or a Wasm module's name). */
  String protocol();

  /** A new codec for one connection. */
  Codec newCodec();

  /**
   * Called once on each event loop thread at start-up, so per-thread resources (a Wasm instance)
   * exist before the first connection arrives. Default: nothing to prepare.
   */
  default void prepareThread() {}

  /**
   * Called on each event-loop thread once the proxy stops using this factory on that loop (a
   * reload removed or replaced it). Connections that started with it may still be running there;
   * the factory frees that thread's resources (its Wasm instance) once the last of them ends
   * ({@link Codec#close()}). No new connection on that loop uses the factory afterwards. Default:
   * nothing to free.
   */
  default void releaseThread() {}

  /**
   * Whether clients of this protocol need the answers on a connection in the order they sent the
   * requests (Thrift clients that pipeline and check sequence ids, for example). The proxy then
   * holds an early answer until the ones before it are written. Default: no, ids match answers.
   */
  default boolean orderedResponses() {
    return false;
  }

  /**
   * Why this protocol's codec cannot re-encode frames of {@code type} with a {@link Mutation}
   * ({@link Codec#encode}), or null when it can. The proxy asks before accepting a configuration
   * whose filters would mutate such frames, and refuses it with this reason. Default: requests
   * (and one-way requests) can be re-encoded, responses cannot.
   */
  default String encodeRefusal(MessageType type) {
    return type == MessageType.REQUEST || type == MessageType.ONEWAY ? null
        : "the codec does not re-encode " + type.name().toLowerCase(java.util.Locale.ROOT) + "s";
  }

  /**
   * Whether {@code firstBytes} (not consumed, still owned by the caller) start this protocol; used to
   * auto-detect the protocol of a connection. The default cannot tell.
   */
  default ProtocolMatch match(ByteBuf firstBytes) {
    return ProtocolMatch.NO_MATCH;
  }

  /**
   * The protocol's active health check, configured by {@code options} (the YAML mapping under a
   * cluster's {@code protocol_health_check}, decoded to maps, lists, strings and numbers); null
   * when this protocol cannot build one, so only a TCP connect check can be offered. Called off
   * the event loops, while a configuration is built. Default: none.
   *
   * @throws IllegalArgumentException for invalid options, naming the option and the bad value
   *     ({@code "method_name: required"})
   */
  default HealthCheck healthCheck(Map<String, Object> options) {
    return null;
  }
}
