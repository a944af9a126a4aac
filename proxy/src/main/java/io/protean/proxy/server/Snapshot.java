package io.protean.proxy.server;

import io.protean.abi.codec.CodecFactory;
import io.protean.abi.filter.FilterFactory;
import io.protean.proxy.cluster.Cluster;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.listener.ListenerSnapshot;
import java.util.List;
import java.util.Map;

/**
 * One configuration version, built and validated: the codec and filter factories, each
 * listener's snapshot and the clusters. Immutable; the running proxy holds the current one.
 *
 * @param codecs    one factory per distinct codec config (listeners and clusters share them)
 * @param filters   each listener's filter factories, in chain order
 * @param listeners by name, in configuration order
 * @param clusters  by name, in configuration order
 */
record Snapshot(
    long version,
    ProxyConfig config,
    Map<CodecConfig, CodecFactory> codecs,
    Map<String, List<FilterFactory>> filters,
    Map<String, ListenerSnapshot> listeners,
    Map<String, Cluster> clusters) {}
