package io.protean.proxy.listener;

import io.protean.abi.codec.CodecFactory;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.stream.StreamConfig;

/**
 * One configuration version of a listener, built and validated off the event loops: its codec,
 * its filter chain and route table. A listener serves the latest; each connection moves to it
 * between two frames, and each request keeps the one it started with.
 */
public record ListenerSnapshot(ListenerConfig config, CodecFactory codec, StreamConfig stream) {}
